"""Registry files: the demo registry in YAML and CSV, round trips, and clear errors."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from datetime import date, datetime, time
from pathlib import Path
from types import ModuleType

import pytest
from haochaping.admin.cli import main
from haochaping.admin.files import InvalidFileError
from haochaping.admin.registry_files import (
    CSV_FILE_NAMES,
    in_storage_order,
    read_registry_csv,
    read_registry_files,
    read_registry_yaml,
    write_registry_csv,
    write_registry_yaml,
)
from haochaping.domain.rating import CHINA_TIME, CREDIT_CODE_PATTERN, WINDOW_CODE_PATTERN, Level
from haochaping.domain.registry import (
    Department,
    Hall,
    Registry,
    Shift,
    Staff,
    StaffRole,
    Tag,
    TagSet,
    Window,
)

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

REGISTRY_DIR = ROOT / "infra" / "registry"
DEMO_DIR = REGISTRY_DIR / "demo-640100"
DEMO_YAML = DEMO_DIR / "registry.yaml"
DEMO_CSV = DEMO_DIR / "csv"


def _generator() -> ModuleType:
    name = "haochaping_generate_demo_registry"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REGISTRY_DIR / "generate_demo.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def demo() -> Registry:
    return read_registry_yaml(DEMO_YAML)


def small_registry() -> Registry:
    """Every kind of value the files must carry: defaults and non-defaults, odd times, end dates."""
    department = Department(code="11640104MB0000001X", name="兴庆区审批服务管理局", name_en="")
    return Registry(
        division_code="640104",
        demo=False,
        halls=(
            Hall(code="XQ01", name="兴庆区政务服务大厅", name_en="Xingqing Hall", address="兴庆区某路1号"),
            Hall(code="XQ02", name="兴庆区分厅"),
        ),
        departments=(department,),
        windows=(
            Window(
                code="XQ01-A001",
                hall_code="XQ01",
                number="A001",
                name="综合窗口, 含逗号",
                name_en='Window "one"',
                department_code=department.code,
                item_codes=("XK-640104-0101", "GG-640104-0102"),
            ),
            Window(
                code="XQ02-B001",
                hall_code="XQ02",
                number="B001",
                name="暂停窗口",
                department_code=department.code,
                active=False,
            ),
        ),
        staff=(
            Staff(job_number="XQ010001", name="演示员甲", role=StaffRole.CLERK, hall_code="XQ01"),
            Staff(job_number="XQ019001", name="演示督办员乙", role=StaffRole.SUPERVISOR, hall_code="XQ01"),
        ),
        shifts=(
            Shift(window_code="XQ01-A001", job_number="XQ010001", valid_from=date(2026, 1, 1)),
            Shift(
                window_code="XQ02-B001",
                job_number="XQ010001",
                weekdays=(6, 7),
                start=time(8, 45, 30),
                end=time(12, 0),
                valid_from=date(2026, 2, 1),
                valid_to=date(2026, 6, 30),
            ),
        ),
        tag_set=TagSet(
            version="2026.2-b",
            tags=(Tag(code="501", name="服务效率高", name_en="Efficient"), Tag(code="201", name="服务态度差")),
        ),
    )


# ---------------------------------------------------------------- the demo registry


def test_yaml_and_csv_forms_of_the_demo_registry_load_to_the_same_registry(demo: Registry) -> None:
    # Given the demo registry in its two forms
    # When each is read
    from_csv = read_registry_csv(DEMO_CSV)
    # Then both are the same registry
    assert from_csv == demo
    assert read_registry_files(DEMO_DIR / "csv") == read_registry_files(DEMO_YAML)
    assert read_registry_files(DEMO_DIR) == demo  # a folder holding registry.yaml and no CSV file


def test_demo_registry_is_yinchuans_citizen_hall_with_13_halls_and_388_windows(demo: Registry) -> None:
    # Given the demo registry
    # Then it is marked as demo data and counts what the work plan counts
    assert demo.division_code == "640100"
    assert demo.demo is True
    assert "demo: true" in DEMO_YAML.read_text(encoding="utf-8")
    assert "DEMO DATA" in (DEMO_DIR / "README.md").read_text(encoding="utf-8")
    assert len(demo.halls) == 13
    assert len(demo.windows) == 388
    assert {hall.code for hall in demo.halls} == {f"YC{n:02d}" for n in range(1, 14)}
    assert all(re.match(WINDOW_CODE_PATTERN, window.code) for window in demo.windows)
    assert all(window.code == f"{window.hall_code}-{window.number}" for window in demo.windows)
    assert all(window.item_codes for window in demo.windows)
    assert all(re.match(CREDIT_CODE_PATTERN, department.code) for department in demo.departments)
    assert len(demo.departments) >= 12


def test_every_demo_window_has_a_clerk_on_duty_on_weekdays_from_2026(demo: Registry) -> None:
    # Given the demo roster
    clerks = {person.job_number for person in demo.staff if person.role is StaffRole.CLERK}
    wednesday_morning = datetime(2026, 3, 4, 9, 0, tzinfo=CHINA_TIME)
    friday_late = datetime(2026, 3, 6, 17, 29, tzinfo=CHINA_TIME)
    # When each window is asked who is on duty
    for entry in demo.window_entries():
        # Then every window has a shift and a clerk 09:00–17:30 on weekdays
        assert entry.shifts, entry.window.code
        assert entry.staff_on_duty(wednesday_morning) in clerks, entry.window.code
        assert entry.staff_on_duty(friday_late) in clerks, entry.window.code
        assert entry.staff_on_duty(datetime(2026, 3, 4, 17, 30, tzinfo=CHINA_TIME)) is None
        assert entry.staff_on_duty(datetime(2025, 12, 31, 10, 0, tzinfo=CHINA_TIME)) is None
    weekday_shifts = [s for s in demo.shifts if s.weekdays == (1, 2, 3, 4, 5)]
    assert {s.window_code for s in weekday_shifts} == {w.code for w in demo.windows}
    assert all((s.start, s.end, s.valid_from) == (time(9), time(17, 30), date(2026, 1, 1)) for s in weekday_shifts)


def test_every_demo_hall_has_a_follow_up_officer_and_a_supervisor(demo: Registry) -> None:
    # Given the demo staff
    # Then each hall has at least one officer and one supervisor, and names are obviously fictitious
    for hall in demo.halls:
        roles = {person.role for person in demo.staff if person.hall_code == hall.code}
        assert {StaffRole.CLERK, StaffRole.OFFICER, StaffRole.SUPERVISOR} <= roles, hall.code
    assert all(person.name.startswith("演示") for person in demo.staff)
    assert all(re.match(r"^YC\d{6}$", person.job_number) for person in demo.staff)


def test_demo_tag_set_names_what_was_good_and_what_went_wrong_at_every_level(demo: Registry) -> None:
    # Given the demo tag set
    tags = demo.tag_set
    # Then each level has tags coded level digit + 2-digit index, each with an English name
    assert tags.version == "2026.1"
    for level in Level:
        codes = [tag.code for tag in tags.for_level(level)]
        assert codes, level
        assert codes == [f"{int(level)}{index:02d}" for index in range(1, len(codes) + 1)]
    assert all(tag.name_en for tag in tags.tags)
    bad = {tag.name for tag in tags.tags if tag.level.is_bad_review}
    assert {"服务态度差", "办事效率低", "一次性告知不到位", "多次跑腿", "等候时间长", "办事指南不准确"} <= bad
    good = {tag.name for tag in tags.tags if not tag.level.is_bad_review}
    assert {"服务效率高", "服务态度好", "办事指南清晰"} <= good


def test_demo_files_are_what_the_generator_writes() -> None:
    # Given the generator script
    generator = _generator()
    # When it generates the demo files
    files = generator.demo_files()
    # Then the committed files are up to date
    assert set(files) == {"README.md", "registry.yaml", *(f"csv/{name}" for name in CSV_FILE_NAMES)}
    for relative, text in files.items():
        assert (DEMO_DIR / relative).read_text(encoding="utf-8") == text, (
            f"run infra/registry/generate_demo.py ({relative})"
        )


def test_demo_department_codes_carry_valid_check_characters() -> None:
    # Given the generator's GB 32100 / GB 11714 check characters
    generator = _generator()
    # Then it reproduces the standard's published example, and every demo code is self-consistent
    assert generator.credit_code("91", "350100", "M000100Y") == "91350100M000100Y43"
    for department in read_registry_csv(DEMO_CSV).departments:
        code = department.code
        assert generator.credit_code(code[:2], code[2:8], code[8:16]) == code


def test_demo_registry_is_written_in_the_order_the_table_gives_it_back(demo: Registry) -> None:
    # Given the demo registry
    # When it is put in storage order
    # Then nothing moves: a load followed by an export gives back the same files
    assert in_storage_order(demo) == demo


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("registry_factory", [small_registry, lambda: read_registry_yaml(DEMO_YAML)])
def test_writing_then_reading_yaml_is_lossless(tmp_path: Path, registry_factory) -> None:
    # Given a registry
    registry = registry_factory()
    # When it is written as YAML and read back
    path = write_registry_yaml(registry, tmp_path / "registry.yaml")
    # Then it is the same registry
    assert read_registry_files(path) == registry


@pytest.mark.parametrize("registry_factory", [small_registry, lambda: read_registry_yaml(DEMO_YAML)])
def test_writing_then_reading_csv_is_lossless(tmp_path: Path, registry_factory) -> None:
    # Given a registry
    registry = registry_factory()
    # When it is written as CSV files and read back
    written = write_registry_csv(registry, tmp_path / "csv")
    # Then every file is there and it is the same registry
    assert sorted(path.name for path in written) == sorted(CSV_FILE_NAMES)
    assert read_registry_files(tmp_path / "csv") == registry


def test_yaml_written_by_hand_reads_times_and_codes_as_written(tmp_path: Path) -> None:
    # Given a YAML file with bare times, codes and dates (YAML 1.1 would read 17:30 as 1050)
    path = tmp_path / "registry.yaml"
    path.write_text(
        """
