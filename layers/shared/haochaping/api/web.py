"""What the HTTP routes share for citizens' browsers: form bodies, cookies, HTML responses."""

from __future__ import annotations

import secrets
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from haochaping.domain.plates import issue_device_token

DEVICE_COOKIE = "hcp_device"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# The routes the citizen pages post forms to (API Gateway's route keys); every other route reads JSON only.
FORM_ROUTES = frozenset(
    {"POST /ratings", "POST /ratings/{tracking_code}/verdict", "POST /ratings/{tracking_code}/appeal"}
)
# Fields a form sends flat that the JSON body nests under "evaluator".
EVALUATOR_FIELDS = {"evaluator_name": "name", "evaluator_phone": "phone", "evaluator_consent": "consent"}
LIST_FIELDS = {"tags"}


def form_to_submission(body: str) -> tuple[dict[str, Any], str | None]:
    """A form-encoded rating as the JSON body it stands for, and the page language asked for."""
    fields = parse_qs(body, keep_blank_values=True)
    result: dict[str, Any] = {}
    evaluator: dict[str, Any] = {}
    for name, values in fields.items():
        if name in LIST_FIELDS:
            result[name] = [v for v in values if v]
            continue
        value = values[-1]
        if name in EVALUATOR_FIELDS:
            if value:
                evaluator[EVALUATOR_FIELDS[name]] = value in ("true", "on", "1") if name.endswith("consent") else value
            continue
        if name == "lang" or value == "":
            continue  # an empty optional field is an absent one
        result[name] = value
    if evaluator.get("name") or evaluator.get("phone"):
        evaluator.setdefault("consent", False)
        result["evaluator"] = evaluator
    lang = fields.get("lang", [None])[-1]
    return result, lang


def device_token(event: Any) -> str | None:
    """The device token from the request's cookies (payload 2.0 lists them apart)."""
    for cookie in getattr(event, "cookies", None) or []:
        name, _, value = cookie.partition("=")
        if name.strip() == DEVICE_COOKIE and 16 <= len(value.strip()) <= 64:
            return value.strip()
    return None


def source_address(event: Any) -> str | None:
    """The address the request came from, as API Gateway saw it (the hall's, behind shared Wi-Fi).

    Personal data: it is only ever kept as a keyed hash.
    """
    try:
        return str(event.request_context.http.source_ip) or None
    except (AttributeError, KeyError):
        return None


def new_device_cookie(secure: bool, secret: bytes) -> Cookie:
    """A random name for this browser, signed by the stack: a rating by the plate comes with it, so
    a script that never opened the form cannot rate, and one device cannot rate a window over and over."""
    return Cookie(
        name=DEVICE_COOKIE,
        value=issue_device_token(secrets.token_urlsafe(16), secret),
        path="/",
        max_age=365 * 24 * 3600,
        http_only=True,
        secure=secure,
        same_site=SameSite.LAX_MODE,
    )


def content_security_policy(calls_api: bool = False) -> str:
    """The one Content-Security-Policy of every page: styles and scripts inline, since each page is
    one request, and nothing from other hosts. A page whose script calls this API (the console)
    may also connect back to it."""
    directives = [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "script-src 'unsafe-inline'",
        *(["connect-src 'self'"] if calls_api else []),
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


PAGE_CSP = content_security_policy()


# Every page's headers, whether a route or the resolver's own error answer sends it.
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": PAGE_CSP,
    # A receipt page's link carries the citizen's key: no other site is ever told the address.
    "Referrer-Policy": "same-origin",
}


def html(
    body: str,
    status: HTTPStatus = HTTPStatus.OK,
    cookies: list[Cookie] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        status_code=int(status),
        content_type="text/html; charset=utf-8",
        body=body,
        cookies=cookies or [],
        headers={**{k: v for k, v in PAGE_HEADERS.items() if k != "Content-Type"}, **(headers or {})},
    )


def redirect(location: str) -> Response:
    return Response(status_code=int(HTTPStatus.SEE_OTHER), headers={"Location": location}, body="")
