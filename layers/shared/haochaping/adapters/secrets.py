"""The stack's signing secret (Secrets Manager), read once per execution environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.session import get_session


@lru_cache(maxsize=4)
def signing_secret(secret_name: str) -> bytes:
    # botocore (already loaded by PynamoDB) rather than boto3: one library less at cold start.
    client: Any = get_session().create_client("secretsmanager")
    response = client.get_secret_value(SecretId=secret_name)
    return str(response["SecretString"]).encode("utf-8")