division_code: 640104
halls: [{code: XQ01, name: 兴庆区政务服务大厅}]
departments: [{code: 11640104MB0000001X, name: 兴庆区审批服务管理局}]
windows:
  - {code: XQ01-A001, hall_code: XQ01, number: A001, name: 综合窗口, department_code: 11640104MB0000001X}
staff: [{job_number: XQ010001, name: 演示员甲, role: clerk, hall_code: XQ01}]
shifts:
  - {window_code: XQ01-A001, job_number: XQ010001, weekdays: [1, 3, 5], start: 8:30, end: 17:30, valid_from: 2026-01-01}
tag_set: {version: 2026.1, tags: [{code: 501, name: 服务效率高}]}
""",
        encoding="utf-8",
    )
    # When it is read
    registry = read_registry_yaml(path)
    # Then the values are the ones written
    assert registry.division_code == "640104"
    assert registry.shifts[0].start == time(8, 30)
    assert registry.shifts[0].end == time(17, 30)
    assert registry.shifts[0].weekdays == (1, 3, 5)
    assert registry.tag_set.version == "2026.1"
    assert registry.tag_set.tags[0].code == "501"


# ---------------------------------------------------------------- errors


def test_an_invalid_yaml_registry_names_each_problem_and_where(tmp_path: Path) -> None:
    # Given the demo YAML with a malformed window code and a tag of no level
    text = DEMO_YAML.read_text(encoding="utf-8")
    text = text.replace("- code: YC01-A002\n", "- code: YC01_A002\n", 1).replace("code: '502'", "code: '602'", 1)
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    # When it is read
    with pytest.raises(InvalidFileError) as raised:
        read_registry_files(path)
    # Then the error lists both problems with their places and the values given
    message = str(raised.value)
    assert raised.value.kind == "registry"
    assert len(raised.value.problems) == 2
    assert "windows[1] (YC01_A002).code: String should match pattern" in message
    assert "'YC01_A002'" in message
    assert "tag_set.tags[1] (602).code" in message


def test_an_invalid_csv_registry_names_the_file_line_and_column(tmp_path: Path) -> None:
    # Given the demo CSV files with a bad department code on one window and an unknown role
    folder = tmp_path / "csv"
    shutil.copytree(DEMO_CSV, folder)
    windows = (folder / "windows.csv").read_text(encoding="utf-8").splitlines()
    windows[2] = windows[2].replace("11640100MB15390751", "11640100MB1539075I")  # I is not allowed
    (folder / "windows.csv").write_text("\n".join(windows) + "\n", encoding="utf-8")
    staff = (
        (folder / "staff.csv")
        .read_text(encoding="utf-8")
        .replace("YC010003,演示员丙寅,clerk", "YC010003,演示员丙寅,boss")
    )
    (folder / "staff.csv").write_text(staff, encoding="utf-8")
    # When the folder is read
    with pytest.raises(InvalidFileError) as raised:
        read_registry_files(folder)
    # Then each problem names its file, line, record and column
    problems = raised.value.problems
    assert any(
        p.startswith("windows.csv line 3 (YC01-A002) column department_code: String should match") for p in problems
    )
    assert any(p.startswith("staff.csv line 4 (YC010003) column role: Input should be") for p in problems)


def test_dangling_references_are_all_reported(tmp_path: Path) -> None:
    # Given a roster naming a window and a person the registry does not have
    folder = tmp_path / "csv"
    shutil.copytree(DEMO_CSV, folder)
    with (folder / "roster.csv").open("a", encoding="utf-8") as roster:
        roster.write("YC01-Z999,YC019999,1 2 3,09:00,12:00,2026-01-01,\n")
    # When the folder is read
    with pytest.raises(InvalidFileError) as raised:
        read_registry_files(folder)
    # Then both references are named
    assert raised.value.problems == ["roster: unknown window YC01-Z999", "roster: unknown staff YC019999"]


def test_missing_files_and_unknown_columns_are_reported_before_validation(tmp_path: Path) -> None:
    # Given a CSV folder without windows.csv and with a misspelt column in halls.csv
    folder = tmp_path / "csv"
    shutil.copytree(DEMO_CSV, folder)
    (folder / "windows.csv").unlink()
    halls = (folder / "halls.csv").read_text(encoding="utf-8").replace("name_en", "english_name", 1)
    (folder / "halls.csv").write_text(halls, encoding="utf-8")
    # When the folder is read
    with pytest.raises(InvalidFileError) as raised:
        read_registry_files(folder)
    # Then both are named
    assert "windows.csv: missing file" in raised.value.problems
    assert any(p.startswith("halls.csv: unknown column(s) english_name") for p in raised.value.problems)


def test_a_file_that_is_not_yaml_or_not_a_mapping_is_refused(tmp_path: Path) -> None:
    # Given broken YAML, a YAML list and a path that does not exist
    broken = tmp_path / "broken.yaml"
    broken.write_text("halls: [unclosed\n", encoding="utf-8")
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    # When each is read
    # Then each is refused with a reason
    with pytest.raises(InvalidFileError, match="not valid YAML"):
        read_registry_files(broken)
    with pytest.raises(InvalidFileError, match="one mapping"):
        read_registry_files(listing)
    with pytest.raises(InvalidFileError, match="no such file"):
        read_registry_files(tmp_path / "missing.yaml")
    with pytest.raises(InvalidFileError, match="the folder that holds the CSV files"):
        read_registry_files(DEMO_CSV / "windows.csv")


def test_registry_check_exits_2_and_lists_the_problems_on_invalid_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an invalid registry file
    path = tmp_path / "registry.yaml"
    path.write_text(DEMO_YAML.read_text(encoding="utf-8").replace("division_code: '640100'", "division_code: '6401'"))
    # When it is checked on the command line
    code = main(["registry", "check", str(path)])
    # Then the exit code is 2 and stderr names the problem
    captured = capsys.readouterr()
    assert code == 2
    assert "division_code: String should match pattern" in captured.err
    assert captured.out == ""


def test_registry_check_prints_what_a_valid_registry_holds(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the demo registry
    # When it is checked
    code = main(["registry", "check", str(DEMO_CSV)])
    # Then the counts are printed
    out = capsys.readouterr().out
    assert code == 0
    assert "demo data" in out
    assert "13 halls" in out and "388 windows" in out and "tags (version 2026.1)" in out
