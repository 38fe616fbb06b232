"""Functions as worker processes: one execution environment per function, reused, restarted on crash."""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localtwin.endpoints import Endpoints
from localtwin.iam_usage import UsageFiles
from localtwin.stack import FunctionRuntimeConfig
from localtwin.template import FunctionSpec


class InvocationError(Exception):
    """The function raised, timed out or could not start; Lambda would report it the same way."""

    def __init__(self, function: str, error_type: str, message: str) -> None:
        super().__init__(f"{function}: {error_type}: {message}")
        self.error_type = error_type


@dataclass(frozen=True)
class TwinClock:
    """What the workers tell a function about the twin's time: the hook that takes it, the offset."""

    hook: str  # MODULE:FUNCTION, called in the worker with the offset in seconds
    offset_seconds: Callable[[], float]


class FunctionWorker:
    def __init__(
        self,
        spec: FunctionSpec,
        config: FunctionRuntimeConfig,
        base_env: dict[str, str],
        log_sink: Callable[[str, str], None],
        clock: TwinClock | None = None,
        permissions: Path | None = None,
        iam_usage: Path | None = None,
    ) -> None:
        self.spec = spec
        self.config = config
        self.base_env = base_env
        self.log_sink = log_sink
        self.clock = clock
        self.permissions = permissions  # the role and policies its calls are checked against
        self.iam_usage = iam_usage  # where the worker records what its allowed calls did
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None
        self.replies: queue.Queue[str | None] = queue.Queue()
        self.invocations = 0
        self.starts = 0

    def _environment(self) -> dict[str, str]:
        env = dict(self.base_env)
        env.update({k: str(v) for k, v in self.config.environment.items()})
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": self.config.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.config.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "LAMBDA_TASK_ROOT": str(self.spec.code_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def _start(self) -> subprocess.Popen[str]:
        command = [
            sys.executable,
            "-m",
            "localtwin.worker",
            *(["--clock-hook", self.clock.hook] if self.clock else []),
            *(["--permissions", str(self.permissions)] if self.permissions else []),
            *(["--iam-usage", str(self.iam_usage)] if self.permissions and self.iam_usage else []),
            str(self.spec.code_dir),
            self.spec.handler,
            *[str(d) for d in self.spec.layer_dirs],
        ]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=self._environment(),
            cwd=str(self.spec.code_dir),
        )
        self.replies = queue.Queue()
        threading.Thread(target=self._read_replies, args=(process, self.replies), daemon=True).start()
        threading.Thread(target=self._read_logs, args=(process,), daemon=True).start()
        self.starts += 1
        return process

    def _read_replies(self, process: subprocess.Popen[str], replies: queue.Queue[str | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            replies.put(line)
        replies.put(None)

    def _read_logs(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.log_sink(self.spec.logical_id, line.rstrip("\n"))

    def warm(self) -> None:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = self._start()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = self._start()
            process = self.process
            request_id = str(uuid.uuid4())
            deadline = time.time() + self.config.timeout
            request = {"event": event, "request_id": request_id, "deadline": deadline, "function_arn": self.config.arn}
            if self.clock is not None:
                request["clock_offset"] = self.clock.offset_seconds()
            assert process.stdin is not None
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                line = self.replies.get(timeout=self.config.timeout + 5.0)  # + cold start
            except queue.Empty:
                self._stop_process()
                raise InvocationError(
                    self.spec.logical_id, "Sandbox.Timedout", f"no answer within {self.config.timeout} s"
                ) from None
            except (BrokenPipeError, OSError) as error:
                self._stop_process()
                raise InvocationError(self.spec.logical_id, "Runtime.ExitError", str(error)) from None
            self.invocations += 1
            if line is None:
                self._stop_process()
                raise InvocationError(self.spec.logical_id, "Runtime.ExitError", "the worker exited")
            reply = json.loads(line)
            if not reply["ok"]:
                raise InvocationError(self.spec.logical_id, reply["error_type"], reply["error_message"])
            return reply["result"]

    def _stop_process(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                assert self.process.stdin is not None
                self.process.stdin.close()
                try:
                    self.process.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None


class FunctionPool:
    """Every function of the stack, by logical id, with the log lines each one wrote.

    With ``check_permissions``, each worker checks its function's AWS calls against the role
    policies in its ``FunctionRuntimeConfig`` (see localtwin.permissions); they reach the worker
    as a file named on its command line, so the function's environment stays the template's.
    With ``iam_usage`` as well, each worker records the actions and resources its allowed calls
    touched in that twin's usage files (see localtwin.iam_usage).
    """

    def __init__(
        self,
        specs: dict[str, FunctionSpec],
        configs: dict[str, FunctionRuntimeConfig],
        base_env: dict[str, str],
        echo_logs: bool = False,
        keep_lines: int = 20000,
        clock: TwinClock | None = None,
        check_permissions: bool = False,
        iam_usage: UsageFiles | None = None,
    ) -> None:
        self.logs: dict[str, collections.deque[str]] = {name: collections.deque(maxlen=keep_lines) for name in specs}
        self.echo_logs = echo_logs
        self._log_lock = threading.Lock()
        self._permissions_dir = tempfile.TemporaryDirectory(prefix="localtwin-iam-") if check_permissions else None
        self.iam_usage = iam_usage if check_permissions else None
        self.workers = {
            name: FunctionWorker(
                spec,
                configs[name],
                base_env,
                self._log,
                clock,
                self._permissions_file(configs[name]),
                self.iam_usage.of_function(name) if self.iam_usage else None,
            )
            for name, spec in specs.items()
        }

    def _permissions_file(self, config: FunctionRuntimeConfig) -> Path | None:
        if self._permissions_dir is None:
            return None
        path = Path(self._permissions_dir.name) / f"{config.logical_id}.json"
        document = {
            "function": config.logical_id,
            "function_name": config.name,
            "role_arn": config.role_arn,
            "account": config.arn.split(":")[4],
            "policies": config.policies,
        }
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        return path

    def _log(self, function: str, line: str) -> None:
        with self._log_lock:
            self.logs[function].append(line)
            if self.echo_logs:
                print(f"[{function}] {line}", file=sys.stderr, flush=True)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.workers[function].invoke(event)

    def warm(self) -> None:
        """Start every execution environment now, in the background, so first requests are quick."""
        for worker in self.workers.values():
            threading.Thread(target=worker.warm, daemon=True).start()

    def log_lines(self, function: str | None = None) -> list[str]:
        with self._log_lock:
            if function is not None:
                return list(self.logs[function])
            return [line for lines in self.logs.values() for line in lines]

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        if self._permissions_dir is not None:
            self._permissions_dir.cleanup()


def base_environment(endpoints: Endpoints, region: str) -> dict[str, str]:
    """What Lambda's runtime would set, pointed at the twin; nothing of the caller's AWS identity."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ", "SYSTEMROOT")}
    keep.update(
        {
            **endpoints.environment(),
            "AWS_ACCESS_KEY_ID": "localtwin",
            "AWS_SECRET_ACCESS_KEY": "localtwin",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon on this machine
        }
    )
    return keep
