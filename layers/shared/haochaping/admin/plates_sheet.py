"""Printable sheets of QR plates 二维码牌: one SVG per hall, A4 pages stacked, 9 plates a page.

Each plate shows the hall, the window's number and name, the signed QR code of its plate URL
and the five levels as a legend. Nothing about staff is printed: a plate names a window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import segno

from haochaping.domain.plates import plate_url
from haochaping.domain.rating import LEVEL_NAMES_ZH, Level
from haochaping.domain.registry import Hall, Registry, Window

# Millimetres. A4 pages, 3 × 3 plates of 60 × 88 mm each.
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM, GAP = 10.0, 13.0, 10.0, 5.0
COLUMNS, ROWS = 3, 3
PLATES_PER_PAGE = COLUMNS * ROWS
PLATE_WIDTH = (PAGE_WIDTH - 2 * MARGIN_X - (COLUMNS - 1) * GAP) / COLUMNS
PLATE_HEIGHT = (PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - (ROWS - 1) * GAP) / ROWS
QR_SIZE = 44.0  # the symbol with its 4-module quiet zone
QR_TOP = 12.0
QR_QUIET_ZONE = 4
QR_ERROR = "m"  # at least M; segno raises it when that costs no extra size

FONT_FAMILY = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', SimHei, sans-serif"
HEADER_COLOUR = "#b71c1c"
LEVEL_COLOURS = {
    Level.VERY_SATISFIED: "#1b5e20",
    Level.SATISFIED: "#43a047",
    Level.BASICALLY_SATISFIED: "#9ccc65",
    Level.DISSATISFIED: "#fb8c00",
    Level.VERY_DISSATISFIED: "#e53935",
}
LEVELS_BEST_FIRST = tuple(sorted(Level, reverse=True))


class UnknownHall(ValueError):
    """A hall code that the registry does not hold."""


@dataclass(frozen=True)
class Plate:
    """One window's QR plate: where it hangs and the signed URL it carries."""

    hall: Hall
    window: Window
    url: str


@dataclass(frozen=True)
class SheetWritten:
    hall_code: str
    path: Path
    plates: int
    pages: int


def plates_by_hall(
    registry: Registry, public_base_url: str, secret: bytes, hall_code: str | None = None
) -> dict[str, list[Plate]]:
    """The plates of every active window, grouped by hall in registry order (one hall if given)."""
    halls = {hall.code: hall for hall in registry.halls}
    if hall_code is not None and hall_code not in halls:
        raise UnknownHall(f"no hall {hall_code} in the registry (halls: {', '.join(halls)})")
    grouped: dict[str, list[Plate]] = {code: [] for code in halls if hall_code is None or code == hall_code}
    for window in registry.windows:
        if not window.active or window.hall_code not in grouped:
            continue
        url = plate_url(public_base_url, window.code, secret)
        grouped[window.hall_code].append(Plate(hall=halls[window.hall_code], window=window, url=url))
    return {code: plates for code, plates in grouped.items() if plates}


def qr_modules(url: str) -> list[list[bool]]:
    """The QR symbol of ``url`` (error correction M or higher) as rows of dark modules, no quiet zone."""
    symbol = segno.make_qr(url, error=QR_ERROR, boost_error=True)
    return [[bool(module) for module in row] for row in symbol.matrix]


def qr_path_data(modules: Sequence[Sequence[bool]], offset: int = QR_QUIET_ZONE) -> str:
    """SVG path data: one closed rectangle per horizontal run of dark modules, one unit per module."""
    parts: list[str] = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            parts.append(f"M{start + offset} {y + offset}h{x - start}v1h-{x - start}z")
    return "".join(parts)


def _text_width(text: str, size: float) -> float:
    """A rough width: CJK characters are square, the rest about half as wide."""
    return sum(size if ord(char) >= 0x2E80 else size * 0.56 for char in text)


def _text(
    text: str,
    x: float,
    y: float,
    size: float,
    *,
    anchor: str = "middle",
    fill: str = "#000",
    weight: str = "normal",
    max_width: float | None = None,
    css_class: str = "",
) -> str:
    fit = ""
    if max_width is not None and _text_width(text, size) > max_width:
        fit = f' textLength="{max_width:g}" lengthAdjust="spacingAndGlyphs"'
    klass = f' class="{css_class}"' if css_class else ""
    bold = f' font-weight="{weight}"' if weight != "normal" else ""
    return (
        f'<text{klass} x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}"{bold}{fit}>'
        f"{escape(text)}</text>"
    )


