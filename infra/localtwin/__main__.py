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

from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin, env_for_clients

ROOT = Path(__file__).resolve().parents[2]
# Where the shared layer takes the twin's time: every "now" in the code is utc_now() from there.
CLOCK_HOOK = "haochaping.domain.rating:set_clock_offset"


def main(argv: list[str] | None = None) -> int:
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
        default=[],
        metavar="COMMAND",
        help="run COMMAND once the stack is up, against it, as an admin would (e.g. load a registry); "
        "{stack} is replaced by the stack name and {url} by the API's URL",
    )
    args = parser.parse_args(argv)
    if not args.speed > 0:
        parser.error("--speed must be a positive number")

    started = time.monotonic()
    extra_lines: list[str] = []
    parameters = division_parameters(args.division)
    parameters["PublicBaseUrl"] = f"http://127.0.0.1:{args.port}"
    twin = LocalTwin(
        args.template,
        parameters,
        f"haochaping-{args.division}",
        http_port=args.port,
        speed=args.speed,
        echo_logs=not args.quiet,
        warm=True,
        clock_hook=args.clock_hook or None,
    )
    try:
        twin.start()
    except OSError as error:
        print(f"cannot start: {error} (is port {args.port} in use? set PORT=...)", file=sys.stderr)
        twin.stop()
        return 1
    for command in args.after:
        # Admin commands reach the twin exactly as they would reach AWS: through the AWS API.
        result = subprocess.run(  # noqa: S602 - the developer's own command line
            command.replace("{stack}", twin.stack_name).replace("{url}", twin.url),
            shell=True,
            capture_output=True,
            text=True,
            env={**os.environ, **env_for_clients(twin.endpoints)},
            check=False,
        )
        if result.returncode != 0:
            print(f"{command} failed:\n{result.stderr}", file=sys.stderr)
            twin.stop()
            return 1
        extra_lines.extend(line for line in result.stdout.splitlines() if line.strip())
    ready = time.monotonic() - started
    print(
        f"""
haochaping 好差评 — division {parameters["DivisionCode"]} {parameters["DivisionName"]} (local twin, demo data)
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
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    print("stopping…", flush=True)
    twin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
