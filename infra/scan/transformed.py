"""Write template.yaml as plain CloudFormation: the SAM transform done offline, for scanners.

    python infra/scan/transformed.py [template.yaml] [build/template.transformed.json]

No parameter values are given: they stay `Ref`s, so the scan holds for every division. Local
`CodeUri`/`ContentUri` folders become placeholder `s3://` URIs, as `sam package` would make them.
Deliberately free of the local twin: nothing here is shaped for moto.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REGION = "us-east-1"  # the transform needs one; the partition's managed-policy map below matches it
PLACEHOLDER_BUCKET = "scan-placeholder-code"


class _BundledPolicies:
    """Managed policy names → ARNs from samtranslator's bundled map, without calling IAM."""

    def load(self) -> dict[str, str]:
        return dict(get_bundled_managed_policy_map("aws"))


def transformed(template: Path) -> dict[str, Any]:
    os.environ["AWS_DEFAULT_REGION"] = REGION  # not the shell's: the same output everywhere
    # samtranslator warns on stderr about usage metrics it has nowhere to publish offline.
    logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)
    sam = yaml_parse(template.read_text(encoding="utf-8"))
    for logical_id, resource in sam.get("Resources", {}).items():
        props = resource.get("Properties") or {}
        for prop in ("CodeUri", "ContentUri"):
            value = props.get(prop)
            if isinstance(value, str) and not value.startswith("s3://"):
                props[prop] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}.zip"
    return dict(transform(sam, {}, _BundledPolicies()))


def main(argv: list[str]) -> int:
    template = Path(argv[0] if argv else "template.yaml")
    out = Path(argv[1] if len(argv) > 1 else "build/template.transformed.json")
    cfn = transformed(template)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cfn, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{template} transformed offline: {len(cfn['Resources'])} resources in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
