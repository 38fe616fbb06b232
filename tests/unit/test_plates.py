"""QR plates and queue tickets: signed links only the stack can mint, their expiry, and the printable sheets."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
import zxingcpp
from haochaping.admin.plates_sheet import (
    PLATES_PER_PAGE,
    UnknownHall,
    plates_by_hall,
    qr_modules,
    sheet_svg,
    write_plate_sheets,
)
from haochaping.admin.progress import ProgressBar
from haochaping.domain.errors import Forbidden
from haochaping.domain.plates import (
    SignatureInvalid,
    TicketExpired,
    issue_ticket,
    plate_signature,
    plate_url,
    verify_plate,
    verify_ticket,
)
from haochaping.domain.rating import LEVEL_NAMES_ZH
from haochaping.domain.registry import Department, Hall, Registry, Staff, StaffRole, Tag, TagSet, Window
from PIL import Image, ImageDraw

pytestmark = pytest.mark.unit

SECRET = b"UnitTestSigningSecretNotUsedAnywhere0123456789ab"
OTHER_SECRET = b"AnotherStacksSigningSecretNotUsedAnywhere0123456"
BASE_URL = "https://haochaping-640104.yinchuan.example"
SVG = "{http://www.w3.org/2000/svg}"
VALIDITY = timedelta(hours=24)
ISSUED_AT = datetime(2026, 3, 4, 1, 30, tzinfo=UTC)  # 09:30 in Yinchuan


# ---------------------------------------------------------------- helpers: reading a sheet back


def plate_groups(svg_text: str) -> dict[str, ET.Element]:
    """The plates of a sheet, by window code."""
    root = ET.fromstring(svg_text)
    return {g.attrib["data-window"]: g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "plate"}


def modules_of(plate: ET.Element) -> list[list[bool]]:
    """The dark modules the plate's QR path draws, quiet zone cut off."""
    path = next(p for p in plate.iter(f"{SVG}path") if p.attrib.get("class") == "qr-modules")
    runs = [tuple(map(int, m)) for m in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.attrib["d"])]
    size = max(y for _, y, _ in runs) - min(y for _, y, _ in runs) + 1
    offset = min(y for _, y, _ in runs)
    grid = [[False] * size for _ in range(size)]
    for x, y, length in runs:
        for column in range(x, x + length):
            grid[y - offset][column - offset] = True
    return grid


def decode(modules: list[list[bool]], scale: int = 8, quiet_zone: int = 4) -> str:
    """Rasterise the modules to a PNG and let zxing-cpp read it as a phone would."""
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
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(buffer.getvalue())))
    assert len(results) == 1, "exactly one QR code"
    return results[0].text


def small_registry(windows: int = 11) -> Registry:
    department = Department(code="11640104MB0000001X", name="兴庆区审批服务管理局")
    return Registry(
        division_code="640104",
        demo=True,
        halls=(
            Hall(code="XQ01", name="兴庆区政务服务大厅", name_en="Xingqing Hall"),
            Hall(code="XQ02", name="空厅"),
        ),
        departments=(department,),
        windows=tuple(
            Window(
                code=f"XQ01-A{n:03d}",
                hall_code="XQ01",
                number=f"A{n:03d}",
                name="工程建设项目并联审批综合受理窗口（长名称）",
                name_en="A rather long English name for a window that has to fit on the plate",
                department_code=department.code,
                active=n != 2,
            )
            for n in range(1, windows + 1)
        ),
        staff=(Staff(job_number="XQ010001", name="演示员甲子", role=StaffRole.CLERK, hall_code="XQ01"),),
        tag_set=TagSet(version="1", tags=(Tag(code="501", name="服务效率高"),)),
    )


# ---------------------------------------------------------------- plates


def test_a_plate_signature_verifies_for_its_window() -> None:
    # Given the signature printed on window A017's plate
    signature = plate_signature("640104-A017", SECRET)
    # When verifying it for that window
    # Then it passes
    verify_plate("640104-A017", signature, SECRET)


@pytest.mark.parametrize(
    ("window_code", "secret"),
    [("640104-A018", SECRET), ("640104-A017", OTHER_SECRET)],
)
def test_a_plate_signature_fails_for_another_window_or_secret(window_code: str, secret: bytes) -> None:
    # Given window A017's signature
    signature = plate_signature("640104-A017", SECRET)
    # When verifying it for another window, or under another stack's secret
    # Then it is refused as a forbidden signature
    with pytest.raises(SignatureInvalid) as raised:
        verify_plate(window_code, signature, secret)
    assert isinstance(raised.value, Forbidden)
    assert raised.value.code == "signature_invalid"


