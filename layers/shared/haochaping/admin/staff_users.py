"""Staff console users 工作台账号: one Cognito user per officer, supervisor, admin and overseer in the registry.

The user pool belongs to the division's stack; it is found by the name the template gives it,
``haochaping-<DivisionCode>-staff``, which works the same on AWS and on the local twin (whose
CloudFormation does not list the pool among the stack's resources). Usernames are job numbers;
the ``custom:hall`` and ``custom:division`` attributes and the group (= role) go into the token.
Staff names never leave the registry, and the password is never printed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from haochaping.admin.operations import stack_registry
from haochaping.admin.stack import DistrictStack, StackError, describe_district_stack
from haochaping.domain.registry import Registry, Staff, StaffRole

# role → console group; clerks 窗口工作人员 have no console access.
CONSOLE_GROUPS: Mapping[StaffRole, str] = {
    StaffRole.OFFICER: "officer",
    StaffRole.SUPERVISOR: "supervisor",
    StaffRole.ADMIN: "admin",
    StaffRole.OVERSEER: "overseer",  # the management office 管理办公室: the division's reports 通报
}
HALL_ATTRIBUTE = "custom:hall"
DIVISION_ATTRIBUTE = "custom:division"


class PasswordRejected(ValueError):
    """The password does not meet the pool's policy (the message never contains the password)."""


def staff_pool_name(division_code: str) -> str:
    """As the template names the pool: ``haochaping-${DivisionCode}-staff``."""
    return f"haochaping-{division_code}-staff"


@dataclass(frozen=True)
class SignIn:
    """An example console sign-in: who, never the password."""

    job_number: str
    group: str
    hall_code: str


@dataclass
class StaffUsersSynced:
    stack: DistrictStack
    pool_name: str
    pool_id: str
    per_group: Counter[str] = field(default_factory=Counter)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    passwords_set: int = 0
    without_console: int = 0  # clerks: no user
    disabled: int = 0  # clerks who had a console user: taken out of the groups and disabled
    examples: list[SignIn] = field(default_factory=list)


def _paginate(client: Any, operation: str, key: str, **arguments: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**arguments):
        yield from page.get(key, [])


def find_staff_pool(stack: DistrictStack, client: Any) -> tuple[str, str]:
    """The stack's user pool: (name, id). Exactly one pool may carry the name."""
    name = staff_pool_name(stack.division_code)
    found = [p["Id"] for p in _paginate(client, "list_user_pools", "UserPools", MaxResults=60) if p["Name"] == name]
    if not found:
        raise StackError(f"stack {stack.name} has no user pool named {name}")
    if len(found) > 1:
        raise StackError(f"{len(found)} user pools are named {name} ({', '.join(found)}); remove the stray ones")
    return name, found[0]


def password_problems(password: str, policy: Mapping[str, Any]) -> list[str]:
    """What the pool's password policy would refuse, said without the password."""
    rules = [
        (len(password) >= int(policy.get("MinimumLength", 8)), f"at least {policy.get('MinimumLength', 8)} characters"),
        (not policy.get("RequireLowercase") or re.search(r"[a-z]", password), "a lower-case letter"),
        (not policy.get("RequireUppercase") or re.search(r"[A-Z]", password), "an upper-case letter"),
        (not policy.get("RequireNumbers") or re.search(r"[0-9]", password), "a digit"),
        (not policy.get("RequireSymbols") or re.search(r"[^A-Za-z0-9\s]", password), "a symbol"),
    ]
    return [text for ok, text in rules if not ok]


def _console_staff(registry: Registry) -> list[tuple[Staff, str]]:
    return [(person, CONSOLE_GROUPS[person.role]) for person in registry.staff if person.role in CONSOLE_GROUPS]


