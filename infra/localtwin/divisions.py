"""Per-division settings (infra/divisions/<code>.toml) as template parameters."""

from __future__ import annotations

import tomllib
from pathlib import Path

DIVISIONS_DIR = Path(__file__).resolve().parent.parent / "divisions"

# settings file key → template parameter
PARAMETER_NAMES = {
    "division_code": "DivisionCode",
    "division_name": "DivisionName",
    "division_level": "DivisionLevel",
    "public_base_url": "PublicBaseUrl",
    "first_contact_working_days": "FirstContactWorkingDays",
    "rectification_working_days": "RectificationWorkingDays",
    "staff_identity": "StaffIdentity",
    "staff_issuer_url": "StaffIssuerUrl",
    "staff_audience": "StaffAudience",
    "alarm_endpoint": "AlarmEndpoint",
    "alarm_endpoint_protocol": "AlarmEndpointProtocol",
    "report_endpoint": "ReportEndpoint",
    "report_endpoint_protocol": "ReportEndpointProtocol",
}
# settings file keys that say where and how a division is deployed, not template parameters
DEPLOY_SETTINGS = {"region"}
# A township's or street's 9-digit code is its county's 6 digits and 3 of its own. The template takes
# them as DivisionCode and TownshipCode, so that its Rules can tie the level to the code's length.
COUNTY_CODE_DIGITS = 6
TOWNSHIP_CODE_PARAMETER = "TownshipCode"


def division_codes(directory: Path = DIVISIONS_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def division_settings(code: str, directory: Path = DIVISIONS_DIR) -> dict[str, str]:
    path = directory / f"{code}.toml"
    if not path.exists():
        known = ", ".join(division_codes(directory))
        raise SystemExit(f"no settings for division {code} in {directory} (known: {known})")
    settings = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(settings) - set(PARAMETER_NAMES) - DEPLOY_SETTINGS
    if unknown:
        raise SystemExit(f"{path}: unknown settings {sorted(unknown)}")
    return {key: str(value) for key, value in settings.items()}


def code_parameters(division_code: str) -> dict[str, str]:
    """The template's parameters for a division code: ``DivisionCode``, and ``TownshipCode`` for 9 digits."""
    county, township = division_code[:COUNTY_CODE_DIGITS], division_code[COUNTY_CODE_DIGITS:]
    return {PARAMETER_NAMES["division_code"]: county, **({TOWNSHIP_CODE_PARAMETER: township} if township else {})}


def division_parameters(code: str, directory: Path = DIVISIONS_DIR) -> dict[str, str]:
    settings = division_settings(code, directory)
    parameters: dict[str, str] = {}
    for key, value in settings.items():
        if key == "division_code":
            parameters.update(code_parameters(value))
        elif key in PARAMETER_NAMES:
            parameters[PARAMETER_NAMES[key]] = value
    return parameters


def samconfig_text(directory: Path = DIVISIONS_DIR) -> str:
    """samconfig.toml: one config-env per division, so `sam deploy --config-env <code>` deploys it."""
    lines = [
        "# Generated from infra/divisions/*.toml by `make samconfig`; edit those files, not this one.",
        "version = 0.1",
        "",
        "[default.global.parameters]",
        'stack_name = "haochaping"',
        "",
        "[default.build.parameters]",
        "cached = true",
        "parallel = true",
        "",
    ]
    for code in division_codes(directory):
        parameters = division_parameters(code, directory)
        overrides = ", ".join(f'"{k}={v}"' for k, v in parameters.items())
        region = division_settings(code, directory).get("region")
        lines += [
            f"[{code}.deploy.parameters]",
            f'stack_name = "haochaping-{code}"',
            *([f'region = "{region}"'] if region else []),
            'capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"',
            "confirm_changeset = true",
            "resolve_s3 = true",
            f"parameter_overrides = [{overrides}]",
            f'tags = "haochaping:division={code}"',
            "",
        ]
    return "\n".join(lines)