@pytest.mark.parametrize("signature", ["", "x", "AAAAAAAAAAAAAAAA"])
def test_a_missing_or_made_up_signature_fails(signature: str) -> None:
    # Given no signature, or a guessed one
    # When verifying it
    # Then it is refused
    with pytest.raises(SignatureInvalid):
        verify_plate("640104-A017", signature, SECRET)


def test_the_plate_url_opens_the_form_of_its_window() -> None:
    # Given the district's public origin
    # When making the plate's URL
    url = plate_url(BASE_URL + "/", "640104-A017", SECRET)
    # Then it points at /r/<window> with the window's signature, URL-safe
    assert url == f"{BASE_URL}/r/640104-A017?sig={plate_signature('640104-A017', SECRET)}"
    assert set(url.rsplit("=", 1)[1]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# ---------------------------------------------------------------- tickets


def test_a_ticket_verifies_for_its_window_within_its_validity() -> None:
    # Given a ticket issued at a window
    token = issue_ticket("XQ01-A001", "A023", ISSUED_AT, SECRET)
    # When it is verified an hour later
    ticket = verify_ticket(token, "XQ01-A001", ISSUED_AT + timedelta(hours=1), VALIDITY, SECRET)
    # Then it names the window, the number and the time of issue (the day in China time)
    assert (ticket.window_code, ticket.number, ticket.issued_at) == ("XQ01-A001", "A023", ISSUED_AT)
    assert ticket.ticket_id == "XQ01-A001#20260304#A023"


def test_a_ticket_id_uses_the_day_in_china() -> None:
    # Given a ticket issued at 17:00 UTC, which is 01:00 the next day in Yinchuan
    token = issue_ticket("640104-A017", "B001", datetime(2026, 11, 26, 17, 0, tzinfo=UTC), SECRET)
    # When verifying it
    ticket = verify_ticket(token, "640104-A017", datetime(2026, 11, 26, 18, 0, tzinfo=UTC), VALIDITY, SECRET)
    # Then its id carries the Chinese date
    assert ticket.ticket_id == "640104-A017#20261127#B001"


def test_an_expired_ticket_is_refused() -> None:
    # Given a ticket issued more than its validity ago
    token = issue_ticket("640104-A017", "A023", ISSUED_AT, SECRET)
    # When verifying it
    with pytest.raises(TicketExpired) as raised:
        verify_ticket(token, "640104-A017", ISSUED_AT + VALIDITY + timedelta(seconds=1), VALIDITY, SECRET)
    # Then it is refused as expired
    assert raised.value.code == "ticket_expired"


def test_a_ticket_is_valid_until_the_end_of_its_validity() -> None:
    # Given a ticket
    token = issue_ticket("640104-A017", "A023", ISSUED_AT, SECRET)
    # When verifying it exactly at the end of its validity
    ticket = verify_ticket(token, "640104-A017", ISSUED_AT + VALIDITY, VALIDITY, SECRET)
    # Then it still passes
    assert ticket.number == "A023"


@pytest.mark.parametrize(
    ("window_code", "secret", "now", "reason"),
    [
        ("640104-B003", SECRET, ISSUED_AT, "another window"),
        ("640104-A017", OTHER_SECRET, ISSUED_AT, "signature does not match"),  # another stack
        ("640104-A017", SECRET, ISSUED_AT - timedelta(minutes=10), "future"),
        ("640104-A017", SECRET, ISSUED_AT - timedelta(minutes=6), "future"),  # just past the 5-minute allowance
    ],
)
def test_a_ticket_for_another_window_stack_or_time_is_refused(
    window_code: str, secret: bytes, now: datetime, reason: str
) -> None:
    # Given a ticket of window A017
    token = issue_ticket("640104-A017", "A023", ISSUED_AT, SECRET)
    # When verifying it elsewhere, under another secret, or before it was issued
    # Then it is refused, saying why
    with pytest.raises(SignatureInvalid, match=reason):
        verify_ticket(token, window_code, now, VALIDITY, secret)


@pytest.mark.parametrize("token", ["", "no-dot", "!!!.sig", "YWJj.sig", "NjQwMTA0LUExMDd8QTAyM3x4.sig"])
def test_a_malformed_ticket_is_refused_not_crashed_on(token: str) -> None:
    # Given something that is not a ticket
    # When verifying it
    # Then it is refused as an invalid signature
    with pytest.raises(SignatureInvalid):
        verify_ticket(token, "640104-A017", ISSUED_AT, VALIDITY, SECRET)


def test_a_ticket_with_a_changed_number_is_refused() -> None:
    # Given a real ticket whose payload is swapped for another number, keeping the signature
    token = issue_ticket("640104-A017", "A023", ISSUED_AT, SECRET)
    forged_payload = issue_ticket("640104-A017", "A024", ISSUED_AT, SECRET).split(".")[0]
    forged = f"{forged_payload}.{token.split('.')[1]}"
    # When verifying it
    # Then it is refused
    with pytest.raises(SignatureInvalid):
        verify_ticket(forged, "640104-A017", ISSUED_AT, VALIDITY, SECRET)


def test_a_ticket_signed_by_another_stack_or_stripped_of_its_signature_is_refused() -> None:
    # Given a ticket minted under another stack's secret, and a real one with its signature cut off
    forged = issue_ticket("XQ01-A001", "A024", ISSUED_AT, OTHER_SECRET)
    encoded = issue_ticket("XQ01-A001", "A023", ISSUED_AT, SECRET).split(".")[0]
    # When each is verified
    # Then each is refused
    for bad in (forged, f"{encoded}."):
        with pytest.raises(SignatureInvalid):
            verify_ticket(bad, "XQ01-A001", ISSUED_AT, VALIDITY, SECRET)


# ---------------------------------------------------------------- sheets


def test_qr_symbols_use_error_correction_m_or_higher() -> None:
    # Given a plate URL
    url = plate_url(BASE_URL, "XQ01-A001", SECRET)
    # When its QR symbol is drawn and read back
    modules = qr_modules(url)
    # Then it decodes to the URL
    assert decode(modules) == url
    assert segno.make_qr(url, error="m").error in {"M", "Q", "H"}


def test_a_sheet_holds_one_decodable_plate_per_active_window_and_no_staff_name() -> None:
    # Given a hall with 11 windows, one of them inactive
    registry = small_registry(11)
    plates = plates_by_hall(registry, BASE_URL, SECRET)["XQ01"]
    drawn: list[int] = []
    # When its sheet is drawn
    svg = sheet_svg(registry.halls[0], plates, demo=True, on_plate=lambda: drawn.append(1))
    # Then every active window has a plate whose QR decodes to its signed URL
    groups = plate_groups(svg)
    assert sorted(groups) == [w.code for w in registry.windows if w.active]
    assert len(drawn) == 10
    for code, group in groups.items():
        url = decode(modules_of(group))
        assert url == plate_url(BASE_URL, code, SECRET)
        verify_plate(code, parse_qs(urlsplit(url).query)["sig"][0], SECRET)
    # And it shows the hall, the window and the five levels, over two A4 pages, marked as demo
    text = "".join(ET.fromstring(svg).itertext())
    assert "兴庆区政务服务大厅" in text and "A011" in text and "演示数据" in text
    assert all(name in text for name in LEVEL_NAMES_ZH.values())
    assert ET.fromstring(svg).attrib["height"] == "594mm"
    assert ET.fromstring(svg).attrib["width"] == "210mm"
    assert "演示员甲子" not in svg and "XQ010001" not in svg
    assert PLATES_PER_PAGE == 9


def test_write_plate_sheets_skips_halls_without_windows_and_refuses_unknown_halls(tmp_path) -> None:
    # Given a registry with one empty hall
    registry = small_registry(3)
    # When the sheets are written
    sheets = write_plate_sheets(registry, public_base_url=BASE_URL, secret=SECRET, out_dir=tmp_path)
    # Then only the hall with windows gets one
    assert [(s.hall_code, s.plates, s.pages) for s in sheets] == [("XQ01", 2, 1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["XQ01.svg"]
    with pytest.raises(UnknownHall, match="XQ99"):
        write_plate_sheets(registry, public_base_url=BASE_URL, secret=SECRET, out_dir=tmp_path, hall_code="XQ99")


def test_progress_bar_counts_plates_on_one_line_per_tenth_when_not_a_terminal() -> None:
    # Given a progress bar writing to a non-terminal stream
    stream = io.StringIO()
    # When 388 plates are drawn
    with ProgressBar(388, stream=stream) as bar:
        for _ in range(388):
            bar.advance()
    # Then it wrote about a dozen lines, the last one full
    lines = stream.getvalue().splitlines()
    assert 10 <= len(lines) <= 12
    assert lines[-1] == "plates  388/388 [" + "#" * 30 + "]"
    assert lines[0] == "plates    0/388 [" + "." * 30 + "]"
