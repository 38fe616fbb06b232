"""`make run` says what it does: installers write to a log, the terminal gets one line per phase, a
failure shows the log's tail and fails, and the twin's command line says each step of its start.

The installers are stand-ins (scripts on PATH, a fake venv): nothing here installs anything.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from localtwin.__main__ import Step, arguments

from tests.conftest import ROOT

pytestmark = pytest.mark.template

NOISE = "Collecting something-noisy==1.0"


def stub(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def run_stamp(tmp_path: Path, python_body: str) -> subprocess.CompletedProcess[str]:
    """The Python packages' stamp of the Makefile, with a venv whose python is a stand-in."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    stub(venv / "bin", "python", python_body)
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            f"{venv}/.installed-stamp",
            f"VENV={venv}",
            f"INSTALL_LOG={tmp_path}/install.log",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("VERBOSE", "MAKEFLAGS", "MAKELEVEL")},
        check=False,
    )


def test_an_installer_says_one_line_and_logs_the_rest(tmp_path: Path) -> None:
    result = run_stamp(tmp_path, f'echo "{NOISE}"; echo "a warning" >&2')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("updating the Python packages in ")
    assert result.stdout.count("\n") == 1
    assert " done (" in result.stdout
    assert result.stderr == ""
    log = (tmp_path / "install.log").read_text(encoding="utf-8")
    assert NOISE in log
    assert "a warning" in log
    assert (tmp_path / "venv" / ".installed-stamp").exists()


def test_a_failing_installer_shows_the_log_tail_and_fails(tmp_path: Path) -> None:
    result = run_stamp(tmp_path, 'echo "ERROR: No matching distribution found for nothing-such" >&2; exit 1')
    assert result.returncode != 0
    assert result.stdout.rstrip().endswith("failed")
    assert "ERROR: No matching distribution found for nothing-such" in result.stderr
    assert f"the whole log: {tmp_path}/install.log" in result.stderr
    assert not (tmp_path / "venv" / ".installed-stamp").exists()


def system_deps(tmp_path: Path, apt_get_body: str) -> subprocess.CompletedProcess[str]:
    """infra/system-deps.sh as root, with Java missing, apt-get a stand-in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "dpkg", "exit 1")
    stub(bin_dir, "id", "echo 0")
    stub(bin_dir, "apt-get", apt_get_body)
    return subprocess.run(
        ["bash", str(ROOT / "infra" / "system-deps.sh"), "twin"],
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if k != "VERBOSE"},
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "INSTALL_LOG": str(tmp_path / "install.log"),
        },
        check=False,
    )


def test_system_packages_say_one_line_and_log_apt_get(tmp_path: Path) -> None:
    result = system_deps(tmp_path, f'echo "{NOISE}"')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("installing system packages for the local twin: openjdk-17-jre-headless")
    assert result.stdout.count("\n") == 1
    assert NOISE not in result.stdout + result.stderr
    assert NOISE in (tmp_path / "install.log").read_text(encoding="utf-8")


def test_a_failing_apt_get_shows_the_log_tail_and_fails(tmp_path: Path) -> None:
    result = system_deps(tmp_path, 'echo "E: Unable to locate package openjdk-17-jre-headless" >&2; exit 100')
    assert result.returncode == 100
    assert "E: Unable to locate package openjdk-17-jre-headless" in result.stderr
    assert f"the whole log: {tmp_path}/install.log" in result.stderr


def test_the_twins_steps_keep_their_order_and_titles() -> None:
    args = arguments(["--after", "echo one", "--step", "loading the registry", "load it", "--after", "echo two"])
    assert args.steps == [Step(None, "echo one"), Step("loading the registry", "load it"), Step(None, "echo two")]
    assert arguments([]).steps == []
