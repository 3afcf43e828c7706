"""総会 pages: the meetings, an agenda with its items and results, the carry-over of a closed 年度's unresolved
threads, and the agenda's print view and DOCX."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import dates
from ..errors import InvalidInput, PermissionDenied
from ..forms import attach_error
from ..models import AgendaKind
from ..params import int_list
from ..permissions import can_manage_proposals, can_read_proposal, why_not_view_meetings
from ..urls import absolute_url, base_url
from . import meetings, queries
from .docx import agenda_docx
from .forms import CarryOverForm, ItemForm, MeetingForm, ResultForm, numbers_in

bp = Blueprint("meetings", __name__)


def _found(thing):
    if thing is None:
        abort(404)
    return thing


def _members_only() -> None:
    why = why_not_view_meetings(current_user)
    if why is not None:
        raise PermissionDenied(why)


def _secretariat_only() -> None:
    if not can_manage_proposals(current_user):
        raise PermissionDenied(_("Only the secretariat can do this."))


def _meeting(meeting_id: int):
    _members_only()
    return _found(queries.meeting_by_id(meeting_id))


def numbered_items(meeting) -> list[tuple[str, list]]:
    """Items grouped as 報告事項 then 審議事項, numbered through the whole agenda (第1号議案 …)."""
    groups, number = [], 0
    for kind in AgendaKind:
        items = [item for item in meeting.items if item.kind == kind]
        numbered = []
        for item in items:
            number += 1
            numbered.append((number, item))
        if numbered:
            groups.append((kind.label, numbered))
    return groups


def link_text(link) -> tuple[str, str]:
    """(name, absolute address) of what an agenda item links."""
    if link.proposal is not None:
        return _("Proposal: %(title)s", title=link.proposal.title), absolute_url("proposals.show",
                                                                                 proposal_id=link.proposal_id)
    if link.thread is not None:
        return _("Thread: %(title)s", title=link.thread.title), absolute_url("board.show_thread",
                                                                             thread_id=link.thread_id)
    address = link.document_url
    if address.startswith("/"):
        address = base_url() + address
    return _("Document: %(title)s", title=link.document_title), address


@bp.get("/meetings")
@login_required
def index():
    _members_only()
    return render_template("proposals/meetings.html", meetings=queries.meetings())


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def create():
    _secretariat_only()
    form = MeetingForm() if request.method == "POST" else MeetingForm(formdata=None)
    if form.validate_on_submit():
        try:
            meeting = meetings.create_meeting(actor=current_user, title=form.title.data, held_on=form.held_on.data,
                                              place=form.place.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The general meeting has been created. Add its agenda items below."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("proposals/meeting_new.html", form=form), 200 if request.method == "GET" else 400


def _item_form(submitted: bool) -> ItemForm:
    form = ItemForm() if submitted else ItemForm(formdata=None)
    form.proposals.choices = [SelectChoice(str(p.id), f"{p.title}（{dates.fiscal_year_label(p.fiscal_year)}）")
                              for p in queries.drafts()]
    return form


def _render(meeting, status=200, item_form=None, failed_item=None, result_form=None):
    return render_template("proposals/meeting.html", meeting=meeting, groups=numbered_items(meeting),
                           item_form=item_form or _item_form(False),
                           result_form=result_form or ResultForm(formdata=None),
                           failed_item=failed_item, link_text=link_text, can_read_proposal=can_read_proposal), status


@bp.get("/meetings/<int:meeting_id>")
@login_required
def show(meeting_id: int):
    return _render(_meeting(meeting_id))


@bp.post("/meetings/<int:meeting_id>/items")
@login_required
def add_item(meeting_id: int):
    meeting = _meeting(meeting_id)
    _secretariat_only()
    form = _item_form(True)
    if form.validate_on_submit():
        try:
            meetings.add_item(meeting, actor=current_user, data=meetings.ItemData(
                kind=form.kind.data, title=form.title.data or "", description=form.description.data or "",
                proposal_ids=int_list(form.proposals.data or []), thread_ids=numbers_in(form.threads.data),
                documents=meetings.parse_documents(form.documents.data)))
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The agenda item has been added."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return _render(meeting, 400, item_form=form)


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/result")
@login_required
def record_result(meeting_id: int, item_id: int):
    meeting = _meeting(meeting_id)
    _secretariat_only()
    item = _found(queries.item_by_id(meeting, item_id))
    form = ResultForm()
    if form.validate_on_submit():
        try:
            meetings.record_result(item, actor=current_user, result=form.result.data, note=form.note.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The result has been recorded."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id, _anchor=f"item-{item.id}"))
    return _render(meeting, 400, failed_item=item.id, result_form=form)


@bp.route("/meetings/carry-over", methods=["GET", "POST"])
@login_required
def carry_over():
    """Unresolved threads of a closed 年度, put on a later meeting's agenda."""
    _secretariat_only()
    years = meetings.closed_years()
    year = request.values.get("year", type=int) or (years[0] if years else None)
    threads = meetings.unresolved_threads(year) if year in years else []
    form = CarryOverForm() if request.method == "POST" else CarryOverForm(formdata=None)
    form.threads.choices = [SelectChoice(str(t.id), f"{t.title}（{t.outcome.label}）") for t in threads]
    later = [m for m in queries.meetings() if year is not None and m.fiscal_year > year]
    form.meeting.choices = [SelectChoice(str(m.id), m.title) for m in later]
    if request.method == "POST" and form.validate_on_submit():
        meeting = next((m for m in later if str(m.id) == form.meeting.data), None)
        if meeting is None:
            form.meeting.errors = [_("Please choose a general meeting of a later fiscal year.")]
        else:
            try:
                meetings.carry_over(meeting, actor=current_user, from_year=year,
                                    thread_ids=int_list(form.threads.data or []))
            except InvalidInput as error:
                attach_error(form, error)
            else:
                flash(_("The threads have been put on the agenda."), "success")
                return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("proposals/carry_over.html", years=years, year=year, form=form, threads=threads,
                           later=later), 200 if request.method == "GET" else 400


@bp.get("/meetings/<int:meeting_id>/print")
@login_required
def print_view(meeting_id: int):
    meeting = _meeting(meeting_id)
    return render_template("proposals/meeting_print.html", meeting=meeting, groups=numbered_items(meeting),
                           link_text=link_text, dates=dates)


@bp.get("/meetings/<int:meeting_id>/download.docx")
@login_required
def download_docx(meeting_id: int):
    meeting = _meeting(meeting_id)
    data = agenda_docx(meeting, numbered_items(meeting), base_url_of=link_text)
    response = Response(data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{meeting.id}-agenda.docx"'
    response.headers["Cache-Control"] = "no-store"
    return response
