"""Personal data of evaluators, encrypted with the stack's KMS key before it is stored.

The plaintext exists only in memory on the way in (and, later, in the assigned officer's
task view); it is never logged. The encryption context binds a ciphertext to its rating.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from botocore.session import get_session


@lru_cache(maxsize=1)
def _kms() -> Any:
    return get_session().create_client("kms")


class KmsEvaluatorSeal:
    """Seals an evaluator's name and phone with the stack's key, bound to their rating."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def seal(self, tracking_code: str, name: str, phone: str) -> bytes:
        plaintext = json.dumps({"name": name, "phone": phone}, ensure_ascii=False).encode("utf-8")
        response = _kms().encrypt(
            KeyId=self.key_id, Plaintext=plaintext, EncryptionContext={"tracking_code": tracking_code}
        )
        return bytes(response["CiphertextBlob"])

    def unseal(self, ciphertext: bytes, tracking_code: str) -> dict[str, str]:
        response = _kms().decrypt(CiphertextBlob=ciphertext, EncryptionContext={"tracking_code": tracking_code})
        return dict(json.loads(response["Plaintext"]))
