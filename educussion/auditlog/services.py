"""Exporting the audit log: the file is built, then the export itself is written to the log."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .. import audit
from ..database import unit_of_work
from ..errors import PermissionDenied
from ..export import CSV_MIMETYPE, XLSX_MIMETYPE, Sheet, csv_bytes, xlsx_bytes
from ..models import AuditAction, User, utcnow
from ..permissions import can_manage_moderation
from . import queries
from .queries import JST

FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    filename: str
    mimetype: str
    rows: int


class _Counted:
    """Counts the rows as the writer reads them (the file is written in one pass)."""

    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def export_log(filters: queries.Filters, *, actor: User, file_format: str) -> ExportFile:
    """Every entry matching `filters` as an XLSX or CSV file; the export is audited (who, format, filters)."""
    if not can_manage_moderation(actor):
        raise PermissionDenied(_("Only the secretariat can open this page."))
    if file_format not in FORMATS:
        raise ValueError(f"unknown export format: {file_format}")
    rows = _Counted(queries.rows(filters))
    if file_format == "xlsx":
        sheet = Sheet(_("Audit log"), queries.headers(), rows)
        data = xlsx_bytes([sheet], header_text=_("National ICT Education Mayors' Council"))
        mimetype = XLSX_MIMETYPE
    else:
        data, mimetype = csv_bytes(queries.headers(), rows), CSV_MIMETYPE
    with unit_of_work():
        audit.record(actor, AuditAction.AUDIT_LOG_EXPORTED, "audit log",
                     params={"format": file_format, "rows": rows.count, "filters": filters.as_args()})
    stamp = utcnow().astimezone(JST).strftime("%Y%m%d-%H%M")
    return ExportFile(data, f"audit-log-{stamp}.{file_format}", mimetype, rows.count)
