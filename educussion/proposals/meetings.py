"""The 総会 (general meeting): its agenda items (議案) with their proposals, threads and documents, the results
recorded after the meeting, and the carry-over of a closed 年度's unresolved threads. One unit of work each."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit, dates
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied, Problems
from ..extensions import db
from ..limits import MAX_BODY_LENGTH, MAX_TITLE_LENGTH, too_long_message
from ..models import (AgendaItem, AgendaKind, AgendaLink, AgendaResult, AuditAction, GeneralMeeting, Outcome,
                      Proposal, Thread, User, Visibility, utcnow)
from ..permissions import can_manage_proposals

UNRESOLVED = (Outcome.UNDER_DISCUSSION, Outcome.CONTINUED)


def _require_secretariat(actor: User | None) -> None:
    if not can_manage_proposals(actor):
        raise PermissionDenied(_("Only the secretariat can do this."))


def _clean(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def create_meeting(*, actor: User, title: str, held_on: date | None, fiscal_year: int | None = None,
                   place: str = "") -> GeneralMeeting:
    """A 総会; its 年度 follows from the date unless given."""
    _require_secretariat(actor)
    problems = Problems()
    title, place = _clean(title), _clean(place)
    if not title:
        problems.add("title", _("Please enter the title."))
    elif len(title) > MAX_TITLE_LENGTH:
        problems.add("title", too_long_message(_("Title"), MAX_TITLE_LENGTH, len(title)))
    if held_on is None:
        problems.add("held_on", _("Please enter the date of the meeting."))
    if len(place) > 200:
        problems.add("place", too_long_message(_("Place"), 200, len(place)))
    problems.raise_any()
    with unit_of_work():
        meeting = GeneralMeeting(title=title, held_on=held_on, place=place,
                                 fiscal_year=fiscal_year or dates.fiscal_year(held_on), created_by_id=actor.id,
                                 created_at=utcnow())
        db.session.add(meeting)
        audit.record(actor, AuditAction.MEETING_CREATED, meeting,
                     params={"held_on": held_on.isoformat(), "fiscal_year": meeting.fiscal_year})
    return meeting


@dataclass
class ItemData:
    kind: str
    title: str
    description: str = ""
    proposal_ids: list[int] = field(default_factory=list)
    thread_ids: list[int] = field(default_factory=list)
    documents: list[tuple[str, str]] = field(default_factory=list)  # (title, address)


def parse_documents(lines: str) -> list[tuple[str, str]]:
    """「第1回総会 配布資料 https://…」 one a line: the title, then the address (the last word)."""
    found = []
    for line in (lines or "").splitlines():
        line = line.strip()
        if not line:
            continue
        title, _space, address = line.rpartition(" ")
        on_site = address.startswith("/") and not address.startswith("//")  # never another host's //address
        found.append((title.strip() or address, address) if address.startswith(("http://", "https://")) or on_site
                     else (line, ""))
    return found


def _checked_item(data: ItemData) -> tuple[AgendaKind, str, str, list[Proposal], list[Thread]]:
    problems = Problems()
    try:
        kind = AgendaKind(data.kind)
    except ValueError:
        kind = None
        problems.add("kind", _("Please choose the kind of agenda item."))
    title, description = _clean(data.title), _clean(data.description)
    if not title:
        problems.add("title", _("Please enter the title."))
    elif len(title) > MAX_TITLE_LENGTH:
        problems.add("title", too_long_message(_("Title"), MAX_TITLE_LENGTH, len(title)))
    if len(description) > MAX_BODY_LENGTH:
        problems.add("description", too_long_message(_("Description"), MAX_BODY_LENGTH, len(description)))
    proposals = list(db.session.execute(select(Proposal).where(Proposal.id.in_(data.proposal_ids or ()))).scalars())
    threads = list(db.session.execute(select(Thread).where(Thread.id.in_(data.thread_ids or ()),
                                                           Thread.status == Visibility.VISIBLE)).scalars())
    missing = sorted(set(data.thread_ids) - {t.id for t in threads})
    if missing:
        problems.add("threads", _("No thread with the number %(numbers)s was found.",
                                  numbers="、".join(str(n) for n in missing)))
    for doc_title, address in data.documents:
        if not address:
            problems.add("documents", _("Write each document as its title, a space, and its address "
                                        "(https://… or /…): “%(line)s”.", line=doc_title))
    problems.raise_any()
    return kind, title, description, proposals, threads


