"""The HTTP API as API Gateway runs it: routes from the template, payload format 2.0 events."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from localtwin.functions import FunctionPool, InvocationError
from localtwin.template import HttpRoute, path_regex

PAYLOAD_LIMIT = 10 * 1024 * 1024  # API Gateway's own limit; the functions set tighter ones
TEXT_TYPES = ("application/json", "text/", "application/xml", "application/javascript")


class Authorizer:
    """Decides a route's authorizer; returns claims, or None when the request is unauthorised."""

    def authorize(self, route: HttpRoute, request: Request) -> dict[str, Any] | None:
        raise NotImplementedError


def _route_rank(route: HttpRoute) -> tuple[int, int, int]:
    # API Gateway prefers exact paths, then more literal segments, then greedy {proxy+} last.
    greedy = 1 if "+}" in route.path else 0
    params = route.path.count("{")
    return (greedy, params, -len(route.path))


class HttpApi:
    def __init__(
        self,
        routes: Iterable[HttpRoute],
        functions: FunctionPool,
        api_id: str,
        region: str,
        account: str,
        cors: dict[str, Any] | None = None,
        authorizer: Authorizer | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.routes = sorted(routes, key=_route_rank)
        self.patterns = [(route, path_regex(route.path)) for route in self.routes]
        self.functions = functions
        self.api_id = api_id
        self.region = region
        self.account = account
        self.cors = cors or {}
        self.authorizer = authorizer
        self.clock = clock or (lambda: datetime.now(UTC))  # the request time API Gateway stamps
        self.extra: list[tuple[str, Callable[[Request], Response]]] = []

    def mount(self, prefix: str, handler: Callable[[Request], Response]) -> None:
        """Serve a twin-only path (never part of the stack's API)."""
        self.extra.append((prefix, handler))

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for route, pattern in self.patterns:
            if route.method not in (method, "ANY"):
                continue
            found = pattern.match(path)
            if found:
                return route, found.groupdict()
        default = [r for r in self.routes if r.path == "$default"]
        return (default[0], {}) if default else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        for prefix, handler in self.extra:
            if request.path.startswith(prefix):
                return handler(request)
        if request.method == "OPTIONS" and self.cors and request.headers.get("Access-Control-Request-Method"):
            return self._preflight(request)
        if (request.content_length or 0) > PAYLOAD_LIMIT:
            return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "Request Entity Too Large"})
        found = self.match(request.method, request.path)
        if found is None:
            return self._with_cors(request, self._json(HTTPStatus.NOT_FOUND, {"message": "Not Found"}))
        route, path_parameters = found
        claims = None
        if route.authorizer and self.authorizer is not None:
            claims = self.authorizer.authorize(route, request)
            if claims is None:
                return self._with_cors(request, self._json(HTTPStatus.UNAUTHORIZED, {"message": "Unauthorized"}))
        event = self.event(request, route, path_parameters, claims)
        try:
            result = self.functions.invoke(route.function, event)
        except InvocationError as error:
            status = (
                HTTPStatus.SERVICE_UNAVAILABLE
                if error.error_type == "Sandbox.Timedout"
                else HTTPStatus.INTERNAL_SERVER_ERROR
            )
            return self._with_cors(request, self._json(status, {"message": status.phrase}))
        return self._with_cors(request, self.response(result))

    def event(
        self, request: Request, route: HttpRoute, path_parameters: dict[str, str], claims: dict[str, Any] | None
    ) -> dict[str, Any]:
        raw = request.get_data(cache=True)
        content_type = request.headers.get("Content-Type", "")
        is_text = not raw or any(content_type.startswith(t) for t in TEXT_TYPES)
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            if key == "cookie":
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        cookies = [c.strip() for c in request.headers.get("Cookie", "").split(";") if c.strip()]
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        now = self.clock()
        route_key = "$default" if route.path == "$default" else route.route_key
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": request.path,
            "rawQueryString": request.query_string.decode("latin-1"),
            "headers": headers,
            "requestContext": {
                "accountId": self.account,
                "apiId": self.api_id,
                "domainName": request.host,
                "domainPrefix": request.host.split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent", ""),
                },
                "requestId": uuid.uuid4().hex[:16],
                "routeKey": route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": not is_text,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if path_parameters:
            event["pathParameters"] = path_parameters
        if raw:
            event["body"] = raw.decode("utf-8", errors="replace") if is_text else base64.b64encode(raw).decode()
        if claims is not None:
            event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        return event

    def response(self, result: Any) -> Response:
        if not (isinstance(result, dict) and "statusCode" in result):
            # Payload 2.0: anything else is a 200 with the result as JSON.
            return Response(json.dumps(result), status=200, content_type="application/json")
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
        response = Response(data, status=int(result["statusCode"]))
        response.headers.pop("Content-Type", None)
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = str(value)
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(name, str(value))
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        return response

    def _allowed_origin(self, request: Request) -> str | None:
        origin = request.headers.get("Origin")
        allowed = self.cors.get("AllowOrigins") or []
        if origin and (origin in allowed or "*" in allowed):
            return origin
        return None

    def _preflight(self, request: Request) -> Response:
        response = Response(status=204)
        origin = self._allowed_origin(request)
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = ",".join(self.cors.get("AllowMethods") or [])
            response.headers["Access-Control-Allow-Headers"] = ",".join(self.cors.get("AllowHeaders") or [])
            if self.cors.get("MaxAge") is not None:
                response.headers["Access-Control-Max-Age"] = str(self.cors["MaxAge"])
        return response

    def _with_cors(self, request: Request, response: Response) -> Response:
        origin = self._allowed_origin(request)
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    @staticmethod
    def _json(status: HTTPStatus, body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), status=int(status), content_type="application/json")


def cors_settings(api_properties: dict[str, Any], resolve: Callable[[Any], Any]) -> dict[str, Any]:
    """The HttpApi's CorsConfiguration with its intrinsic values resolved."""
    config = api_properties.get("CorsConfiguration") or {}
    if config is True:
        return {"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
    if not isinstance(config, dict):
        return {}
    return {key: resolve(value) for key, value in config.items()}
