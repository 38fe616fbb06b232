"""What the admin's files have in common: one error that lists a file's problems, and YAML read as written.

The registry's files are read by :mod:`haochaping.admin.registry_files`, a year's working-day calendar by
:mod:`haochaping.admin.calendar_files`; both raise :class:`InvalidFileError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import yaml

FileKind = Literal["registry", "calendar"]


class InvalidFileError(ValueError):
    """A registry or calendar file that cannot be read or does not hold valid data, with every problem found."""

    def __init__(self, kind: FileKind, source: str, problems: Sequence[str]) -> None:
        self.kind = kind
        self.source = source
        self.problems = list(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source}: the {kind} is not valid ({len(self.problems)} problem(s)):\n{listing}")


class TextLoader(yaml.SafeLoader):
    """YAML without implicit numbers and dates: ``17:30`` is not 1050, ``640100`` and days stay as written.

    Only ``true``/``false`` and empty values are resolved; the models read the rest.
    """


TextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag in {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