def plate_svg(plate: Plate, x: float, y: float) -> str:
    """One plate as an SVG group placed at (x, y) mm."""
    w, h = PLATE_WIDTH, PLATE_HEIGHT
    middle = w / 2
    modules = qr_modules(plate.url)
    units = len(modules) + 2 * QR_QUIET_ZONE
    scale = QR_SIZE / units
    qr_left = (w - QR_SIZE) / 2
    window = plate.window
    parts = [
        f'<g class="plate" data-window={quoteattr(window.code)} transform="translate({x:g} {y:g})">',
        f'<rect class="cut" x="0" y="0" width="{w:g}" height="{h:g}" rx="3" fill="#fff" stroke="#444" '
        'stroke-width="0.3"/>',
        f'<path d="M0 3a3 3 0 0 1 3-3h{w - 6:g}a3 3 0 0 1 3 3v8h-{w:g}z" fill="{HEADER_COLOUR}"/>',
        _text(plate.hall.name, middle, 5.4, 3.6, fill="#fff", weight="bold", max_width=w - 6, css_class="hall"),
        _text("政务服务“好差评” · 扫码评价", middle, 9.3, 2.3, fill="#fff", max_width=w - 6),
        f'<g class="qr" transform="translate({qr_left:g} {QR_TOP:g}) scale({scale:.6f})">'
        f'<rect width="{units}" height="{units}" fill="#fff"/>'
        f'<path class="qr-modules" d="{qr_path_data(modules)}" fill="#000" shape-rendering="crispEdges"/></g>',
        _text(window.number, middle, 62.8, 6.5, weight="bold", max_width=w - 6, css_class="window-number"),
        _text(window.name, middle, 67.8, 3.4, max_width=w - 5, css_class="window-name"),
    ]
    if window.name_en:
        parts.append(_text(window.name_en, middle, 71.4, 2.2, fill="#555", max_width=w - 5))
    cell = (w - 4) / len(LEVELS_BEST_FIRST)
    parts.append('<g class="levels">')
    for index, level in enumerate(LEVELS_BEST_FIRST):
        centre = 2 + cell * index + cell / 2
        parts.append(f'<circle cx="{centre:g}" cy="76.2" r="1.5" fill="{LEVEL_COLOURS[level]}"/>')
        parts.append(_text(LEVEL_NAMES_ZH[level], centre, 80.6, 2.0, max_width=cell - 0.6, css_class="level"))
    parts.append("</g>")
    parts.append(_text(window.code, 3, h - 2.2, 1.8, anchor="start", fill="#777", css_class="window-code"))
    parts.append(_text("差评件件有整改、有反馈", w - 3, h - 2.2, 1.8, anchor="end", fill="#777"))
    parts.append("</g>")
    return "".join(parts)


def sheet_svg(
    hall: Hall,
    plates: Sequence[Plate],
    *,
    demo: bool = False,
    division_name: str = "",
    on_plate: Callable[[], None] | None = None,
) -> str:
    """A hall's sheet: A4-wide, one A4 page per nine plates, pages stacked downwards."""
    pages = max(1, math.ceil(len(plates) / PLATES_PER_PAGE))
    height = PAGE_HEIGHT * pages
    title = f"{division_name} {hall.name} 二维码评价牌".strip()
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_WIDTH:g}mm" height="{height:g}mm" '
        f'viewBox="0 0 {PAGE_WIDTH:g} {height:g}" font-family={quoteattr(FONT_FAMILY)} '
        f'data-hall={quoteattr(hall.code)} data-plates="{len(plates)}" data-pages="{pages}">\n',
        f"<title>{escape(title)}</title>\n",
        f'<rect width="{PAGE_WIDTH:g}" height="{height:g}" fill="#fff"/>\n',
    ]
    for page in range(pages):
        top = PAGE_HEIGHT * page
        out.append(f'<g class="page" transform="translate(0 {top:g})">\n')
        if page > 0:
            out.append(
                f'<line class="page-break" x1="0" y1="0" x2="{PAGE_WIDTH:g}" y2="0" stroke="#bbb" '
                'stroke-width="0.2" stroke-dasharray="2 2"/>\n'
            )
        heading = f"{hall.name} {hall.name_en} · {hall.code}".strip()
        out.append(_text(heading, MARGIN_X, 8, 3.2, anchor="start", weight="bold", max_width=120) + "\n")
        out.append(_text(f"第 {page + 1}/{pages} 页", PAGE_WIDTH - MARGIN_X, 8, 2.6, anchor="end", fill="#555") + "\n")
        if demo:
            out.append(
                _text("演示数据 DEMO — 非真实窗口", PAGE_WIDTH / 2 + 30, 8, 2.6, fill=HEADER_COLOUR, weight="bold")
                + "\n"
            )
        for slot, plate in enumerate(plates[page * PLATES_PER_PAGE : (page + 1) * PLATES_PER_PAGE]):
            row, column = divmod(slot, COLUMNS)
            x = MARGIN_X + column * (PLATE_WIDTH + GAP)
            y = MARGIN_TOP + row * (PLATE_HEIGHT + GAP)
            out.append(plate_svg(plate, x, y) + "\n")
            if on_plate is not None:
                on_plate()
        out.append(
            _text("沿外框裁切 · cut along the outer border", PAGE_WIDTH / 2, PAGE_HEIGHT - 4, 2.0, fill="#999") + "\n"
        )
        out.append("</g>\n")
    out.append("</svg>\n")
    return "".join(out)


def write_plate_sheets(
    registry: Registry,
    *,
    public_base_url: str,
    secret: bytes,
    out_dir: Path,
    hall_code: str | None = None,
    division_name: str = "",
    on_plate: Callable[[], None] | None = None,
) -> list[SheetWritten]:
    """Write ``<out_dir>/<hall code>.svg`` for every hall with active windows (or the one hall given)."""
    grouped = plates_by_hall(registry, public_base_url, secret, hall_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for code, plates in grouped.items():
        hall = plates[0].hall
        svg = sheet_svg(hall, plates, demo=registry.demo, division_name=division_name, on_plate=on_plate)
        path = out_dir / f"{code}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(
            SheetWritten(hall_code=code, path=path, plates=len(plates), pages=math.ceil(len(plates) / PLATES_PER_PAGE))
        )
    return written


def count_plates(registry: Registry, hall_code: str | None = None) -> int:
    """How many plates ``write_plate_sheets`` will draw (for the progress bar)."""
    return sum(
        1 for window in registry.windows if window.active and (hall_code is None or window.hall_code == hall_code)
    )
