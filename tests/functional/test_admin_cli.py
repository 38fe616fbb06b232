"""The `haochaping` admin command line against the 640100 stack created from template.yaml in moto."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import segno
import zxingcpp
from haochaping.adapters import keys
from haochaping.admin.cli import main
from haochaping.admin.registry_files import read_registry_files
from haochaping.domain.plates import SignatureInvalid, plate_url, verify_plate, verify_ticket
from haochaping.domain.registry import Registry
from localtwin.stack import Stack
from PIL import Image, ImageDraw

from tests.conftest import ROOT
from tests.functional.conftest import division_stack_in_moto

pytestmark = pytest.mark.functional

DIVISION = "640100"
STACK_NAME = f"haochaping-{DIVISION}"
DEMO_DIR = ROOT / "infra" / "registry" / "demo-640100"
DEMO_YAML = DEMO_DIR / "registry.yaml"
DEMO_CSV = DEMO_DIR / "csv"
SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class District:
    stack: Stack
    parameters: dict[str, str]
    secret: bytes

    @property
    def base_url(self) -> str:
        return self.parameters["PublicBaseUrl"]

    def registry_items(self) -> int:
        table = self.stack.outputs["RegistryTableName"]
        return int(boto3.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"])


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    """The division's stack, created from template.yaml by the local twin's code, in moto."""
    with division_stack_in_moto(tmp_path_factory.mktemp("aws"), DIVISION, STACK_NAME) as (stack, parameters):
        secret = boto3.client("secretsmanager").get_secret_value(SecretId=f"haochaping/{DIVISION}/signing")
        yield District(stack=stack, parameters=parameters, secret=secret["SecretString"].encode("utf-8"))


@pytest.fixture(scope="module")
def demo() -> Registry:
    return read_registry_files(DEMO_YAML)


@pytest.fixture(scope="module")
def loaded(district: District) -> District:
    """The stack with the demo registry loaded."""
    assert main(["registry", "load", str(DEMO_YAML), "--stack", STACK_NAME], out=io.StringIO()) == 0
    return district


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def modules_of(plate: ET.Element) -> list[list[bool]]:
    """The dark modules the plate's QR path draws, quiet zone cut off."""
    path = next(p for p in plate.iter(f"{SVG}path") if p.attrib.get("class") == "qr-modules")
    runs = [tuple(map(int, m)) for m in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.attrib["d"])]
    offset = min(y for _, y, _ in runs)
    size = max(y for _, y, _ in runs) - offset + 1
    grid = [[False] * size for _ in range(size)]
    for x, y, length in runs:
        for column in range(x, x + length):
            grid[y - offset][column - offset] = True
    return grid


