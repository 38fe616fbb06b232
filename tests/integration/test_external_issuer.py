"""Staff identity from an external OpenID Connect issuer (StaffIdentity external), as in AWS China,
where Cognito does not exist: a province's identity platform issues the staff's tokens.

The test runs the issuer itself — its own RSA key, its discovery document and its JWKS on a
loopback port — and a twin of the demo division that trusts it. The JWT authorizer and the
domain's role checks are the same as with the stack's own user pool.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.conftest import TEMPLATE
from tests.integration.conftest import DEMO_REGISTRY, admin, http, plate_sig_of, post_json, rate, wait_for

pytestmark = pytest.mark.integration

AUDIENCE = "haochaping-console-640100"
WINDOW = "YC01-A001"


class Issuer:
    """An OpenID provider on loopback: discovery document, keys, and tokens signed with them."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"}
                elif self.path == "/keys":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(issuer.key.public_key()))
                    body = {"keys": [{**jwk, "kid": issuer.kid, "use": "sig", "alg": "RS256"}]}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "aud": AUDIENCE, "iat": now, "exp": now + 600, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    running = Issuer()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def twin(issuer: Issuer) -> Iterator[LocalTwin]:
    parameters = {
        **division_parameters("640100"),
        "StaffIdentity": "external",
        "StaffIssuerUrl": issuer.url,
        "StaffAudience": AUDIENCE,
    }
    with LocalTwin(TEMPLATE, parameters, "haochaping-640100-oidc", clock_hook=CLOCK_HOOK) as started:
        admin(started, "registry", "load", str(DEMO_REGISTRY))
        yield started


def _staff(issuer: Issuer, role: str, hall: str, **extra: Any) -> str:
    number = f"{hall}{role[:1].upper()}{uuid.uuid4().hex[:4]}"
    return issuer.token(sub=number, username=number, groups=[role], hall=hall, division="640100", **extra)


def _get(twin: LocalTwin, path: str, token: str) -> tuple[int, Any]:
    status, _, raw = http("GET", f"{twin.url}{path}", headers={"Authorization": f"Bearer {token}"})
    return status, json.loads(raw) if raw else None


def test_no_user_pool_is_made_and_the_functions_are_told_so(twin: LocalTwin) -> None:
    # Given a stack whose staff sign in elsewhere
    pools = twin.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    # Then it made no user pool, and no function is given one
    assert pools == []
    assert "StaffIdentityPool" not in twin.stack.resources
    for logical_id in twin.stack.functions:
        environment = twin.function_environment(logical_id)
        assert environment["STAFF_USER_POOL_ID"] == environment["STAFF_USER_POOL_CLIENT_ID"] == "", logical_id


def test_password_sign_in_points_to_the_identity_platform(twin: LocalTwin) -> None:
    status, body = post_json(f"{twin.url}/staff/session", {"username": "YC018001", "password": "anything-at-all"})
    assert status == 404
    assert body["error"]["code"] == "sign_in_elsewhere"


def test_the_issuers_token_opens_the_hall_task_and_the_domain_checks_roles(twin: LocalTwin, issuer: Issuer) -> None:
    # Given a bad review at a YC01 window, and its task open
    sig = plate_sig_of(twin, WINDOW)
    status, receipt = rate(twin, WINDOW, sig, level=1)
    assert status == 201, receipt
    code = receipt["tracking_code"]
    officer = _staff(issuer, "officer", "YC01")
    wait_for(lambda: _get(twin, f"/staff/tasks/{code}", officer)[0] == 200, timeout=15)
    # When officers of its hall and of another hall ask for it with the issuer's tokens
    listed_status, listed = _get(twin, "/staff/tasks", officer)
    own_status, task = _get(twin, f"/staff/tasks/{code}", officer)
    other_status, _ = _get(twin, f"/staff/tasks/{code}", _staff(issuer, "officer", "YC02"))
    # Then the hall's officer sees and may act on it; for another hall's it does not exist
    assert listed_status == 200
    assert code in json.dumps(listed)
    assert own_status == 200
    assert task["tracking_code"] == code
    assert "record_contact" in task["allowed_actions"]
    assert other_status == 404


@pytest.mark.parametrize(
    "forge",
    [
        lambda issuer: _staff(issuer, "officer", "YC01", aud="another-client"),
        lambda issuer: _staff(issuer, "officer", "YC01", exp=int(time.time()) - 60),
        lambda issuer: _staff(issuer, "officer", "YC01", iss="https://issuer.example"),
        lambda issuer: _staff(issuer, "officer", "YC01", key=rsa.generate_private_key(65537, 2048)),
    ],
    ids=["another-audience", "expired", "another-issuer", "another-key"],
)
def test_a_token_the_issuer_did_not_give_for_this_stack_is_refused(
    twin: LocalTwin, issuer: Issuer, forge: Callable[[Issuer], str]
) -> None:
    status, _ = _get(twin, "/staff/tasks", forge(issuer))
    assert status == 401
