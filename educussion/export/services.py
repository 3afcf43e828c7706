"""Export a discussion summary: check who asks, build, record it in the audit log, hand back the file."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

from .. import audit
from ..database import write_transaction
from ..errors import InvalidInput, PermissionDenied
from ..models import AuditAction, User, utcnow
from ..permissions import can_summarise
from . import formats
from .summary import Summary, SummaryFilters, build


@dataclass
class Export:
    summary: Summary
    file_format: str
    filename: str
    mimetype: str
    chunks: Iterator[bytes] | None  # None for the print view (rendered by the caller)


def _encoded(chunks: Iterator[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")


def _lazy_xlsx(summary: Summary) -> Iterator[bytes]:
    yield formats.xlsx(summary)  # built when the response is sent, not before


def export_summary(filters: SummaryFilters, *, actor: User | None, file_format: str, base_url: str) -> Export:
    """`actor` None is the command line (someone with access to the server). Every export is audited."""
    if actor is not None and not can_summarise(actor):
        raise PermissionDenied(_("Only the secretariat can export summaries."))
    if file_format not in formats.FORMATS:
        raise InvalidInput("file_format", _("Please choose a format."))
    if filters.scope not in ("board", "theme", "thread"):
        raise InvalidInput("scope", _("Please choose what to summarise."))
    summary = build(filters, base_url)
    with write_transaction():
        audit.record(actor, AuditAction.SUMMARY_EXPORTED, "summary",
                     summary=f"format={file_format} threads={summary.overview.thread_count} {filters.describe()}"
                             + ("" if actor is not None else " (command line)"))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if file_format == "print":
        return Export(summary, file_format, "", "text/html", None)
    file_type = formats.FILE_TYPES[file_format]
    if file_format == "xlsx":
        chunks = _lazy_xlsx(summary)
    elif file_format == "csv":
        chunks = formats.csv(summary)
    elif file_format == "md":
        chunks = _encoded(formats.markdown(summary))
    else:
        chunks = _encoded(formats.json_chunks(summary))
    return Export(summary, file_format, f"summary-{stamp}.{file_type.extension}", file_type.mimetype, chunks)