def add_item(meeting: GeneralMeeting, *, actor: User, data: ItemData) -> AgendaItem:
    _require_secretariat(actor)
    kind, title, description, proposals, threads = _checked_item(data)
    with unit_of_work():
        last = db.session.execute(select(func.max(AgendaItem.position)).filter_by(meeting_id=meeting.id)).scalar()
        item = AgendaItem(meeting_id=meeting.id, position=(last or 0) + 1, kind=kind, title=title,
                          description=description, created_at=utcnow())
        db.session.add(item)
        db.session.flush()
        for proposal in proposals:
            db.session.add(AgendaLink(item_id=item.id, proposal_id=proposal.id))
        for thread in threads:
            db.session.add(AgendaLink(item_id=item.id, thread_id=thread.id))
        for doc_title, address in data.documents:
            db.session.add(AgendaLink(item_id=item.id, document_title=doc_title[:200], document_url=address[:500]))
        audit.record(actor, AuditAction.MEETING_ITEM_ADDED, meeting,
                     params={"item": title, "kind": kind.value, "proposals": len(proposals), "threads": len(threads),
                             "documents": len(data.documents)})
    return item


def record_result(item: AgendaItem, *, actor: User, result: str, note: str = "") -> AgendaItem:
    """After the meeting: 承認 · 継続審議 · 否決, with a note (may be corrected; each change is audited)."""
    _require_secretariat(actor)
    try:
        value = AgendaResult(result)
    except ValueError:
        raise InvalidInput("result", _("Please choose the result."))
    note = _clean(note)
    if len(note) > MAX_BODY_LENGTH:
        raise InvalidInput("note", too_long_message(_("Note"), MAX_BODY_LENGTH, len(note)))
    with unit_of_work():
        before = item.result.value if item.result else None
        item.result, item.result_note = value, note
        item.decided_at, item.decided_by_id = utcnow(), actor.id
        audit.record(actor, AuditAction.MEETING_RESULT_RECORDED, item.meeting,
                     params={"item": item.title, "from": before, "to": value.value})
    return item


def closed_years(today: date | None = None) -> list[int]:
    """The 年度 that have ended and have threads, newest first."""
    current = dates.fiscal_year(today or dates.local_date(utcnow()))
    first = db.session.execute(select(func.min(Thread.created_at))).scalar()
    if first is None:
        return []
    return list(range(current - 1, dates.fiscal_year(first) - 1, -1))


def unresolved_threads(fiscal_year: int) -> list[Thread]:
    """Visible threads opened in the 年度 whose outcome is still 検討中 or 継続審議."""
    start, end = dates.fiscal_year_bounds(fiscal_year)
    return list(db.session.execute(select(Thread).where(
        Thread.status == Visibility.VISIBLE, Thread.created_at >= start, Thread.created_at < end,
        Thread.outcome.in_(UNRESOLVED)).order_by(Thread.created_at)).scalars())


def carry_over(meeting: GeneralMeeting, *, actor: User, from_year: int, thread_ids: list[int],
               today: date | None = None) -> AgendaItem:
    """Put a closed 年度's unresolved threads on a later meeting's agenda as one 審議事項 (「前年度からの継続審議」);
    each thread's outcome becomes 継続審議."""
    _require_secretariat(actor)
    if from_year not in closed_years(today):
        raise InvalidInput("year", _("%(year)s has not ended yet.", year=dates.fiscal_year_label(from_year)))
    if meeting.fiscal_year <= from_year:
        raise InvalidInput("meeting", _("Choose a general meeting of a later fiscal year."))
    eligible = {thread.id: thread for thread in unresolved_threads(from_year)}
    chosen = [eligible[i] for i in dict.fromkeys(thread_ids) if i in eligible]
    if not chosen:
        raise InvalidInput("threads", _("Please choose at least one thread to carry over."))
    with unit_of_work():
        item = add_item(meeting, actor=actor, data=ItemData(
            kind=AgendaKind.DELIBERATION.value,
            title=_("Carried over from %(year)s", year=dates.fiscal_year_label(from_year)),
            description=_("Threads of %(year)s not yet resolved, to be deliberated again.",
                          year=dates.fiscal_year_label(from_year)),
            thread_ids=[thread.id for thread in chosen]))
        for thread in chosen:
            if thread.outcome != Outcome.CONTINUED:
                before = thread.outcome
                thread.outcome = Outcome.CONTINUED
                audit.record(actor, AuditAction.THREAD_OUTCOME_SET, thread,
                             params={"from": before.value, "to": Outcome.CONTINUED.value})
        audit.record(actor, AuditAction.MEETING_CARRIED_OVER, meeting,
                     params={"from_year": from_year, "threads": [thread.id for thread in chosen]})
    return item
