"""POST /staff/session: a staff member signs in; the token goes in the Authorization header."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from haochaping.adapters.staff_identity import sign_in
from haochaping.domain.errors import NotFound
from haochaping.settings import get_settings

router = Router()


class SignInElsewhere(NotFound):
    """The stack trusts an external identity issuer (StaffIdentity external): no password here."""

    code = "sign_in_elsewhere"


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=1, max_length=64, description="job number 工号")
    password: str = Field(min_length=1, max_length=256)


@router.post(
    "/staff/session",
    summary="Staff sign-in 工作人员登录",
    responses={
        200: {"description": "id token"},
        401: {"description": "not accepted"},
        404: {"description": "staff sign in with the division's identity platform, not here"},
    },
)
def post_session(credentials: SignIn) -> Response[Any]:
    client_id = get_settings().staff_user_pool_client_id
    if not client_id:
        raise SignInElsewhere(
            "staff of this division sign in with its identity platform; send that token as 'Authorization: Bearer …'"
        )
    tokens = sign_in(client_id, credentials.username, credentials.password)
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=tokens, headers={"Cache-Control": "no-store"}
    )
