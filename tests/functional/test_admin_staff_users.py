"""`haochaping staff users`: console users in the stack's user pool, against the 640100 stack in moto.

The stack is created from template.yaml by the local twin's code (which creates the Cognito
pool, client and groups moto's CloudFormation skips); the demo registry is loaded through the
command line, as an admin would.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from haochaping.admin.cli import main
from haochaping.admin.registry_files import read_registry_files
from haochaping.admin.stack import StackError, describe_district_stack
from haochaping.admin.staff_users import find_staff_pool, password_problems, sync_staff_users
from haochaping.domain.registry import Registry, StaffRole
from localtwin.stack import Stack

from tests.conftest import ROOT
from tests.functional.conftest import division_stack_in_moto

pytestmark = pytest.mark.functional

DIVISION = "640100"
STACK_NAME = f"haochaping-{DIVISION}"
DEMO_YAML = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"
PASSWORD = "Functional-Test-2026"  # not a real password: moto only


@dataclass
class District:
    stack: Stack
    registry: Registry

    @property
    def pool_id(self) -> str:
        return str(self.stack.resolve({"Fn::GetAtt": ["StaffIdentityPool", "Outputs.UserPoolId"]}))

    @property
    def client_id(self) -> str:
        return str(self.stack.resolve({"Fn::GetAtt": ["StaffIdentityPool", "Outputs.ClientId"]}))


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    with division_stack_in_moto(tmp_path_factory.mktemp("aws"), DIVISION, STACK_NAME) as (stack, _):
        assert main(["registry", "load", str(DEMO_YAML), "--stack", STACK_NAME], out=io.StringIO()) == 0
        yield District(stack=stack, registry=read_registry_files(DEMO_YAML))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cognito() -> Any:
    return boto3.client("cognito-idp")


def users(district: District) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for page in cognito().get_paginator("list_users").paginate(UserPoolId=district.pool_id):
        for user in page["Users"]:
            user["attributes"] = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            found[user["Username"]] = user
    return found


def groups_of(district: District, username: str) -> set[str]:
    listed = cognito().admin_list_groups_for_user(UserPoolId=district.pool_id, Username=username)
    return {group["GroupName"] for group in listed["Groups"]}


def sign_in(district: District, username: str, password: str = PASSWORD) -> dict[str, Any]:
    result = cognito().initiate_auth(
        ClientId=district.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return dict(result["AuthenticationResult"])


def staff_of(registry: Registry, role: StaffRole) -> list[str]:
    return [person.job_number for person in registry.staff if person.role == role]


# ---------------------------------------------------------------- the pool the stack has


def test_the_stack_has_the_templates_pool_client_and_groups(district: District) -> None:
    # Given the stack created from template.yaml
    # When its user pool is looked at
    pool = cognito().describe_user_pool(UserPoolId=district.pool_id)["UserPool"]
    client = cognito().describe_user_pool_client(UserPoolId=district.pool_id, ClientId=district.client_id)
    groups = cognito().list_groups(UserPoolId=district.pool_id)["Groups"]
    # Then it is the template's: name, custom attributes, password policy, client flows, groups
    assert pool["Name"] == f"haochaping-{DIVISION}-staff"
    assert {a["Name"] for a in pool["SchemaAttributes"]} >= {"custom:hall", "custom:division"}
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert set(client["UserPoolClient"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert {g["GroupName"] for g in groups} == {"officer", "supervisor", "admin", "overseer"}
    # And every function is told the real pool and client
    environment = district.stack.functions["SubmitRatingFunction"].environment
    assert environment["STAFF_USER_POOL_ID"] == district.pool_id
    assert environment["STAFF_USER_POOL_CLIENT_ID"] == district.client_id


def test_the_pool_is_found_by_the_templates_name(district: District) -> None:
    stack = describe_district_stack(STACK_NAME)
    assert find_staff_pool(stack, cognito()) == (f"haochaping-{DIVISION}-staff", district.pool_id)


# ---------------------------------------------------------------- refusals (before any user exists)


def test_new_users_need_a_password(district: District, capsys: pytest.CaptureFixture[str]) -> None:
    # Given no console user yet
    # When the command runs without a password
    code, _, err = run(["staff", "users", "--stack", STACK_NAME], capsys)
    # Then it is refused as invalid, and no user is made
    assert code == 2
    assert "--password" in err
    assert users(district) == {}


def test_a_password_the_pool_would_refuse_is_refused_without_being_printed(
    district: District, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a password shorter than the pool's minimum and without digits
    weak = "Shortpass"
    # When the command runs with it
    code, out, err = run(["staff", "users", "--stack", STACK_NAME, "--password", weak], capsys)
    # Then it is refused, says why, never echoes the password, and makes no user
    assert code == 2
    assert "at least 12 characters" in err and "a digit" in err
    assert weak not in out + err
    assert users(district) == {}


def test_an_unreadable_password_file_is_an_invalid_argument(
    district: District, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["staff", "users", "--stack", STACK_NAME, "--password-file", str(tmp_path / "missing.txt")], capsys
    )
    assert code == 2
    assert "missing.txt" in err


def test_an_unknown_stack_is_an_aws_error(district: District, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["staff", "users", "--stack", "haochaping-999999", "--password", PASSWORD], capsys)
    assert code == 1
    assert "haochaping-999999" in err


# ---------------------------------------------------------------- creating and updating


def test_staff_users_creates_one_user_per_console_role_and_none_for_clerks(
    district: District, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the demo registry loaded in the stack, and the first password in a file
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    # When the command runs
    code, out, err = run(
        ["staff", "users", "--stack", STACK_NAME, "--password-file", str(password_file), "--examples", "3"], capsys
    )
    # Then it reports the users per group, and never a name or the password
    assert code == 0
    assert "officer 21, supervisor 13, admin 1, overseer 1; 36 created, 0 updated, 0 unchanged" in out
    assert "388 clerks have no console access" in out
    assert PASSWORD not in out + err
    assert not any(person.name in out + err for person in district.registry.staff)
    # And prints example sign-ins, one per role, with job number and hall
    examples = [line for line in out.splitlines() if line.startswith("sign in as ")]
    assert [line.split("(")[1].split(",")[0] for line in examples] == ["officer", "supervisor", "admin"]
    # And every officer, supervisor, admin and overseer has a user: job number, hall, division, role's group
    made = users(district)
    console = [p for p in district.registry.staff if p.role != StaffRole.CLERK]
    assert set(made) == {p.job_number for p in console}
    for person in console:
        assert made[person.job_number]["attributes"]["custom:hall"] == person.hall_code
        assert made[person.job_number]["attributes"]["custom:division"] == DIVISION
    officer = staff_of(district.registry, StaffRole.OFFICER)[0]
    assert groups_of(district, officer) == {"officer"}
    assert groups_of(district, staff_of(district.registry, StaffRole.ADMIN)[0]) == {"admin"}
    assert groups_of(district, staff_of(district.registry, StaffRole.OVERSEER)[0]) == {"overseer"}
    # And a user can sign in with the password
    tokens = sign_in(district, officer)
    assert tokens["IdToken"] and tokens["AccessToken"]


def test_running_it_again_changes_nothing_and_duplicates_nothing(
    district: District, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the users made by a first run
    before = users(district)
    # When the command runs again, without a password
    code, out, _ = run(["staff", "users", "--stack", STACK_NAME], capsys)
    # Then nothing is created or updated, and the users are the same
    assert code == 0
    assert "0 created, 0 updated, 36 unchanged" in out
    assert set(users(district)) == set(before)
    assert sign_in(district, staff_of(district.registry, StaffRole.SUPERVISOR)[0])["IdToken"]


def test_registry_changes_move_users_between_groups_halls_and_access(district: District) -> None:
    # Given an officer who became a clerk, a clerk who became a supervisor, a supervisor who moved hall
    demoted = staff_of(district.registry, StaffRole.OFFICER)[0]
    promoted = staff_of(district.registry, StaffRole.CLERK)[0]
    moved = staff_of(district.registry, StaffRole.SUPERVISOR)[0]
    other_hall = next(h.code for h in district.registry.halls if h.code != _hall_of(district.registry, moved))
    staff = []
    for person in district.registry.staff:
        if person.job_number == demoted:
            person = person.model_copy(update={"role": StaffRole.CLERK})
        elif person.job_number == promoted:
            person = person.model_copy(update={"role": StaffRole.SUPERVISOR})
        elif person.job_number == moved:
            person = person.model_copy(update={"hall_code": other_hall})
        staff.append(person)
    changed = district.registry.model_copy(update={"staff": tuple(staff)})
    # When the users are brought in line with it
    synced = sync_staff_users(describe_district_stack(STACK_NAME), changed, password=PASSWORD)
    # Then the new supervisor is created, the mover updated, the demoted officer disabled
    assert (synced.created, synced.updated, synced.disabled) == (1, 1, 1)
    assert synced.per_group["officer"] == 20 and synced.per_group["supervisor"] == 14
    made = users(district)
    assert groups_of(district, promoted) == {"supervisor"}
    assert made[moved]["attributes"]["custom:hall"] == other_hall
    assert groups_of(district, demoted) == set()
    assert made[demoted]["Enabled"] is False
    # And going back to the registry restores them (the promoted clerk loses access again)
    back = sync_staff_users(describe_district_stack(STACK_NAME), district.registry, password=None)
    assert (back.created, back.updated, back.disabled) == (0, 2, 1)
    assert groups_of(district, demoted) == {"officer"}
    assert users(district)[demoted]["Enabled"] is True
    assert users(district)[promoted]["Enabled"] is False


def _hall_of(registry: Registry, job_number: str) -> str:
    return next(p.hall_code for p in registry.staff if p.job_number == job_number)


def test_reset_passwords_sets_the_password_of_existing_users(
    district: District, capsys: pytest.CaptureFixture[str]
) -> None:
    new_password = "Another-Test-2027"
    code, out, err = run(
        ["staff", "users", "--stack", STACK_NAME, "--password", new_password, "--reset-passwords"], capsys
    )
    assert code == 0
    assert "set the given password for 36 users" in err
    assert new_password not in out + err
    assert sign_in(district, staff_of(district.registry, StaffRole.ADMIN)[0], new_password)["IdToken"]


# ---------------------------------------------------------------- pure parts


def test_password_problems_follow_the_pools_policy() -> None:
    policy = {"MinimumLength": 12, "RequireLowercase": True, "RequireUppercase": True, "RequireNumbers": True}
    assert password_problems("Demo-Console-2026", policy) == []
    assert password_problems("demo-console-2026", policy) == ["an upper-case letter"]
    assert password_problems("Demo-Console", policy) == ["a digit"]
    assert password_problems("Ab1", {**policy, "RequireSymbols": True}) == ["at least 12 characters", "a symbol"]


def test_a_missing_pool_is_a_stack_error(district: District) -> None:
    stack = describe_district_stack(STACK_NAME)
    other = type(stack)(name=stack.name, outputs=stack.outputs, parameters={**stack.parameters, "DivisionCode": "1"})
    with pytest.raises(StackError, match="haochaping-1-staff"):
        find_staff_pool(other, cognito())
