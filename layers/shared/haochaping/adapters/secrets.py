"""The stack's signing secret (Secrets Manager), read once per execution environment."""

from __future__ import annotations

from functools import lru_cache

import boto3


@lru_cache(maxsize=4)
def signing_secret(secret_name: str) -> bytes:
    response = boto3.client("secretsmanager").get_secret_value(SecretId=secret_name)
    return response["SecretString"].encode("utf-8")
