"""The published results 结果公示 in the stack's bucket, under published/.

The bucket is private; GET /published/{file} serves its files read-only (PublishedFilesFunction).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError
from botocore.session import get_session

PREFIX = "published/"


@lru_cache(maxsize=1)
def s3() -> Any:
    return get_session().create_client("s3")


class S3PublishedFiles:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, name: str, body: bytes, content_type: str) -> None:
        s3().put_object(
            Bucket=self.bucket,
            Key=PREFIX + name,
            Body=body,
            ContentType=content_type,
            CacheControl="public, max-age=300",
        )

    def get(self, name: str) -> tuple[bytes, str] | None:
        try:
            found = s3().get_object(Bucket=self.bucket, Key=PREFIX + name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return found["Body"].read(), found.get("ContentType") or "application/octet-stream"
