"""Shared by every tier: where the project is, and its template."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def use_offline_aws(environment: pytest.MonkeyPatch, config_dir: Path, region: str = "us-east-1") -> None:
    """Fake credentials, no profile and no endpoint override: nothing can reach a real account,
    and mock_aws (which intercepts nothing while an endpoint is set) sees every call."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}:
            environment.delenv(name)
    environment.setenv("AWS_ACCESS_KEY_ID", "testing")
    environment.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    environment.setenv("AWS_SESSION_TOKEN", "testing")
    environment.setenv("AWS_DEFAULT_REGION", region)
    environment.setenv("AWS_REGION", region)
    environment.setenv("AWS_CONFIG_FILE", str(config_dir / "no-aws-config"))
    environment.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config_dir / "no-aws-credentials"))
