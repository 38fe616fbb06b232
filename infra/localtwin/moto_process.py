"""moto's server in a process of its own: each twin gets its own AWS, however many run at once.

moto keeps its state in module globals, so two servers in one process would share every
table and secret; a process per twin keeps stacks (and test tiers) apart.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request

from localtwin.processes import die_with_parent, free_port


class MotoProcess:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        for _ in range(3):  # a port picked free can be taken before moto binds it
            port = self.port or free_port(self.host)
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and moto's server
                [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=die_with_parent,  # started before the twin runs any thread of its own
            )
            self.port = port
            if self._wait_ready(timeout):
                return
            self.stop()
            self.port = 0
        raise RuntimeError("moto's server did not start")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1):  # noqa: S310
                    return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