def decode_png(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, "exactly one QR code"
    return results[0].text


def png_of_modules(modules: list[list[bool]], scale: int = 8, quiet_zone: int = 4) -> bytes:
    size = (len(modules) + 2 * quiet_zone) * scale
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                left, top = (x + quiet_zone) * scale, (y + quiet_zone) * scale
                draw.rectangle((left, top, left + scale - 1, top + scale - 1), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_by_segno(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def with_window(url: str, window_code: str) -> tuple[str, str]:
    """The window code and signature of a plate URL whose window code was changed."""
    parts = urlsplit(url)
    changed = re.sub(r"/r/[^/?]+", f"/r/{window_code}", url)
    return urlsplit(changed).path.rsplit("/", 1)[1], parse_qs(parts.query)["sig"][0]


# ---------------------------------------------------------------- help


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["registry"],
        ["registry", "load"],
        ["registry", "export"],
        ["registry", "check"],
        ["qr"],
        ["qr", "url"],
        ["ticket"],
    ],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # Given a command
    # When its help is asked for
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    # Then it prints its usage and exits 0
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: haochaping")
    assert " ".join(["haochaping", *command]) in out


def test_no_command_prints_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    # Given no command
    # When the command line runs
    code, out, _ = run([], capsys)
    # Then it lists the commands
    assert code == 0
    assert "registry" in out and "qr" in out and "ticket" in out


# ---------------------------------------------------------------- registry


def test_registry_load_reports_what_it_loaded_and_export_gives_it_back(
    district: District, demo: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the 640100 stack and the demo registry in YAML
    # When it is loaded
    code, out, err = run(["registry", "load", str(DEMO_YAML), "--stack", STACK_NAME], capsys)
    # Then the counts are printed
    assert (code, err) == (0, "")
    assert "division 640100 (demo data) into stack haochaping-640100" in out
    assert "13 halls, 21 departments, 388 windows, 424 staff, 396 roster shifts, 28 tags (version 2026.1)" in out
    # records: halls, departments, windows, staff, one officers and one supervisors list per hall, the
    # officers of each department with windows in a hall (29 such), the tag set, the meta record
    assert len(demo.responsible_units()) == 29
    assert district.registry_items() == 13 + 21 + 388 + 424 + 13 + 13 + 29 + 2
    # When it is exported in both formats
    code_yaml, _, _ = run(
        ["registry", "export", "--stack", STACK_NAME, "--format", "yaml", "--out", str(tmp_path)], capsys
    )
    code_csv, _, _ = run(
        ["registry", "export", "--stack", STACK_NAME, "--format", "csv", "--out", str(tmp_path / "csv")], capsys
    )
    # Then both read back as the loaded registry, and the CSV files are the committed ones
    assert (code_yaml, code_csv) == (0, 0)
    assert read_registry_files(tmp_path / "registry.yaml") == demo
    assert read_registry_files(tmp_path / "csv") == demo
    for committed in DEMO_CSV.iterdir():
        assert (tmp_path / "csv" / committed.name).read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")


def test_registry_load_reads_a_folder_of_csv_files(
    district: District, demo: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the demo registry as CSV files
    # When the folder is loaded and exported as YAML
    code, out, _ = run(["registry", "load", str(DEMO_CSV), "--stack", STACK_NAME], capsys)
    run(["registry", "export", "--stack", STACK_NAME, "--out", str(tmp_path / "out.yaml")], capsys)
    # Then the stack holds the same registry
    assert code == 0 and "388 windows" in out
    assert read_registry_files(tmp_path / "out.yaml") == demo


def test_an_invalid_registry_is_refused_with_exit_code_2_and_nothing_is_written(
    district: District, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a registry file with a malformed window code and a window of an unknown department
    text = DEMO_YAML.read_text(encoding="utf-8").replace("- code: YC13-A008\n", "- code: YC13-A0_8\n")
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    before = district.registry_items()
    # When it is loaded
    code, out, err = run(["registry", "load", str(path), "--stack", STACK_NAME], capsys)
    # Then it is refused, the problem is named, and the table is untouched
    assert code == 2
    assert out == ""
    assert "(YC13-A0_8).code: String should match pattern" in err
    assert district.registry_items() == before


def test_a_registry_of_another_division_is_refused(
    district: District, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the demo registry relabelled for 兴庆区
    path = tmp_path / "registry.yaml"
    path.write_text(DEMO_YAML.read_text(encoding="utf-8").replace("division_code: '640100'", "division_code: '640104'"))
    # When it is loaded into the 640100 stack
    code, _, err = run(["registry", "load", str(path), "--stack", STACK_NAME], capsys)
    # Then it is refused
    assert code == 2
    assert "division_code 640104 does not match stack haochaping-640100" in err


def test_an_unknown_stack_exits_1(district: District, capsys: pytest.CaptureFixture[str]) -> None:
    # Given no stack of that name
    # When the registry is loaded into it
    code, _, err = run(["registry", "load", str(DEMO_YAML), "--stack", "haochaping-999999"], capsys)
    # Then the command says so
    assert code == 1
    assert "haochaping-999999" in err and "does not exist" in err


# ---------------------------------------------------------------- QR plates


def test_qr_writes_one_sheet_per_hall_with_a_verifiable_plate_per_window(
    loaded: District, demo: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stack with the demo registry
    out_dir = tmp_path / "plates"
    # When the plates are printed
    code, out, err = run(["qr", "--stack", STACK_NAME, "--out", str(out_dir)], capsys)
    # Then there is one sheet per hall and 388 plates in all, with progress on stderr
    assert code == 0
    assert sorted(path.name for path in out_dir.iterdir()) == [f"YC{n:02d}.svg" for n in range(1, 14)]
    assert "plates  388/388 [##############################]" in err
    assert "wrote 13 sheets with 388 plates" in out
    plates: dict[str, ET.Element] = {}
    for sheet in sorted(out_dir.iterdir()):
        root = ET.parse(sheet).getroot()
        assert root.attrib["width"] == "210mm"
        groups = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "plate"]
        assert all(g.attrib["data-window"].startswith(sheet.stem + "-") for g in groups)
        plates.update({g.attrib["data-window"]: g for g in groups})
    assert len(plates) == 388
    assert set(plates) == {window.code for window in demo.windows}
    # And every plate's QR code, read back from the sheet, is its window's signed URL
    for window_code, plate in plates.items():
        assert decode_png(png_of_modules(modules_of(plate))) == plate_url(loaded.base_url, window_code, loaded.secret)
    # And a decoded URL, drawn again by segno as a PNG, decodes the same and its signature verifies
    url = decode_png(png_of_modules(modules_of(plates["YC05-A003"])))
    assert decode_png(png_by_segno(url)) == url
    parts = urlsplit(url)
    assert url.startswith("https://haochaping.yinchuan.example/r/YC05-A003?sig=")
    verify_plate(parts.path.rsplit("/", 1)[1], parse_qs(parts.query)["sig"][0], loaded.secret)
    # But not for another window
    with pytest.raises(SignatureInvalid):
        verify_plate(*with_window(url, "YC05-A004"), loaded.secret)
    # And no staff name is printed anywhere
    sheets = "".join(path.read_text(encoding="utf-8") for path in out_dir.iterdir())
    assert not any(person.name in sheets + out + err for person in demo.staff)
    assert "演示员" not in sheets + out + err


def test_qr_for_one_hall_and_refusals(loaded: District, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the stack with the demo registry
    # When one hall's sheet is asked for, with another base URL
    code, out, err = run(
        ["qr", "--stack", STACK_NAME, "--out", str(tmp_path), "--hall", "YC06", "--base-url", "https://qr.example/"],
        capsys,
    )
    # Then only that hall's sheet is written, pointing at that URL
    assert code == 0
    assert [path.name for path in tmp_path.iterdir()] == ["YC06.svg"]
    assert "plates  22/22" in err
    assert "(plates point at https://qr.example)" in out
    # And an unknown hall, a missing --out or --stack, or a bad base URL is refused with exit code 2
    assert run(["qr", "--stack", STACK_NAME, "--out", str(tmp_path), "--hall", "YC99"], capsys)[0] == 2
    assert run(["qr", "--stack", STACK_NAME], capsys)[0] == 2
    assert run(["qr", "--out", str(tmp_path)], capsys)[0] == 2
    code, _, err = run(["qr", "--stack", STACK_NAME, "--out", str(tmp_path), "--base-url", "ftp://x/y"], capsys)
    assert code == 2 and "--base-url" in err


def test_qr_url_prints_a_window_plate_url_that_verifies(loaded: District, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the stack with the demo registry
    # When one window's plate URL is asked for (options before or after `url`)
    code, out, _ = run(["qr", "url", "YC02-C004", "--stack", STACK_NAME], capsys)
    code_before, out_before, _ = run(["qr", "--stack", STACK_NAME, "url", "YC02-C004"], capsys)
    # Then it is printed, and it is the one on the plate
    assert (code, code_before) == (0, 0)
    url = out.strip()
    assert out_before.strip() == url == plate_url(loaded.base_url, "YC02-C004", loaded.secret)
    verify_plate("YC02-C004", parse_qs(urlsplit(url).query)["sig"][0], loaded.secret)
    # And an unknown window is refused
    code, _, err = run(["qr", "url", "YC02-Z999", "--stack", STACK_NAME], capsys)
    assert code == 2 and "no window YC02-Z999" in err


def test_ticket_prints_a_rating_url_with_a_ticket_for_that_window(
    loaded: District, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stack with the demo registry
    before = datetime.now(UTC).replace(microsecond=0)
    # When a ticket is issued for queue number A023 at a window
    code, out, err = run(["ticket", "YC01-A001", "A023", "--stack", STACK_NAME], capsys)
    # Then its URL opens that window's form with a ticket that verifies there, for 24 hours
    assert code == 0
    url = out.strip()
    assert url.startswith("https://haochaping.yinchuan.example/r/YC01-A001?ticket=")
    token = parse_qs(urlsplit(url).query)["ticket"][0]
    ticket = verify_ticket(token, "YC01-A001", datetime.now(UTC), timedelta(hours=24), loaded.secret)
    assert ticket.number == "A023"
    assert ticket.issued_at >= before
    assert "valid 24 h" in err
    # And not at another window
    with pytest.raises(SignatureInvalid):
        verify_ticket(token, "YC01-A002", datetime.now(UTC), timedelta(hours=24), loaded.secret)
    # And a number that cannot be printed on a ticket is refused
    assert run(["ticket", "YC01-A001", "A|23", "--stack", STACK_NAME], capsys)[0] == 2


def test_tasks_reindex_puts_open_tasks_written_before_the_index_into_it(
    district: District, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given tasks as a stack before the OpenTasksByHall index wrote them: two open, one closed,
    # and one open task already in the index
    table = district.stack.outputs["RatingsTableName"]
    dynamodb = boto3.client("dynamodb")

    def task(code: str, state: str, indexed: bool = False) -> None:
        item = {
            "pk": {"S": keys.task_key(code)},
            "sk": {"S": keys.TASK_SORT_KEY},
            "kind": {"S": "task"},
            "hall_key": {"S": keys.hall_key("YC01")},
            "opened_key": {"S": f"2026-11-0{len(code) % 9 + 1}T01:00:00+00:00"},
            "tracking_code": {"S": code},
            "state": {"S": state},
            "version": {"N": "3"},
        }
        if indexed:
            item["open_hall_key"] = {"S": keys.hall_key("YC01")}
        dynamodb.put_item(TableName=table, Item=item)

    task("OLDOPEN1", "verifying")
    task("OLDOPEN22", "rectifying")
    task("OLDCLOSED", "closed")
    task("NEWOPEN", "verifying", indexed=True)

    # When the admin reindexes the stack's tasks, twice
    first = run(["tasks", "reindex", "--stack", STACK_NAME], capsys)
    again = run(["tasks", "reindex", "--stack", STACK_NAME], capsys)

    # Then the two old open tasks are in the index, the closed one is not, and a rerun does nothing
    assert first == (0, f"stack {STACK_NAME}: 2 open task(s) put into the hall's open-task index\n", "")
    assert again == (0, f"stack {STACK_NAME}: 0 open task(s) put into the hall's open-task index\n", "")
    items = {
        code: dynamodb.get_item(
            TableName=table, Key={"pk": {"S": keys.task_key(code)}, "sk": {"S": keys.TASK_SORT_KEY}}
        )["Item"]
        for code in ("OLDOPEN1", "OLDOPEN22", "OLDCLOSED", "NEWOPEN")
    }
    assert {code: item.get("open_hall_key", {}).get("S") for code, item in items.items()} == {
        "OLDOPEN1": keys.hall_key("YC01"),
        "OLDOPEN22": keys.hall_key("YC01"),
        "OLDCLOSED": None,
        "NEWOPEN": keys.hall_key("YC01"),
    }
    assert items["OLDOPEN1"]["revision"] == {"N": "1"} and "revision" not in items["NEWOPEN"]
    for code in items:
        dynamodb.delete_item(TableName=table, Key={"pk": {"S": keys.task_key(code)}, "sk": {"S": keys.TASK_SORT_KEY}})


def test_ratings_reindex_puts_ratings_written_before_the_day_index_into_it(
    district: District, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two ratings as a stack before the RatingsByDay index wrote them (one rated at 00:30 on
    # 6 March in Beijing, still the 5th in UTC), and one written with its day
    table = district.stack.outputs["RatingsTableName"]
    dynamodb = boto3.client("dynamodb")

    def rating(code: str, rated_at: str, day: str | None = None) -> None:
        item = {
            "pk": {"S": keys.rating_key(code)},
            "sk": {"S": keys.RATING_SORT_KEY},
            "kind": {"S": "rating"},
            "tracking_code": {"S": code},
            "submission_id": {"S": f"old-{code}"},
            "division_code": {"S": DIVISION},
            "window_code": {"S": "YC01-A001"},
            "hall_code": {"S": "YC01"},
            "department_code": {"S": "11640100MB1234567X"},
            "level": {"N": "5"},
            "bad_review": {"BOOL": False},
            "channel": {"S": "qr"},
            "tag_version": {"S": "2026.1"},
            "rated_at": {"S": rated_at},
        }
        if day is not None:
            item["rated_day"] = {"S": keys.rated_day_key(day)}
        dynamodb.put_item(TableName=table, Item=item)

    rating("OLDRATING1", "2026-03-05T16:30:00.000000+0000")
    rating("OLDRATING2", "2026-03-04T01:00:00.000000+0000")
    rating("NEWRATING", "2026-03-06T02:00:00.000000+0000", day="2026-03-06")

    # When the admin reindexes the stack's ratings, twice
    first = run(["ratings", "reindex", "--stack", STACK_NAME], capsys)
    again = run(["ratings", "reindex", "--stack", STACK_NAME], capsys)

    # Then both old ratings are in the index under their Beijing day, and a rerun does nothing
    assert first == (0, f"stack {STACK_NAME}: 2 rating(s) put into the ratings-by-day index\n", "")
    assert again == (0, f"stack {STACK_NAME}: 0 rating(s) put into the ratings-by-day index\n", "")
    codes = ("OLDRATING1", "OLDRATING2", "NEWRATING")
    days = {
        code: dynamodb.get_item(
            TableName=table, Key={"pk": {"S": keys.rating_key(code)}, "sk": {"S": keys.RATING_SORT_KEY}}
        )["Item"]["rated_day"]["S"]
        for code in codes
    }
    assert days == {
        "OLDRATING1": keys.rated_day_key("2026-03-06"),
        "OLDRATING2": keys.rated_day_key("2026-03-04"),
        "NEWRATING": keys.rated_day_key("2026-03-06"),
    }
    for code in codes:
        dynamodb.delete_item(
            TableName=table, Key={"pk": {"S": keys.rating_key(code)}, "sk": {"S": keys.RATING_SORT_KEY}}
        )
