"""CSV and XLSX writers: generic headers + rows (str, int, float, date, datetime, None), no database, no Flask.

Both neutralise formula injection: a text cell that a spreadsheet could read as a formula gets a leading
apostrophe, so 「=HYPERLINK(...)」 typed into a post arrives as text, never as a live formula.
"""
from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

JST = ZoneInfo("Asia/Tokyo")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# OWASP's list, plus the full-width forms (defensive: Japanese input methods type them easily).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
XLSX_MAX_CELL = 32767  # Excel's limit on the characters in one cell
XLSX_DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
XLSX_DATE_FORMAT = "yyyy/mm/dd"
CSV_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60

Row = Sequence[Any]


def neutralise(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would evaluate as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _local(value: datetime, tz: tzinfo) -> datetime:
    """Aware datetimes in the export's time zone, without tzinfo (Excel has no time zones), to the second."""
    local = value.astimezone(tz).replace(tzinfo=None) if value.tzinfo is not None else value
    return local.replace(microsecond=0)


# ---------------------------------------------------------------- CSV

def _csv_cell(value: Any, tz: tzinfo) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value, tz).strftime(CSV_DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bool, int, float)):
        return value
    return neutralise(str(value))


def iter_csv(headers: Sequence[Any], rows: Iterable[Row], *, tz: tzinfo = JST) -> Iterator[bytes]:
    """The CSV file in chunks: UTF-8 with a BOM (so Excel detects the encoding), comma, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write("\ufeff")
    writer.writerow([_csv_cell(h, tz) for h in headers])
    yield flush()
    for batch in _batched(rows, 500):
        for row in batch:
            writer.writerow([_csv_cell(v, tz) for v in row])
        yield flush()


def csv_bytes(headers: Sequence[Any], rows: Iterable[Row], *, tz: tzinfo = JST) -> bytes:
    return b"".join(iter_csv(headers, rows, tz=tz))


def _batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# ---------------------------------------------------------------- XLSX

@dataclass
class Sheet:
    """One worksheet: a title (at most 31 characters), column headers and the rows under them.

    `widths` (in characters) overrides the widths measured from the headers and the first rows."""

    title: str
    headers: Sequence[Any]
    rows: Iterable[Row]
    widths: Sequence[float] | None = None
    wrap: Sequence[int] = ()  # columns (0-based) of long text: wrapped, rows made tall enough to read them


class Heading(tuple):
    """A row inside a sheet that heads a table of its own (written bold, after an empty row)."""


LINE_HEIGHT = 18  # points per line of Japanese text at Excel's default size
MAX_ROW_LINES = 20  # a longer cell is read in the cell itself; the row stops growing there


def _display_width(text: str) -> int:
    """Columns the text takes in Excel: full-width (Japanese) characters count twice."""
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return "0000/00/00 00:00"
    if isinstance(value, date):
        return "0000/00/00"
    return "" if value is None else str(value)


def _measure(headers: Sequence[Any], sample: list[Row]) -> list[float]:
    widths = []
    for column, header in enumerate(headers):
        longest = max([_display_width(str(header))] + [
            _display_width(_shown(row[column])) for row in sample if column < len(row)])
        widths.append(min(max(longest + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


def _safe_title(title: str, used: set[str]) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(title)).strip("'")[:31] or "Sheet"
    candidate, n = cleaned, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = cleaned[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped text cell needs at `width` characters."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int(width) - 1, 1)
    return sum(max(1, -(-_display_width(line) // per_line)) for line in value.split("\n"))


def _print_setup(ws, header_text: str, title_row: bool) -> None:
    """Printed on A4 landscape, one page wide, the header row on every page, page numbers at the foot."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_row:
        ws.print_title_rows = "1:1"
    if header_text:
        ws.oddHeader.center.text = header_text.replace("&", "&&")
    ws.oddFooter.center.text = "&P / &N"


def _xlsx_cell(ws, value: Any, tz: tzinfo, header: bool = False, wrap: bool = False) -> WriteOnlyCell:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=_local(value, tz))
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = XLSX_DATE_FORMAT
    elif value is None or isinstance(value, (bool, int, float)):
        cell = WriteOnlyCell(ws, value=value)
    else:
        # Text stays text: "011002" keeps its leading zero, and '@' keeps it so when the cell is edited.
        # Control characters XML cannot hold go first, so what follows them is neutralised too.
        text = neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))[:XLSX_MAX_CELL]
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        cell.number_format = "@"
    if header:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center")
    elif wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _write_sheet(workbook: Workbook, sheet: Sheet, title: str, tz: tzinfo, header_text: str) -> None:
    ws = workbook.create_sheet(title)
    rows = iter(sheet.rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
    widths = sheet.widths or _measure(sheet.headers, sample)
    # In write-only mode the columns, panes and print settings must be set before the first row.
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    _print_setup(ws, header_text, bool(sheet.headers))
    ws.append([_xlsx_cell(ws, h, tz, header=True) for h in sheet.headers])
    wrap = set(sheet.wrap)
    count = 0
    for row in itertools.chain(sample, rows):
        count += 1
        if isinstance(row, Heading):
            ws.append([])
            count += 1
            ws.append([_xlsx_cell(ws, v, tz, header=True) for v in row])
            continue
        lines = max([_lines(row[c], widths[c]) for c in wrap if c < len(row) and c < len(widths)] or [1])
        if lines > 1:
            ws.row_dimensions[count + 1].height = min(lines, MAX_ROW_LINES) * LINE_HEIGHT
        ws.append([_xlsx_cell(ws, v, tz, wrap=c in wrap) for c, v in enumerate(row)])
    if sheet.headers and not any(isinstance(row, Heading) for row in sample):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{count + 1}"


def xlsx_bytes(sheets: Iterable[Sheet], *, tz: tzinfo = JST, header_text: str = "") -> bytes:
    """An .xlsx workbook, one worksheet per Sheet: bold frozen header row with filters, fitted widths,
    datetimes as real Excel dates in `tz`, text as text, long text wrapped; each sheet set up to print
    (`header_text` at the top of every page)."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for sheet in sheets:
        _write_sheet(workbook, sheet, _safe_title(sheet.title, used), tz, header_text)
    if not used:
        workbook.create_sheet("Sheet")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
