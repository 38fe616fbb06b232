"""The `haochaping` commands, one module per command group; each module's ``add_commands`` adds its parsers.

Every command's handler takes the parsed arguments, the output and the error stream, prints its result and
returns the exit code; :func:`haochaping.admin.cli.main` turns the errors it raises into exit codes.
"""

from typing import Any

EXIT_OK, EXIT_AWS, EXIT_INVALID = 0, 1, 2

STACK_HELP = "name of the division's CloudFormation stack, e.g. haochaping-640100"
BASE_URL_HELP = "origin the plates point at (default: the stack's PublicBaseUrl parameter)"


def add_group(commands: Any, name: str, *, help: str, description: str | None = None) -> Any:
    """A command group (`haochaping NAME ACTION`) that prints its usage when no action is given; its actions."""
    group = commands.add_parser(name, help=help, description=description)
    group.set_defaults(handler=None, usage_parser=group)
    return group.add_subparsers(dest=f"{name}_command", metavar="ACTION")
