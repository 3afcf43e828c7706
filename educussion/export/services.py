"""Export a discussion summary: check who asks, build, hand back the file, and record it in the audit log once
it was delivered (a failed or interrupted export is not in the log, and never replaces a good file)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, dates
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..models import AuditAction, Outcome, Role, Theme, Thread, User, Visibility, utcnow
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
    actor: User | None = None
    filters: SummaryFilters | None = None

    def delivered(self) -> None:
        """Record the export in the audit log: call it once the file (or page) was handed over, not before."""
        with unit_of_work():
            _record(self)

    def stream(self) -> Iterator[bytes]:
        """The file's chunks for a streamed response, audited after the last one was handed to the server;
        an export that fails half-way, or that the browser abandons, is not recorded."""
        yield from self.chunks
        self.delivered()


def _record(export: Export) -> None:
    audit.record(export.actor, AuditAction.SUMMARY_EXPORTED, "summary",
                 params={"format": export.file_format, "threads": export.summary.overview.thread_count,
                         "filters": export.filters.as_params(), "command_line": export.actor is None})


def _encoded(chunks: Iterator[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")


def _lazy_xlsx(summary: Summary) -> Iterator[bytes]:
    yield formats.xlsx(summary)  # built when the response is sent, not before


def _check(filters: SummaryFilters) -> None:
    """Filters the form (or the command line) could not check: a wrong value is an error, never an empty file."""
    if filters.scope not in ("board", "theme", "thread"):
        raise InvalidInput("scope", _("Please choose what to summarise."))
    if filters.scope == "thread":
        _check_thread(filters.thread_id)
    if filters.scope == "theme" and db.session.execute(
            select(Theme.id).filter_by(slug=filters.theme_slug or "")).first() is None:
        raise InvalidInput("theme", _("Please choose a theme."))
    if any(outcome not in {o.value for o in Outcome} for outcome in filters.outcomes):
        raise InvalidInput("outcomes", _("Please choose an outcome."))
    if filters.opener_role and filters.opener_role not in {r.value for r in Role}:
        raise InvalidInput("opener_role", _("Please choose a role."))
    if not filters.fiscal_year and filters.start and filters.end and filters.end < filters.start:
        raise InvalidInput("end", _("Choose a date on or after the start date."))


def _check_thread(thread_id: int | None) -> None:
    """A summary of one thread needs a thread that exists and that everyone can see (summaries hold only that)."""
    if not thread_id:
        raise InvalidInput("thread_id", _("Please enter the thread number."))
    status = db.session.execute(select(Thread.status).where(Thread.id == thread_id)).scalar()
    if status is None:
        raise InvalidInput("thread_id", _("There is no thread with number %(number)d.", number=thread_id))
    if status != Visibility.VISIBLE:
        raise InvalidInput("thread_id", _("Thread %(number)d is not public, so it is not part of any summary.",
                                          number=thread_id))


def export_summary(filters: SummaryFilters, *, actor: User | None, file_format: str, base_url: str) -> Export:
    """`actor` None is the command line (someone with access to the server). Every export is audited."""
    if actor is not None and not can_summarise(actor):
        raise PermissionDenied(_("Only the secretariat can export summaries."))
    if file_format not in formats.FORMATS:
        raise InvalidInput("file_format", _("Please choose a format."))
    _check(filters)
    summary = build(filters, base_url)
    stamp = dates.to_tokyo(utcnow()).strftime("%Y%m%d-%H%M")  # the time on the secretariat's clock
    if file_format == "print":
        return Export(summary, file_format, "", "text/html", None, actor, filters)
    file_type = formats.FILE_TYPES[file_format]
    if file_format == "xlsx":
        chunks = _lazy_xlsx(summary)
    elif file_format == "csv":
        chunks = formats.csv(summary)
    elif file_format == "md":
        chunks = _encoded(formats.markdown(summary))
    else:
        chunks = _encoded(formats.json_chunks(summary))
    return Export(summary, file_format, f"summary-{stamp}.{file_type.extension}", file_type.mimetype, chunks,
                  actor, filters)


def write_file(export: Export, path: str) -> None:
    """Write the export to `path` without ever leaving a partial file there: the chunks go to a temporary
    file in the same folder, which replaces `path` (atomically, os.replace) only once it is complete and on
    disk; the audit entry commits with that step. A failure or a kill before it leaves any older file at
    `path` as it was and nothing in the audit log (a killed run may leave a hidden `.<name>.*.part` file)."""
    folder, name = os.path.split(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in export.chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        _keep_mode(temporary, path)
        with unit_of_work():
            _record(export)
            db.session.flush()
            os.replace(temporary, path)  # a failure here rolls the audit entry back
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _keep_mode(temporary: str, path: str) -> None:
    """mkstemp makes the file private (0600): give it the mode the file it replaces had, or the usual one."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)
