"""Reads a member list (CSV from Excel, or XLSX) into invitation rows."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from openpyxl import load_workbook

from ..archives import ArchiveRefused, check_zip
from ..models import Role

# Column headers as the council's lists write them, in English or Japanese.
HEADERS = {
    "email": "email", "e-mail": "email", "メールアドレス": "email", "メール": "email",
    "name": "name", "氏名": "name", "名前": "name",
    "role": "role", "区分": "role", "役割": "role",
    "organisation": "organisation", "organization": "organisation", "所属": "organisation", "団体": "organisation",
    "団体コード": "organisation",
    "title": "title", "役職": "title",
}
ROLE_NAMES = {
    "首長": Role.MAYOR, "自治体職員": Role.MUNICIPAL_STAFF, "企業": Role.COMPANY,
    "学識経験者": Role.ACADEMIC, "事務局": Role.SECRETARIAT, "広報担当": Role.SITE_EDITOR,
    **{role.value: role for role in Role},
}


@dataclass(frozen=True)
class Row:
    number: int  # the line in the file, counting the header as 1
    values: dict[str, str]


class UnreadableFile(ValueError):
    """The upload is neither a CSV nor an XLSX file we can read, or lacks the e-mail column."""


class TooLargeFile(UnreadableFile):
    """The XLSX would inflate beyond what a member list needs (a zip bomb, or not a member list)."""


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):  # Excel's "CSV UTF-8" and its Shift_JIS CSV
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("encoding")


def _rows_from_table(table: list[list[str]]) -> list[Row]:
    if not table:
        raise UnreadableFile("empty")
    columns = [HEADERS.get(str(cell or "").strip().lower(), HEADERS.get(str(cell or "").strip(), ""))
               for cell in table[0]]
    if "email" not in columns:
        raise UnreadableFile("no email column")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {name: str(cell).strip() for name, cell in zip(columns, cells) if name and cell is not None}
        if any(values.values()):
            rows.append(Row(number, values))
    return rows


def read_member_list(filename: str, content: bytes) -> list[Row]:
    if content[:4] == b"PK\x03\x04":  # XLSX is a zip archive
        try:
            check_zip(content)  # before openpyxl inflates anything
        except ArchiveRefused as error:
            if error.reason == "damaged":
                raise UnreadableFile("xlsx") from error
            raise TooLargeFile(error.reason) from error
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise UnreadableFile("xlsx") from error
        return _rows_from_table([list(row) for row in sheet.iter_rows(values_only=True)])
    return _rows_from_table(list(csv.reader(io.StringIO(_decode(content)))))


def role_from(text: str) -> Role | None:
    return ROLE_NAMES.get((text or "").strip().lower()) or ROLE_NAMES.get((text or "").strip())
