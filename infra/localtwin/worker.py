"""One function's execution environment: imports the handler once, then serves invocations.

Started by the twin as ``python -m localtwin.worker CODE_DIR HANDLER [LAYER_DIR ...]`` with the
function's own environment. Requests and results travel as JSON lines on stdin and on a
private copy of stdout; the function's own output (its logs) goes to stderr, as on Lambda.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


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


def main(argv: list[str]) -> int:
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
    for line in sys.stdin:
        request = json.loads(line)
        if handler is None:
            reply = {
                "ok": False,
                "error_type": "Runtime.ImportModuleError",
                "error_message": f"{type(init_error).__name__}: {init_error}",
            }
        else:
            try:
                result = handler(request["event"], LambdaContext(request))
                reply = {"ok": True, "result": result}
            except Exception as error:
                traceback.print_exc()
                reply = {"ok": False, "error_type": type(error).__name__, "error_message": str(error)}
        sys.stdout.flush()
        sys.stderr.flush()
        protocol.write(json.dumps(reply, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
