"""Staff sign-in against the stack's Cognito user pool."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError
from botocore.session import get_session

from haochaping.domain.errors import Unauthorized


class SignInRefused(Unauthorized):
    code = "sign_in_refused"


@lru_cache(maxsize=1)
def _cognito() -> Any:
    return get_session().create_client("cognito-idp")


def sign_in(client_id: str, username: str, password: str) -> dict[str, Any]:
    """Tokens for a job number and password; one vague refusal for every failure."""
    try:
        response = _cognito().initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except ClientError:
        raise SignInRefused("job number or password not accepted") from None
    result = response.get("AuthenticationResult") or {}
    if "IdToken" not in result:  # a challenge (e.g. a new password) the console does not handle
        raise SignInRefused("this account must be completed by an administrator first")
    return {"id_token": result["IdToken"], "expires_in": int(result.get("ExpiresIn", 3600))}
