"""The HTTP API's JWT authorizer, as API Gateway runs it in front of a route.

API Gateway's workflow (developer guide, "Control access to HTTP APIs with JWT authorizers"):
take the token from the identity source (the token alone, or prefixed with ``Bearer``), check
its algorithm (RSA only) and signature with the issuer's published keys (``kid``), then the
claims: ``iss`` is the configured issuer, ``aud`` — or ``client_id`` when there is no ``aud`` —
is one of the configured audiences, ``exp`` is in the future, ``nbf`` and ``iat`` are not. Any
failure is 401 ``{"message":"Unauthorized"}`` and the function is not invoked. On success the
function gets the claims at ``requestContext.authorizer.jwt.claims`` with every value a string.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import jwt
from werkzeug.wrappers import Request

from localtwin.gateway import Authorizer
from localtwin.template import HttpRoute

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256", "RS384", "RS512"]  # API Gateway accepts RSA-signed tokens only
COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/(?P<pool>[\w-]+)$")


class UnsupportedAuthorizer(ValueError):
    """An authorizer the twin does not run (only JWT authorizers are)."""


@dataclass(frozen=True)
class JwtSettings:
    issuer: str
    audience: tuple[str, ...]
    identity_sources: tuple[str, ...]


def claim_text(value: Any) -> str:
    """A claim value as API Gateway hands it to the function: always a string.

    Arrays become ``[a b c]`` (so ``cognito:groups`` arrives as ``"[officer supervisor]"``),
    numbers their decimal text and booleans ``true``/``false``. Objects are written Go-style,
    ``map[key:value]``, by analogy with arrays: not measured on AWS.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(claim_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{claim_text(value[key])}" for key in sorted(value)) + "]"
    if value is None:
        return ""
    return str(value)


def cognito_jwks_url(moto_endpoint: str) -> Callable[[str], str]:
    """Where the keys of an issuer are: moto serves a user pool's keys under its own endpoint."""

    def jwks_url(issuer: str) -> str:
        found = COGNITO_ISSUER.match(issuer)
        if found is None:
            return discovered_jwks_url(issuer)
        return f"{moto_endpoint}/{found['pool']}/.well-known/jwks.json"

    return jwks_url


def discovered_jwks_url(issuer: str) -> str:
    """An OpenID provider's keys, where its discovery document says (``jwks_uri``), as API
    Gateway finds them for a JWT authorizer whose issuer is not Cognito."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the template's own issuer
        return str(json.load(response)["jwks_uri"])


def jwt_settings(config: Mapping[str, Any], resolve: Callable[[Any], Any]) -> JwtSettings:
    """A SAM HttpApi Authorizers entry (``JwtConfiguration``, ``IdentitySource``), resolved."""
    if "JwtConfiguration" not in config:
        raise UnsupportedAuthorizer(f"the local twin runs JWT authorizers only, not {sorted(config)}")
    jwt_config = {key.lower(): value for key, value in config["JwtConfiguration"].items()}
    audience = resolve(jwt_config.get("audience") or [])
    sources = resolve(config.get("IdentitySource", "$request.header.Authorization"))
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(",")]
    return JwtSettings(
        issuer=str(resolve(jwt_config["issuer"])),
        audience=tuple(str(a) for a in (audience if isinstance(audience, list) else [audience])),
        identity_sources=tuple(str(s) for s in sources),
    )


class JwtAuthorizer(Authorizer):
    def __init__(self, resolve: Callable[[Any], Any], jwks_url: Callable[[str], str]) -> None:
        self.resolve = resolve
        self.jwks_url = jwks_url
        self._settings: dict[str, JwtSettings] = {}
        self._keys: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def settings(self, route: HttpRoute) -> JwtSettings:
        assert route.authorizer is not None
        with self._lock:
            if route.authorizer not in self._settings:
                if route.authorizer_config is None:
                    raise UnsupportedAuthorizer(f"{route.route_key}: no authorizer {route.authorizer} in the template")
                self._settings[route.authorizer] = jwt_settings(route.authorizer_config, self.resolve)
            return self._settings[route.authorizer]

    def _key_client(self, issuer: str) -> jwt.PyJWKClient:
        with self._lock:
            if issuer not in self._keys:
                self._keys[issuer] = jwt.PyJWKClient(self.jwks_url(issuer), cache_keys=True, lifespan=300)
            return self._keys[issuer]

    @staticmethod
    def token(settings: JwtSettings, request: Request) -> str | None:
        for source in settings.identity_sources:
            value: str | None = None
            if source.startswith("$request.header."):
                value = request.headers.get(source.removeprefix("$request.header."))
            elif source.startswith("$request.querystring."):
                values = parse_qs(request.query_string.decode("latin-1")).get(
                    source.removeprefix("$request.querystring.")
                )
                value = values[0] if values else None
            if value:
                value = value.strip()
                if value[:7].lower() == "bearer ":
                    value = value[7:].strip()
                return value or None
        return None

    def authorize(self, route: HttpRoute, request: Request) -> dict[str, Any] | None:
        settings = self.settings(route)
        token = self.token(settings, request)
        if token is None:
            return None
        try:
            key = self._key_client(settings.issuer).get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=settings.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError, OSError) as error:  # OSError: the issuer's keys out of reach
            log.info("%s: token refused: %s", route.route_key, error)
            return None
        audience = claims.get("aud", claims.get("client_id"))  # client_id counts only without aud
        audiences = audience if isinstance(audience, list) else [audience]
        if not any(str(a) in settings.audience for a in audiences if a is not None):
            log.info("%s: token refused: not for this audience", route.route_key)
            return None
        return {name: claim_text(value) for name, value in claims.items()}
