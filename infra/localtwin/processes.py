"""What the twin's own servers (moto, DynamoDB Local) share: a free port, an end with the twin."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the twin's process ends, however it ends (a kill -9
    included), so no server outlives its twin.

    Run in the child before exec (``preexec_fn``). The signal follows the *thread* that started
    the child, so only servers started from the twin's main thread use it.
    """
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
