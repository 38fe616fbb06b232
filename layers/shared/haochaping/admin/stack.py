"""A deployed district stack as the admin tools see it: its outputs, parameters and secret.

Everything is found from the stack's name through CloudFormation, so an admin never copies a
table name by hand. boto3 takes its credentials, region and endpoint (``AWS_ENDPOINT_URL`` for
the local twin) from the standard environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from haochaping.adapters.calendar import CalendarStore
from haochaping.adapters.ratings import RatingStore
from haochaping.adapters.registry import RegistryStore
from haochaping.adapters.registry_records import RecordCache
from haochaping.adapters.tables import RatingsTable, registry_table
from haochaping.adapters.tasks import TaskStore

REGISTRY_TABLE_OUTPUT = "RegistryTableName"
RATINGS_TABLE_OUTPUT = "RatingsTableName"
DIVISION_CODE_PARAMETER = "DivisionCode"
# A township's or street's last 3 digits; the template's DivisionCode holds its county's 6.
TOWNSHIP_CODE_PARAMETER = "TownshipCode"
PUBLIC_BASE_URL_PARAMETER = "PublicBaseUrl"
TICKET_VALIDITY_PARAMETER = "TicketValidityHours"


class StackError(RuntimeError):
    """The stack cannot be found or lacks something the admin tools need."""


@dataclass(frozen=True)
class DistrictStack:
    """One division's deployed stack: what ``describe_stacks`` says about it."""

    name: str
    outputs: Mapping[str, str]
    parameters: Mapping[str, str]

    def output(self, key: str) -> str:
        if key not in self.outputs:
            known = ", ".join(sorted(self.outputs)) or "none"
            raise StackError(f"stack {self.name} has no output {key} (outputs: {known})")
        return self.outputs[key]

    def parameter(self, key: str) -> str:
        if key not in self.parameters:
            raise StackError(f"stack {self.name} has no parameter {key}")
        return self.parameters[key]

    @property
    def registry_table(self) -> str:
        return self.output(REGISTRY_TABLE_OUTPUT)

    @property
    def ratings_table(self) -> str:
        return self.output(RATINGS_TABLE_OUTPUT)

    @property
    def division_code(self) -> str:
        """6 digits (city, county) or 9 (township, street), as the template joins its two parameters."""
        return self.parameter(DIVISION_CODE_PARAMETER) + self.parameters.get(TOWNSHIP_CODE_PARAMETER, "")

    @property
    def public_base_url(self) -> str:
        return self.parameter(PUBLIC_BASE_URL_PARAMETER).rstrip("/")

    @property
    def signing_secret_name(self) -> str:
        """As the template names it: ``haochaping/<division code>/signing``."""
        return f"haochaping/{self.division_code}/signing"

    @property
    def ticket_validity_hours(self) -> int | None:
        value = self.parameters.get(TICKET_VALIDITY_PARAMETER)
        return int(value) if value and value.isdigit() else None


def describe_district_stack(stack_name: str, session: boto3.Session | None = None) -> DistrictStack:
    client: Any = (session or boto3.Session()).client("cloudformation")
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise StackError(
            f"cannot describe stack {stack_name}: {error.response['Error'].get('Message', error)}"
        ) from None
    except BotoCoreError as error:
        raise StackError(f"cannot reach CloudFormation for stack {stack_name}: {error}") from None
    if not stacks:
        raise StackError(f"stack {stack_name} not found")
    description = stacks[0]
    return DistrictStack(
        name=stack_name,
        outputs={item["OutputKey"]: item["OutputValue"] for item in description.get("Outputs", [])},
        parameters={
            item["ParameterKey"]: item.get("ResolvedValue", item.get("ParameterValue", ""))
            for item in description.get("Parameters", [])
        },
    )


# Built anew for each command, so nothing is cached from before it and each reads the stack's tables now.
def registry_store(stack: DistrictStack) -> RegistryStore:
    return RegistryStore(registry_table(stack.registry_table), RecordCache())


def calendar_store(stack: DistrictStack) -> CalendarStore:
    return CalendarStore(registry_table(stack.registry_table), RecordCache())


def rating_store(stack: DistrictStack) -> RatingStore:
    return RatingStore(RatingsTable.named(stack.ratings_table))


def task_store(stack: DistrictStack) -> TaskStore:
    return TaskStore(RatingsTable.named(stack.ratings_table))


def read_signing_secret(stack: DistrictStack, session: boto3.Session | None = None) -> bytes:
    """The stack's signing secret; it signs plates and tickets and is never printed."""
    client: Any = (session or boto3.Session()).client("secretsmanager")
    try:
        response = client.get_secret_value(SecretId=stack.signing_secret_name)
    except ClientError as error:
        message = error.response["Error"].get("Message", str(error))
        raise StackError(f"cannot read the signing secret {stack.signing_secret_name}: {message}") from None
    except BotoCoreError as error:
        raise StackError(f"cannot reach Secrets Manager: {error}") from None
    return str(response["SecretString"]).encode("utf-8")
