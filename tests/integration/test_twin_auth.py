"""Staff sign-in on the twin: the Cognito pool from the template, and the HTTP API's JWT authorizer.

moto's CloudFormation skips Cognito; the twin creates the pool, client and groups itself and
gives the functions their real ids. Its JWT authorizer checks tokens as API Gateway does: a
route with an authorizer answers 401 {"message":"Unauthorized"} without invoking the function
unless the token is signed by the issuer's key, unexpired, from the configured issuer and for
one of the configured audiences.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from localtwin.twin import LocalTwin
from moto.utilities.utils import load_resource

from tests.integration.conftest import DEMO_PASSWORD, admin, http

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "fixtures" / "twin_features" / "template.yaml"
UNAUTHORIZED = {"message": "Unauthorized"}
HMAC_SECRET = "x" * 32  # for a token signed the wrong way (HS256)


# ---------------------------------------------------------------- helpers


def sign_in(twin: LocalTwin, client: str, username: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    result = twin.client("cognito-idp").initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
    )
    return dict(result["AuthenticationResult"])


def unverified(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def moto_signing_key() -> Any:
    """The private key moto signs every pool's tokens with (it ships inside moto)."""
    document = load_resource("cognitoidp/resources/jwks-private.json")
    key = document["keys"][0] if "keys" in document else document
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key))


def forge(claims: dict[str, Any], key: Any = None, **changes: Any) -> str:
    """A token like moto's, with some claims changed, signed with ``key`` (moto's by default)."""
    payload = {**claims, **changes}
    return jwt.encode(payload, key or moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})


def tampered(token: str, **changes: Any) -> str:
    """The token with its payload changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = {**json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))), **changes}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def get(twin: LocalTwin, path: str, authorization: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    status, _, body = http("GET", f"{twin.url}{path}", headers=headers)
    return status, json.loads(body) if body else None


def invocations(twin: LocalTwin, function: str) -> int:
    assert twin.functions is not None
    worker = twin.functions.workers.get(function)
    return worker.invocations if worker is not None else 0


# ---------------------------------------------------------------- the district stack (template.yaml)


@pytest.fixture(scope="module")
def staff_twin(district_twin: LocalTwin) -> LocalTwin:
    """The demo division with a console user per officer, supervisor, admin and overseer."""
    admin(district_twin, "staff", "users", "--password", DEMO_PASSWORD)
    return district_twin


def staff_pool(twin: LocalTwin) -> tuple[str, str]:
    """The user pool and console client of the stack's identity stack (identity/staff-user-pool.yaml)."""
    pool = twin.resolve({"Fn::GetAtt": ["StaffIdentityPool", "Outputs.UserPoolId"]})
    client = twin.resolve({"Fn::GetAtt": ["StaffIdentityPool", "Outputs.ClientId"]})
    return str(pool), str(client)


@pytest.fixture(scope="module")
def officer(staff_twin: LocalTwin) -> dict[str, Any]:
    """An officer's tokens, signed in as the console does."""
    pool, client = staff_pool(staff_twin)
    users = staff_twin.client("cognito-idp").list_users_in_group(UserPoolId=pool, GroupName="officer")["Users"]
    return sign_in(staff_twin, client, users[0]["Username"])


def test_every_function_sees_the_real_pool_and_client_ids(staff_twin: LocalTwin) -> None:
    # Given the stack's pool and client, in the nested identity stack the twin created
    pool, client = staff_pool(staff_twin)
    cognito = staff_twin.client("cognito-idp")
    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["Name"] == "haochaping-640100-staff"
    assert cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]["ClientId"] == client
    # Then every function's environment names them, and nothing the twin filled in is left over
    for logical_id in staff_twin.stack.functions:
        environment = staff_twin.function_environment(logical_id)
        assert environment["STAFF_USER_POOL_ID"] == pool, logical_id
        assert environment["STAFF_USER_POOL_CLIENT_ID"] == client, logical_id
        assert not any("localtwin-pending" in v or "${" in v for v in environment.values()), logical_id


def test_staff_users_is_idempotent_and_prints_neither_names_nor_the_password(staff_twin: LocalTwin) -> None:
    out = admin(staff_twin, "staff", "users", "--password", DEMO_PASSWORD)
    assert "officer 21, supervisor 13, admin 1, overseer 1; 0 created, 0 updated, 36 unchanged" in out
    assert DEMO_PASSWORD not in out
    assert "演示员" not in out  # the demo staff's names


def test_an_officer_signs_in_and_the_tokens_carry_role_hall_and_division(
    staff_twin: LocalTwin, officer: dict[str, Any]
) -> None:
    claims = unverified(officer["IdToken"])
    assert claims["cognito:groups"] == ["officer"]
    assert claims["custom:division"] == "640100"
    assert claims["custom:hall"].startswith("YC")
    pool, client = staff_pool(staff_twin)
    assert claims["aud"] == client
    assert claims["iss"].endswith("/" + pool)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda claims, token: None, id="no token"),
        pytest.param(lambda claims, token: "", id="Bearer and nothing"),
        pytest.param(lambda claims, token: "Bearer not-a-jwt", id="garbage"),
        pytest.param(lambda claims, token: tampered(token, **{"cognito:groups": ["admin"]}), id="tampered"),
        pytest.param(
            lambda claims, token: forge(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            id="signed with another key",
        ),
        pytest.param(
            lambda claims, token: forge(claims, exp=int(time.time()) - 60, iat=int(time.time()) - 3660),
            id="expired",
        ),
        pytest.param(lambda claims, token: forge(claims, aud="some-other-client"), id="other audience"),
        pytest.param(
            lambda claims, token: forge(claims, iss=claims["iss"].rsplit("/", 1)[0] + "/us-east-1_other"),
            id="other issuer",
        ),
        pytest.param(lambda claims, token: forge(claims, iat=int(time.time()) + 3600), id="issued in the future"),
        pytest.param(
            lambda claims, token: jwt.encode(claims, HMAC_SECRET, algorithm="HS256", headers={"kid": "dummy"}),
            id="not RSA",
        ),
    ],
)
def test_a_staff_route_refuses_a_missing_or_bad_token_without_invoking_the_function(
    staff_twin: LocalTwin, officer: dict[str, Any], make_token: Any
) -> None:
    # Given a token that is missing, unreadable, altered, foreign, expired or for someone else
    token = make_token(unverified(officer["IdToken"]), officer["IdToken"])
    authorization = None if token is None else (token if token.startswith("Bearer") else f"Bearer {token}")
    before = invocations(staff_twin, "StaffTasksFunction")
    # When it is sent to a route with the StaffJwt authorizer
    status, body = get(staff_twin, "/staff/tasks", authorization)
    # Then API Gateway's answer: 401 Unauthorized, and the function never ran
    assert (status, body) == (401, UNAUTHORIZED)
    assert invocations(staff_twin, "StaffTasksFunction") == before


