"""`make run`: the demo division's stack on this machine, until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

from localtwin.divisions import division_parameters

ROOT = Path(__file__).resolve().parents[2]
# Where the shared layer takes the twin's time: every "now" in the code is utc_now() from there.
CLOCK_HOOK = "haochaping.domain.rating:set_clock_offset"


class Step(NamedTuple):
    """A command run against the stack once it is up; with a title, said as it begins."""

    title: str | None
    command: str


class _AppendStep(argparse.Action):
    """--step TITLE COMMAND, kept in one list with --after's, in command-line order."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: str | None = None
    ) -> None:
        title, command = values
        # a new list, as argparse's own append does, so the parser's default stays empty
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest, None) or []), Step(title, command)])


def say(line: str) -> None:
    print(line, flush=True)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="haochaping-twin", description="Run a district stack locally")
    parser.add_argument("--division", default=os.environ.get("DIVISION", "640100"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--speed",
        type=float,
        default=float(os.environ.get("SPEED", "1")),
        help="how many seconds of the twin's time (schedules and the functions' clock) pass per real second",
    )
    parser.add_argument(
        "--clock-hook",
        default=CLOCK_HOOK,
        metavar="MODULE:FUNCTION",
        help="called in each function's process with the twin clock's offset from real time, in seconds "
        "(default %(default)s; '' for none: the functions then keep real time)",
    )
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--quiet", action="store_true", help="do not echo the functions' logs")
    parser.add_argument(
        "--after",
        action="append",
        dest="steps",
        default=[],
        type=lambda command: Step(None, command),
        metavar="COMMAND",
        help="run COMMAND once the stack is up, against it, as an admin would (e.g. load a registry); "
        "{stack} is replaced by the stack name and {url} by the API's URL; what it prints is shown once ready",
    )
    parser.add_argument(
        "--step",
        action=_AppendStep,
        dest="steps",
        nargs=2,
        metavar=("TITLE", "COMMAND"),
        help="as --after, saying TITLE (e.g. 'loading the demo registry') while COMMAND runs",
    )
    args = parser.parse_args(argv)
    if not args.speed > 0:
        parser.error("--speed must be a positive number")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)

    started = time.monotonic()
    extra_lines: list[str] = []
    parameters = division_parameters(args.division)
    parameters["PublicBaseUrl"] = f"http://127.0.0.1:{args.port}"
    stack_name = f"haochaping-{args.division}"
    # The twin's start takes a while (a JVM, moto, a stack of a hundred resources): each phase
    # says so as it begins, so a quiet terminal is never a question.
    say(f"starting the local twin of division {args.division}: DynamoDB Local and moto…")
    # Imported once that is said: boto3 and werkzeug alone take a second or two to load.
    from localtwin.dynamodb_local import EngineMissing
    from localtwin.twin import LocalTwin, TwinServers, env_for_clients

    servers = TwinServers()
    twin = LocalTwin(
        args.template,
        parameters,
        stack_name,
        http_port=args.port,
        speed=args.speed,
        echo_logs=not args.quiet,
        warm=True,
        clock_hook=args.clock_hook or None,
        servers=servers,
    )

    def stop_all() -> None:
        twin.stop()
        servers.stop()  # given to the twin, so not its own to stop

    try:
        servers.start()
        say(f"deploying the stack {stack_name} ({args.template.name}) and starting its functions…")
        twin.start()
    except EngineMissing as error:
        print(f"cannot start: {error}", file=sys.stderr)
        stop_all()
        return 1
    except OSError as error:
        print(f"cannot start: {error} (is port {args.port} in use? set PORT=...)", file=sys.stderr)
        stop_all()
        return 1
    for step in args.steps:
        if step.title:
            say(f"{step.title}…")
        # Admin commands reach the twin exactly as they would reach AWS: through the AWS API.
        result = subprocess.run(  # noqa: S602 - the developer's own command line
            step.command.replace("{stack}", twin.stack_name).replace("{url}", twin.url),
            shell=True,
            capture_output=True,
            text=True,
            env={**os.environ, **env_for_clients(twin.endpoints)},
            check=False,
        )
        if result.returncode != 0:
            print(f"{step.command} failed:\n{result.stderr}", file=sys.stderr)
            stop_all()
            return 1
        extra_lines.extend(line for line in result.stdout.splitlines() if line.strip())
    ready = time.monotonic() - started
    print(
        f"""
haochaping 好差评 — division {args.division} {parameters["DivisionName"]} (local twin, demo data)
  ready in {ready:.1f} s
  API                {twin.url}
  submit a rating    POST {twin.url}/ratings
  OpenAPI document   {twin.url}/openapi.json
  twin's clock       {twin.clock_url}  (×{args.speed:g}; POST {{"advance_seconds": 86400}} jumps a day)
  AWS API (moto)     {twin.endpoint}
  DynamoDB (DynamoDB Local) {twin.endpoints.dynamodb}""",
        flush=True,
    )
    for line in extra_lines:
        print(f"  {line}")
    print("Ctrl-C stops.", flush=True)
    stop = threading.Event()

    def interrupted(*_: object) -> None:
        if stop.is_set():
            # a second Ctrl-C while the servers stop: ends at once, without a traceback from the shutdown
            os._exit(130)
        stop.set()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, interrupted)
    while not stop.is_set():
        stop.wait(0.5)
    print("stopping…", flush=True)
    stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
