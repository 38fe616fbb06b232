"""CloudFormation intrinsic functions, for the values moto cannot resolve.

moto resolves a template's intrinsics itself, except where they touch a resource type its
CloudFormation skips (``Ref`` gives nothing, ``Fn::Sub`` keeps the ``${...}`` text, ``Fn::GetAtt``
fails the whole create). The twin creates those resources itself, so it resolves every value
that touches them: the parts that touch them from what it created, and every other part by
asking moto (each such part becomes a stack output of moto's copy of the template).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

INTRINSICS = {
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::If",
    "Fn::FindInMap",
    "Fn::ImportValue",
    "Fn::Base64",
    "Fn::GetAZs",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::Not",
    "Fn::And",
    "Fn::Or",
}
SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in INTRINSICS


def _sub_parts(value: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(value, list):
        return str(value[0]), dict(value[1]) if len(value) > 1 else {}
    return str(value), {}


def _get_att(value: Any) -> tuple[str, str]:
    if isinstance(value, list):
        return str(value[0]), ".".join(str(v) for v in value[1:])
    name, _, attribute = str(value).partition(".")
    return name, attribute


def referenced_names(value: Any) -> set[str]:
    """Logical ids, parameters and pseudo parameters a value refers to."""
    names: set[str] = set()
    if isinstance(value, list):
        for item in value:
            names |= referenced_names(item)
    elif isinstance(value, dict):
        if set(value) == {"Ref"}:
            names.add(str(value["Ref"]))
        elif set(value) == {"Fn::GetAtt"}:
            names.add(_get_att(value["Fn::GetAtt"])[0])
        elif set(value) == {"Fn::Sub"}:
            text, variables = _sub_parts(value["Fn::Sub"])
            for variable in SUB_VARIABLE.findall(text):
                name = variable.split(".")[0]
                if variable not in variables:
                    names.add(name)
            names |= referenced_names(list(variables.values()))
        else:
            for item in value.values():
                names |= referenced_names(item)
    return names


def touches(value: Any, logical_ids: set[str]) -> bool:
    return bool(referenced_names(value) & logical_ids)


def output_name(value: Any) -> str:
    """A stable stack output name for one intrinsic value."""
    digest = hashlib.sha1(json.dumps(value, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
    return f"TwinValue{digest[:16]}"


def moto_parts(value: Any, created: set[str]) -> Iterator[Any]:
    """The largest intrinsic parts of ``value`` that moto can resolve (they touch nothing in ``created``)."""
    if isinstance(value, list):
        for item in value:
            yield from moto_parts(item, created)
    elif isinstance(value, dict):
        if is_intrinsic(value) and not touches(value, created):
            yield value
            return
        if set(value) == {"Fn::Sub"}:
            text, variables = _sub_parts(value["Fn::Sub"])
            for variable in SUB_VARIABLE.findall(text):
                if variable in variables:
                    continue
                name, _, attribute = variable.partition(".")
                if name in created:
                    continue
                yield {"Fn::GetAtt": [name, attribute]} if attribute else {"Ref": name}
            yield from moto_parts(list(variables.values()), created)
            return
        for item in value.values():
            yield from moto_parts(item, created)


def replace_touching(value: Any, logical_ids: set[str], placeholder: str) -> Any:
    """``value`` with every intrinsic that touches ``logical_ids`` replaced by ``placeholder``."""
    if isinstance(value, list):
        return [replace_touching(item, logical_ids, placeholder) for item in value]
    if isinstance(value, dict):
        if is_intrinsic(value) and touches(value, logical_ids):
            return placeholder
        return {key: replace_touching(item, logical_ids, placeholder) for key, item in value.items()}
    return value


def substitute_known(value: Any, logical_ids: set[str], resolve: Callable[[Any], Any]) -> Any:
    """``value`` with each ``Ref``/``Fn::GetAtt`` of ``logical_ids`` (in ``Fn::Sub`` text too) written as
    what ``resolve`` gives: for resources whose names and ARNs are known before moto's stack exists."""
    if isinstance(value, list):
        return [substitute_known(item, logical_ids, resolve) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in logical_ids:
        return resolve(value)
    if set(value) == {"Fn::GetAtt"} and _get_att(value["Fn::GetAtt"])[0] in logical_ids:
        return resolve(value)
    if set(value) == {"Fn::Sub"}:
        text, variables = _sub_parts(value["Fn::Sub"])

        def written(match: re.Match[str]) -> str:
            variable = match.group(1)
            name, _, attribute = variable.partition(".")
            if variable in variables or name not in logical_ids:
                return match.group(0)
            part = {"Fn::GetAtt": [name, attribute]} if attribute else {"Ref": name}
            return str(resolve(part)).replace("${", "${!")

        text = SUB_VARIABLE.sub(written, text)
        if not variables:
            return {"Fn::Sub": text}
        return {"Fn::Sub": [text, substitute_known(variables, logical_ids, resolve)]}
    return {key: substitute_known(item, logical_ids, resolve) for key, item in value.items()}


class CannotResolve(ValueError):
    """An intrinsic the twin cannot resolve on its own."""


class _NoValue:
    """``Ref AWS::NoValue``: the property it stands in is left out."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass
class Created:
    """A resource the twin created itself: what ``Ref`` and ``Fn::GetAtt`` give for it."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Resolver:
    """Resolves values against what moto resolved (its outputs) and what the twin created."""

    created: dict[str, Created]
    moto_values: Mapping[str, str]  # output name (see output_name) → value moto gave
    parameters: Mapping[str, str]
    pseudo: Mapping[str, Any]
    physical_ids: Callable[[str], str | None]
    condition_definitions: Mapping[str, Any] = field(default_factory=dict)  # the template's Conditions
    conditions: dict[str, bool] = field(default_factory=dict)  # those evaluated so far

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if not is_intrinsic(value):
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if not touches(value, set(self.created)):
            known = self.moto_values.get(output_name(value))
            if known is not None:
                return known
        function, argument = next(iter(value.items()))
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self.resolve(when_true if self.condition(str(name)) else when_false)
        if function == "Ref":
            return self._ref(str(argument))
        if function == "Fn::GetAtt":
            return self._get_att(*_get_att(argument))
        if function == "Fn::Sub":
            return self._sub(argument)
        if function == "Fn::Join":
            separator, items = argument
            return str(separator).join(str(item) for item in self.resolve(items))
        if function == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(self.resolve(index))]
        if function == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text)).split(str(separator))
        if function == "Fn::Base64":
            return base64.b64encode(str(self.resolve(argument)).encode()).decode()
        raise CannotResolve(f"the local twin does not resolve {function} here: {json.dumps(value)}")

    def condition(self, name: str) -> bool:
        """A named condition of the template, evaluated on this stack's parameters once."""
        if name not in self.conditions:
            if name not in self.condition_definitions:
                raise CannotResolve(f"condition {name}: not in the template's Conditions")
            self.conditions[name] = self.holds(self.condition_definitions[name])
        return self.conditions[name]

    def holds(self, expression: Any) -> bool:
        """A condition's expression (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition) on this stack."""
        if not isinstance(expression, dict) or len(expression) != 1:
            raise CannotResolve(f"not a condition: {json.dumps(expression)}")
        function, argument = next(iter(expression.items()))
        if function == "Condition":
            return self.condition(str(argument))
        if function == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self.holds(argument[0])
        if function == "Fn::And":
            return all(self.holds(item) for item in argument)
        if function == "Fn::Or":
            return any(self.holds(item) for item in argument)
        raise CannotResolve(f"the local twin does not evaluate {function} in a condition")

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.created:
            return self.created[name].physical_id
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        physical = self.physical_ids(name)
        if physical is None:
            raise CannotResolve(f"Ref {name}: no such parameter or resource")
        return physical

    def _get_att(self, name: str, attribute: str) -> Any:
        if name in self.created:
            attributes = self.created[name].attributes
            if attribute not in attributes:
                raise CannotResolve(f"Fn::GetAtt {name}.{attribute}: the twin knows only {sorted(attributes)}")
            return attributes[attribute]
        raise CannotResolve(f"Fn::GetAtt {name}.{attribute}: not among the values moto resolved for the twin")

    def _sub(self, argument: Any) -> str:
        text, variables = _sub_parts(argument)
        values = {key: self.resolve(item) for key, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable in values:
                return str(values[variable])
            name, _, attribute = variable.partition(".")
            if attribute:
                return str(self.resolve({"Fn::GetAtt": [name, attribute]}))
            return str(self.resolve({"Ref": name}))

        return SUB_VARIABLE.sub(substitute, text).replace("${!", "${")