@pytest.mark.parametrize("token_kind", ["IdToken", "AccessToken"])
@pytest.mark.parametrize("prefix", ["Bearer ", ""])
def test_a_staff_route_passes_a_valid_token_to_the_function(
    staff_twin: LocalTwin, officer: dict[str, Any], token_kind: str, prefix: str
) -> None:
    # Given a valid id token (aud) or access token (client_id), bare or after "Bearer"
    before = invocations(staff_twin, "StaffTasksFunction")
    # When it is sent to the route
    status, _ = get(staff_twin, "/staff/tasks", prefix + officer[token_kind])
    # Then the function ran (whatever it answers, it is not the authorizer's 401)
    assert status != 401
    assert invocations(staff_twin, "StaffTasksFunction") == before + 1


def test_a_token_rebuilt_with_the_issuers_own_key_is_accepted(staff_twin: LocalTwin, officer: dict[str, Any]) -> None:
    # The refusals above are for the claim each one changed: the same claims, re-signed, pass.
    status, _ = get(staff_twin, "/staff/tasks", f"Bearer {forge(unverified(officer['IdToken']))}")
    assert status != 401


# ---------------------------------------------------------------- the fixture stack: claims as API Gateway passes them


@pytest.fixture(scope="module")
def features_twin() -> Iterator[LocalTwin]:
    with LocalTwin(FIXTURE, {}, "twin-auth") as running:
        yield running


@pytest.fixture(scope="module")
def member(features_twin: LocalTwin) -> dict[str, Any]:
    """A user in two groups with a custom attribute, signed in."""
    cognito = features_twin.client("cognito-idp")
    pool = features_twin.stack.physical_id("UserPool")
    client = features_twin.stack.physical_id("UserPoolClient")
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="member1",
        UserAttributes=[{"Name": "custom:hall", "Value": "YC01"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="member1", Password=DEMO_PASSWORD, Permanent=True)
    for group in ("reviewers", "editors"):
        cognito.admin_add_user_to_group(UserPoolId=pool, Username="member1", GroupName=group)
    return sign_in(features_twin, client, "member1")


def test_values_that_refer_to_the_twins_own_resources_are_resolved(features_twin: LocalTwin) -> None:
    # Given a function whose environment uses Ref, GetAtt and Sub on the pool, client and a group
    environment = features_twin.function_environment("ClaimsFunction")
    pool = features_twin.stack.physical_id("UserPool")
    # Then each is the twin's value, as CloudFormation would give it; others are still moto's
    assert environment["POOL_ID"] == pool
    assert environment["POOL_ARN"] == f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool}"
    assert environment["CLIENT_ID"] == features_twin.stack.physical_id("UserPoolClient")
    assert environment["ISSUER"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    assert environment["GROUP"] == "reviewers"
    assert environment["QUEUE_URL"] == features_twin.stack.physical_id("WorkQueue")


def test_claims_reach_the_function_as_strings_the_way_api_gateway_passes_them(
    features_twin: LocalTwin, member: dict[str, Any]
) -> None:
    # Given a signed-in user in two groups, with a custom attribute
    # When a route behind the JWT authorizer is called with the id token
    status, body = get(features_twin, "/private/claims", f"Bearer {member['IdToken']}")
    # Then the function gets requestContext.authorizer.jwt with every claim a string and no scopes
    assert status == 200
    authorizer = body["authorizer"]["jwt"]
    claims = authorizer["claims"]
    assert authorizer["scopes"] is None
    assert all(isinstance(value, str) for value in claims.values())
    # arrays as API Gateway writes them: "[a b]"
    groups = claims["cognito:groups"]
    assert groups.startswith("[") and groups.endswith("]")
    assert sorted(groups[1:-1].split(" ")) == ["editors", "reviewers"]
    assert claims["custom:hall"] == "YC01"
    assert claims["cognito:username"] == "member1"
    assert claims["exp"].isdigit() and int(claims["exp"]) > time.time()
    assert claims["aud"] == features_twin.stack.physical_id("UserPoolClient")


def test_the_authorizer_guards_only_its_routes(features_twin: LocalTwin) -> None:
    # Given the same HttpApi with an open route and a route behind the authorizer
    before = invocations(features_twin, "ClaimsFunction")
    # Then without a token the guarded one is refused before its function runs, the open one answers
    assert get(features_twin, "/private/claims") == (401, UNAUTHORIZED)
    assert invocations(features_twin, "ClaimsFunction") == before
    status, _ = get(features_twin, "/echo/open")
    assert status == 200
