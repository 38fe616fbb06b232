"""POST /staff/session: a staff member signs in; the token goes in the Authorization header."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from haochaping.adapters.staff_identity import sign_in
from haochaping.api.contract import NO_STORE, answers, json_answer
from haochaping.domain.errors import NotFound
from haochaping.domain.rating import NON_BLANK
from haochaping.settings import get_settings

router = Router()


class SignInElsewhere(NotFound):
    """The stack trusts an external identity issuer (StaffIdentity external): no password here."""

    code = "sign_in_elsewhere"


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=1, max_length=64, pattern=NON_BLANK, description="job number 工号")
    password: str = Field(min_length=1, max_length=256, pattern=NON_BLANK)


class StaffSession(BaseModel):
    """A signed-in staff member's token: send it as 'Authorization: Bearer …' to the staff routes."""

    model_config = ConfigDict(extra="forbid")

    id_token: str = Field(description="a JWT the staff routes' authorizer accepts")
    expires_in: int = Field(description="seconds the token stays valid")


@router.post(
    "/staff/session",
    summary="Staff sign-in 工作人员登录",
    responses=answers(
        {200: json_answer("Signed in", StaffSession, NO_STORE)},
        {
            401: "the job number or password is not accepted, or the account must be completed by an "
            "administrator first (sign_in_refused)",
            404: "staff of this division sign in with its identity platform, not here (sign_in_elsewhere)",
            422: "invalid fields, each named",
        },
        body=True,
    ),
)
def post_session(credentials: SignIn) -> Response[Any]:
    client_id = get_settings().staff_user_pool_client_id
    if not client_id:
        raise SignInElsewhere(
            "staff of this division sign in with its identity platform; send that token as 'Authorization: Bearer …'"
        )
    tokens = sign_in(client_id, credentials.username, credentials.password)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=StaffSession(**tokens).model_dump(),
        headers={"Cache-Control": "no-store"},
    )
