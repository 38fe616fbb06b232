"""One function's execution environment: imports the handler once, then serves invocations.

Started by the twin as ``python -m localtwin.worker [--clock-hook MODULE:FUNCTION] [--permissions
FILE [--iam-usage FILE]] CODE_DIR HANDLER [LAYER_DIR ...]`` with the function's own environment.
Requests and results travel as JSON lines on stdin and on a private copy of stdout; the
function's own output (its logs) goes to stderr, as on Lambda.

With ``--clock-hook``, each request carries the twin clock's offset from real time in seconds
(``clock_offset``), and the worker calls ``FUNCTION(offset)`` from ``MODULE`` (imported from the
function's code and layers, after the handler) before the invocation whenever the offset differs
from the one it last passed on. A hook that cannot be imported, or raises, fails every
invocation with ``Runtime.ClockHookError`` rather than letting the function run on real time.

With ``--permissions``, FILE holds the function's IAM role and its policies (see
localtwin.permissions): every AWS call the function makes is checked against them before it is
sent, as IAM would on AWS, and a call they do not allow raises AccessDenied. The check is in
place before the handler is imported, so calls made at import time are checked too. With
``--iam-usage FILE`` as well, each action and resource an allowed call touched is appended to FILE
as a JSON line, once per process (see localtwin.iam_usage); a restarted worker appends to it.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from localtwin import permissions


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = "$LATEST"
        self.invoked_function_arn = request.get("function_arn", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request["request_id"]
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "localtwin"
        self._deadline = float(request["deadline"])
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class ClockHook:
    """The function that sets the twin's time in this process, and the offset it last set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.applied: float | None = None
        self.function: Callable[[float], object] | None = None
        self.error: BaseException | None = None
        module_name, _, function_name = name.partition(":")
        try:
            function = getattr(importlib.import_module(module_name), function_name)
            if not callable(function):
                raise TypeError(f"{name} is not callable")
            self.function = function
        except Exception as error:  # reported on every invocation
            self.error = error
            traceback.print_exc()

    def apply(self, offset: float | None) -> dict[str, Any] | None:
        """Pass a changed offset on; the failure reply when the hook cannot be used, else None."""
        if self.function is not None and offset is not None and offset != self.applied:
            try:
                self.function(float(offset))
                self.applied = offset
            except Exception as error:
                traceback.print_exc()
                self.error = error
        if self.error is None:
            return None
        return {
            "ok": False,
            "error_type": "Runtime.ClockHookError",
            "error_message": f"the twin's clock hook {self.name}: {type(self.error).__name__}: {self.error}",
        }


def _invoke(handler: Callable[..., Any], request: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": True, "result": handler(request["event"], LambdaContext(request))}
    except Exception as error:
        traceback.print_exc()
        return {"ok": False, "error_type": type(error).__name__, "error_message": str(error)}


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group: the twin stops its workers itself, in order, so a
    # worker does not die mid-invocation with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    options: dict[str, str] = {}
    while argv[:1] and argv[0] in ("--clock-hook", "--permissions", "--iam-usage"):
        options[argv[0]], argv = argv[1], argv[2:]
    hook_name = options.get("--clock-hook")
    if "--permissions" in options:
        permissions.install(permissions.Guard.from_file(options["--permissions"], options.get("--iam-usage")))
    code_dir, handler_path, *layer_dirs = argv
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # print() and loggers now write to stderr, the function's log stream
    for directory in reversed([code_dir, *layer_dirs]):
        sys.path.insert(0, directory)
    module_name, _, function_name = handler_path.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        init_error = None
    except Exception as error:  # reported on every invocation, as Lambda reports an init error
        handler = None
        init_error = error
        traceback.print_exc()
    clock_hook = ClockHook(hook_name) if hook_name is not None else None
    for line in sys.stdin:
        request = json.loads(line)
        reply: dict[str, Any] | None = None
        if handler is None:
            reply = {
                "ok": False,
                "error_type": "Runtime.ImportModuleError",
                "error_message": f"{type(init_error).__name__}: {init_error}",
            }
        if reply is None and clock_hook is not None:
            reply = clock_hook.apply(request.get("clock_offset"))
        if reply is None:
            reply = _invoke(handler, request)
        sys.stdout.flush()
        sys.stderr.flush()
        protocol.write(json.dumps(reply, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
