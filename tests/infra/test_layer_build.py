"""Template tier: the shared layer as `sam build` makes it (layers/shared/Makefile).

The build is run here with this interpreter and for this machine's platform (the Makefile takes
both as overrides); on a deploy it runs with the runtime's Python for arm64.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from samtranslator.yaml_helper import yaml_parse

from tests.conftest import ROOT, TEMPLATE

pytestmark = pytest.mark.template

LAYER = ROOT / "layers" / "shared"
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
ARM64_PLATFORM = "manylinux2014_aarch64"


def _makefile_setting(name: str) -> str:
    found = re.search(rf"^{name}\s*[:?]?=\s*(.+)$", (LAYER / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"{name} not set in layers/shared/Makefile"
    return found.group(1).strip()


def test_the_layer_is_built_by_its_makefile_for_the_templates_runtime_and_architecture():
    template = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    layer = template["Resources"]["SharedLayer"]
    globals_ = template["Globals"]["Function"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert "build-SharedLayer:" in (LAYER / "Makefile").read_text(encoding="utf-8")
    assert f"python{_makefile_setting('RUNTIME_VERSION')}" == globals_["Runtime"]
    assert layer["Properties"]["CompatibleRuntimes"] == [globals_["Runtime"]]
    assert globals_["Architectures"] == ["arm64"] and layer["Metadata"]["BuildArchitecture"] == "arm64"
    platforms = _makefile_setting("PLATFORM").split()
    assert ARM64_PLATFORM in platforms and all(p.endswith("_aarch64") for p in platforms)


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=~! ;]", line.strip(), maxsplit=1)[0].lower().replace("_", "-") for line in requirements}


def test_the_layer_installs_the_projects_own_dependencies():
    lines = (LAYER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    layer = _names([line for line in lines if line.strip() and not line.startswith("#")])
    project = _names(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"])
    assert layer == project
    assert "boto3" in layer  # of the same release as the botocore PynamoDB brings


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    artifacts = tmp_path_factory.mktemp("artifacts")
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(LAYER),
            "build-SharedLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
            f"RUNTIME_VERSION={HERE}",
            "PLATFORM=here",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return artifacts / "python"


def test_every_module_of_the_layer_ships_unchecked_bytecode_for_the_runtime(built_layer: Path):
    sources = [p for p in built_layer.rglob("*.py") if "__pycache__" not in p.parts]
    assert any(p.parts[-2:] == ("haochaping", "settings.py") for p in sources)
    assert any("pydantic" in p.parts for p in sources)
    assert {"boto3", "botocore"} <= {p.parts[len(built_layer.parts)] for p in sources}
    missing, checked = [], []
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.exists():
            missing.append(str(source.relative_to(built_layer)))
            continue
        flags = int.from_bytes(cached.read_bytes()[4:8], "little")
        if flags != 0b01:  # hash-based, source not checked (PEP 552)
            checked.append(str(cached.relative_to(built_layer)))
    assert missing == []
    assert checked == []
    assert not (built_layer / "bin").exists()


def test_the_layer_imports_from_its_bytecode_without_reading_a_source(built_layer: Path):
    # Given a source changed after the build, as a zip's two-second file times would make it look
    settings = built_layer / "haochaping" / "settings.py"
    original = settings.read_text(encoding="utf-8")
    settings.write_text(original + "\nraise RuntimeError('the source was read')\n", encoding="utf-8")
    try:
        # When a fresh interpreter imports it from the layer, writing nothing (/opt is read-only)
        result = subprocess.run(
            [sys.executable, "-B", "-c", "import haochaping.settings as s; print(s.__file__)"],
            capture_output=True,
            text=True,
            check=False,
            env={"PYTHONPATH": str(built_layer), "PATH": ""},
        )
    finally:
        settings.write_text(original, encoding="utf-8")
    # Then the bytecode was used as built
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(settings)


def test_the_layer_ships_the_pages_templates_and_the_browser_code_they_inline(built_layer: Path):
    # Given the templates, scripts and style sheets of the package
    web = LAYER / "haochaping" / "web"
    files = sorted(p.relative_to(web) for d in ("templates", "static") for p in (web / d).iterdir() if p.is_file())
    assert {p.suffix for p in files} >= {".html", ".js", ".css"}
    # When a fresh interpreter renders the console and a citizen's page from the layer alone
    result = subprocess.run(
        [
            sys.executable,
            "-B",
            "-c",
            "from haochaping.web.console import console_page; from haochaping.web.pages import error_page; "
            "print(len(console_page('en')), len(error_page('zh', 'x')))",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(built_layer), "PATH": ""},
    )
    # Then every one of those files is in the layer, and the pages render from it
    assert [p for p in files if not (built_layer / "haochaping" / "web" / p).is_file()] == []
    assert result.returncode == 0, result.stderr