def sync_staff_users(
    stack: DistrictStack,
    registry: Registry,
    *,
    password: str | None,
    reset_passwords: bool = False,
    examples: int = 0,
    session: boto3.Session | None = None,
) -> StaffUsersSynced:
    """Create or update one user per console staff member; idempotent.

    New users get ``password`` as their permanent password; existing users keep theirs
    unless ``reset_passwords``. A clerk who has a user (a former officer, say) is taken out
    of the console groups and disabled. Users that are not staff in the registry are left alone.
    """
    client: Any = (session or boto3.Session()).client("cognito-idp")
    pool_name, pool_id = find_staff_pool(stack, client)
    result = StaffUsersSynced(stack=stack, pool_name=pool_name, pool_id=pool_id)
    pool = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    groups = {g["GroupName"] for g in _paginate(client, "list_groups", "Groups", UserPoolId=pool_id)}
    missing_groups = sorted(set(CONSOLE_GROUPS.values()) - groups)
    if missing_groups:
        raise StackError(f"user pool {pool_name} lacks the groups {', '.join(missing_groups)}")

    users = {u["Username"].upper(): u for u in _paginate(client, "list_users", "Users", UserPoolId=pool_id)}
    members: dict[str, set[str]] = {}
    for group in CONSOLE_GROUPS.values():
        for user in _paginate(client, "list_users_in_group", "Users", UserPoolId=pool_id, GroupName=group):
            members.setdefault(user["Username"].upper(), set()).add(group)

    console = _console_staff(registry)
    new_users = [person for person, _ in console if person.job_number.upper() not in users]
    if (new_users or reset_passwords) and password is None:
        raise PasswordRejected(
            f"{len(new_users)} staff have no console user yet: give their first password with "
            "--password or --password-file"
            if new_users
            else "--reset-passwords needs --password or --password-file"
        )
    if password is not None:
        problems = password_problems(password, (pool.get("Policies") or {}).get("PasswordPolicy") or {})
        if problems:
            raise PasswordRejected(
                f"the password does not meet the policy of {pool_name}: it needs {', '.join(problems)}"
            )

    for person, group in console:
        key = person.job_number.upper()
        wanted = {HALL_ATTRIBUTE: person.hall_code, DIVISION_ATTRIBUTE: registry.division_code}
        existing = users.get(key)
        if existing is None:
            username = person.job_number
            client.admin_create_user(
                UserPoolId=pool_id,
                Username=username,
                UserAttributes=[{"Name": k, "Value": v} for k, v in wanted.items()],
                MessageAction="SUPPRESS",
            )
            client.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
            result.created += 1
        else:
            username = existing["Username"]
            if _update_user(client, pool_id, existing, wanted, group, members.get(key, set())):
                result.updated += 1
            else:
                result.unchanged += 1
        if password is not None and (existing is None or reset_passwords):
            client.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
            result.passwords_set += 1
        result.per_group[group] += 1

    for person in registry.staff:
        if person.role in CONSOLE_GROUPS:
            continue
        result.without_console += 1
        existing = users.get(person.job_number.upper())
        if existing is None:
            continue
        for group in members.get(person.job_number.upper(), set()):
            client.admin_remove_user_from_group(UserPoolId=pool_id, Username=existing["Username"], GroupName=group)
        if existing.get("Enabled", True):
            client.admin_disable_user(UserPoolId=pool_id, Username=existing["Username"])
        result.disabled += 1

    result.examples = _examples(console, examples)
    return result


def _update_user(
    client: Any, pool_id: str, user: Mapping[str, Any], wanted: Mapping[str, str], group: str, groups: set[str]
) -> bool:
    """Bring an existing user in line with the registry; True when anything changed."""
    username = user["Username"]
    have = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
    stale = {k: v for k, v in wanted.items() if have.get(k) != v}
    if stale:
        client.admin_update_user_attributes(
            UserPoolId=pool_id, Username=username, UserAttributes=[{"Name": k, "Value": v} for k, v in stale.items()]
        )
    if not user.get("Enabled", True):
        client.admin_enable_user(UserPoolId=pool_id, Username=username)
    for other in groups - {group}:
        client.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName=other)
    if group not in groups:
        client.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    return bool(stale) or not user.get("Enabled", True) or groups != {group}


def _examples(console: list[tuple[Staff, str]], count: int) -> list[SignIn]:
    """Up to ``count`` sign-ins, one group after the other (officer, supervisor, admin, overseer, officer, ...)."""
    by_group: dict[str, list[Staff]] = {}
    for person, group in console:
        by_group.setdefault(group, []).append(person)
    chosen: list[SignIn] = []
    round_ = 0
    while len(chosen) < count and any(round_ < len(people) for people in by_group.values()):
        for group in CONSOLE_GROUPS.values():
            people = by_group.get(group, [])
            if round_ < len(people) and len(chosen) < count:
                chosen.append(SignIn(people[round_].job_number, group, people[round_].hall_code))
        round_ += 1
    return chosen


def sync_stack_staff_users(
    stack_name: str, *, password: str | None, reset_passwords: bool = False, examples: int = 0
) -> StaffUsersSynced:
    """`haochaping staff users`: the console users of the staff in the registry the stack holds."""
    stack = describe_district_stack(stack_name)
    registry = stack_registry(stack)
    return sync_staff_users(stack, registry, password=password, reset_passwords=reset_passwords, examples=examples)
