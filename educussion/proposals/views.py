"""提言 pages: the list, a proposal (its working copy for the secretariat and the reviewers, its approved version
for members), paragraphs and citations, the review (意見照会), approval, versions, the print view and DOCX; and
「提言に引用」 from a post, a paragraph from a thread's まとめ."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from .. import dates
from ..board import queries as board_queries
from ..board.diff import Budget
from ..errors import InvalidInput, PermissionDenied
from ..forms import attach_error
from ..models import Section, utcnow
from ..params import int_list
from ..permissions import can_manage_proposals, can_see_proposal_draft, why_not_read_proposal, why_not_review_proposal
from . import document, queries, services
from .docx import proposal_docx
from .forms import (AnswerForm, ChooseParagraphForm, CiteForm, CommentForm, DecisionForm, EditParagraphForm,
                    NewParagraphForm, ParagraphForm, ProposalForm, ReviewForm, RewordingForm, SubmittedForm,
                    numbers_in)

bp = Blueprint("proposals", __name__)

CHANGE_LABELS = {
    "created": _l("Created"), "details_changed": _l("Details changed"), "paragraph_added": _l("Paragraph added"),
    "paragraph_edited": _l("Paragraph edited"), "paragraph_removed": _l("Paragraph removed"),
    "paragraph_moved": _l("Paragraph moved"), "citation_added": _l("Source cited"),
    "citation_removed": _l("Citation removed"), "rewording_accepted": _l("Rewording accepted"),
}


@bp.app_template_global()
def change_label(change: str) -> str:
    return str(CHANGE_LABELS.get(change, change))


@bp.app_template_filter("wareki")
def _wareki(day) -> str:
    return dates.wareki(day) if day else ""


@bp.app_template_filter("fiscal_year_label")
def _fiscal_year_label(year) -> str:
    return dates.fiscal_year_label(year) if year else ""


@bp.app_template_filter("attr_id")
def _with_id(form_field, new_id: str):
    """The same form rendered once per paragraph: each copy of a field gets its own id (labels stay tied)."""
    form_field.id = new_id
    return form_field


def _found(thing):
    if thing is None:
        abort(404)
    return thing


def _secretariat_only() -> None:
    if not can_manage_proposals(current_user):
        raise PermissionDenied(_("Only the secretariat can do this."))


def _readable(proposal_id: int):
    proposal = _found(queries.proposal_by_id(proposal_id))
    why = why_not_read_proposal(current_user, proposal)
    if why is not None:
        raise PermissionDenied(why)
    return proposal


def _managed(proposal_id: int):
    proposal = _found(queries.proposal_by_id(proposal_id))
    _secretariat_only()
    return proposal


def _checked_post() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400)


def _to_proposal(proposal, anchor: str | None = None):
    return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor=anchor))


# ---------------------------------------------------------------- list, create, details

@bp.get("/proposals")
@login_required
def index():
    if not current_user.is_verified:
        raise PermissionDenied(_("Proposals can be read once the secretariat has verified your account."))
    return render_template("proposals/index.html", proposals=queries.visible_proposals(current_user))


def _proposal_form(proposal=None) -> ProposalForm:
    form = ProposalForm() if request.method == "POST" else ProposalForm(formdata=None)
    form.themes.choices = [SelectChoice(str(t.id), t.name) for t in board_queries.themes()]
    if request.method == "GET":
        if proposal is not None:
            form.fiscal_year.data, form.title.data = proposal.fiscal_year, proposal.title
            form.addressee.data, form.themes.data = proposal.addressee, [str(t.id) for t in proposal.themes]
        else:
            form.fiscal_year.data = dates.fiscal_year(dates.local_date(utcnow()))
    return form


def _proposal_data(form: ProposalForm) -> services.ProposalData:
    return services.ProposalData(fiscal_year=form.fiscal_year.data, title=form.title.data or "",
                                 addressee=form.addressee.data or "", theme_ids=tuple(int_list(form.themes.data or [])))


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def create():
    _secretariat_only()
    form = _proposal_form()
    if form.validate_on_submit():
        try:
            proposal = services.create_proposal(actor=current_user, data=_proposal_data(form))
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The proposal has been created. Add its paragraphs below."), "success")
            return _to_proposal(proposal)
    return render_template("proposals/details.html", form=form, proposal=None), 200 if request.method == "GET" else 400


@bp.route("/proposals/<int:proposal_id>/details", methods=["GET", "POST"])
@login_required
def details(proposal_id: int):
    proposal = _managed(proposal_id)
    form = _proposal_form(proposal)
    if form.validate_on_submit():
        try:
            services.update_details(proposal, actor=current_user, data=_proposal_data(form))
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The details have been saved."), "success")
            return _to_proposal(proposal)
    return render_template("proposals/details.html", form=form, proposal=proposal), (
        200 if request.method == "GET" else 400)


# ---------------------------------------------------------------- the proposal page

def _render(proposal, status: int = 200, **forms):
    """The working copy with its comments, rewordings and review for the secretariat and the reviewers; the
    approved version for everyone else."""
    if not can_see_proposal_draft(current_user, proposal):
        approved = proposal.approved_version
        doc = document.build(proposal, approved.snapshot, viewer=current_user, version=approved)
        return render_template("proposals/published.html", proposal=proposal, doc=doc), status
    doc = document.build(proposal, document.snapshot(proposal), viewer=current_user)
    rewordings = queries.rewordings_by_paragraph(proposal)
    diffs = {r.id: document.rewording_changes(r.base_source, r.body_source)
             for items in rewordings.values() for r in items if r.status.value == "open"}
    review_form = forms.get("review_form") or ReviewForm(formdata=None)
    review_form.reviewers.choices = [SelectChoice(str(u.id), f"{u.display_name}（{u.affiliation}）")
                                     for u in queries.reviewer_candidates()]
    mine = next((r for r in queries.current_reviewers(proposal) if r.user_id == current_user.id), None)
    answer_form = forms.get("answer_form") or AnswerForm(formdata=None)
    if mine is not None and mine.answer is not None and "answer_form" not in forms:
        answer_form.answer.data, answer_form.note.data = mine.answer.value, mine.answer_note
    paragraph_form = forms.get("paragraph_form") or ParagraphForm(formdata=None)
    return render_template(
        "proposals/show.html", proposal=proposal, doc=doc, comments=queries.comments_by_paragraph(proposal),
        rewordings=rewordings, diffs=diffs, reviewers=queries.current_reviewers(proposal), mine=mine,
        open_rewordings=queries.open_rewording_count(proposal), paragraph_form=paragraph_form,
        cite_form=CiteForm(formdata=None), comment_form=CommentForm(formdata=None), decision_form=DecisionForm(
            formdata=None), review_form=review_form, answer_form=answer_form,
        submitted_form=forms.get("submitted_form") or SubmittedForm(formdata=None),
        failed=forms.get("failed"), failed_form=forms.get("failed_form"),
        why_not_review=why_not_review_proposal(current_user, proposal)), status


@bp.get("/proposals/<int:proposal_id>")
@login_required
def show(proposal_id: int):
    return _render(_readable(proposal_id))


@bp.post("/proposals/<int:proposal_id>/paragraphs")
@login_required
def add_paragraph(proposal_id: int):
    proposal = _managed(proposal_id)
    form = ParagraphForm()
    if form.validate_on_submit():
        try:
            paragraph = services.add_paragraph(proposal, actor=current_user, section=form.section.data,
                                               body=form.body.data, post_ids=tuple(numbers_in(form.post_ids.data)),
                                               thread_ids=tuple(numbers_in(form.thread_ids.data)))
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The paragraph has been added."), "success")
            return _to_proposal(proposal, f"paragraph-{paragraph.id}")
    return _render(proposal, 400, paragraph_form=form)


@bp.route("/proposals/<int:proposal_id>/paragraphs/<int:paragraph_id>/edit", methods=["GET", "POST"])
@login_required
def edit_paragraph(proposal_id: int, paragraph_id: int):
    proposal = _managed(proposal_id)
    paragraph = _found(queries.paragraph_by_id(proposal, paragraph_id))
    form = EditParagraphForm() if request.method == "POST" else EditParagraphForm(formdata=None)
    if request.method == "GET":
        form.body.data = paragraph.body_source
    if form.validate_on_submit():
        try:
            services.edit_paragraph(paragraph, actor=current_user, body=form.body.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The paragraph has been saved as a new version."), "success")
            return _to_proposal(proposal, f"paragraph-{paragraph.id}")
    return render_template("proposals/paragraph.html", proposal=proposal, paragraph=paragraph, form=form,
                           heading=_("Edit the paragraph")), 200 if request.method == "GET" else 400


@bp.post("/proposals/<int:proposal_id>/paragraphs/<int:paragraph_id>/remove")
@login_required
def remove_paragraph(proposal_id: int, paragraph_id: int):
    proposal = _managed(proposal_id)
    paragraph = _found(queries.paragraph_by_id(proposal, paragraph_id))
    _checked_post()
    services.remove_paragraph(paragraph, actor=current_user)
    flash(_("The paragraph has been removed. Earlier versions still hold it."), "success")
    return _to_proposal(proposal)


@bp.post("/proposals/<int:proposal_id>/paragraphs/<int:paragraph_id>/move")
@login_required
def move_paragraph(proposal_id: int, paragraph_id: int):
    proposal = _managed(proposal_id)
    paragraph = _found(queries.paragraph_by_id(proposal, paragraph_id))
    _checked_post()
    services.move_paragraph(paragraph, actor=current_user, up=request.form.get("direction") == "up")
    return _to_proposal(proposal, f"paragraph-{paragraph.id}")


@bp.post("/proposals/<int:proposal_id>/paragraphs/<int:paragraph_id>/citations")
@login_required
def cite(proposal_id: int, paragraph_id: int):
    proposal = _managed(proposal_id)
    paragraph = _found(queries.paragraph_by_id(proposal, paragraph_id))
    form = CiteForm()
    if form.validate_on_submit():
        try:
            added = services.cite_by_address(paragraph, actor=current_user, address=form.address.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The source has been cited.") if added else _("This paragraph already cites it."), "success")
            return _to_proposal(proposal, f"paragraph-{paragraph.id}")
    return _render(proposal, 400, failed=paragraph.id, failed_form=form)


@bp.post("/proposals/<int:proposal_id>/citations/<int:citation_id>/remove")
@login_required
def remove_citation(proposal_id: int, citation_id: int):
    proposal = _managed(proposal_id)
    citation = _found(queries.citation_by_id(proposal, citation_id))
    _checked_post()
    services.remove_citation(citation, actor=current_user)
    flash(_("The citation has been removed."), "success")
    return _to_proposal(proposal, f"paragraph-{citation.paragraph_id}")


# ---------------------------------------------------------------- citing from the board

def _new_paragraph_form(proposals, *, submitted: bool) -> NewParagraphForm:
    form = NewParagraphForm() if submitted else NewParagraphForm(formdata=None)
    form.proposal.choices = [SelectChoice(str(p.id), f"{p.title}（{dates.fiscal_year_label(p.fiscal_year)}・"
                                                     f"{p.status.label}）") for p in proposals]
    return form


def _render_cite_post(post, proposals, choose, new, status):
    paragraphs = {p.id: document.working_paragraphs(p) for p in proposals}
    return render_template("proposals/cite_post.html", post=post, proposals=proposals, paragraphs=paragraphs,
                           choose=choose, new=new), status


@bp.route("/posts/<int:post_id>/cite", methods=["GET", "POST"])
@login_required
def cite_post(post_id: int):
    """「提言に引用」: cite the post in a paragraph of a proposal, or start a new paragraph with it."""
    _secretariat_only()
    post = _found(board_queries.post_by_id(post_id))
    proposals = queries.drafts()
    choose = ChooseParagraphForm() if request.method == "POST" else ChooseParagraphForm(formdata=None)
    new = _new_paragraph_form(proposals, submitted=False)
    new.post_ids.data = str(post.id)
    new.section.data = Section.CURRENT.value
    if choose.validate_on_submit():
        paragraph_id = int_list([choose.paragraph.data])
        paragraph = queries.paragraph_by_id_any(paragraph_id[0]) if paragraph_id else None
        if paragraph is None:
            choose.paragraph.errors = [_("Please choose a paragraph.")]
        else:
            try:
                added = services.cite(paragraph, actor=current_user, post_id=post.id)
            except InvalidInput as error:
                choose.paragraph.errors = [message for _field, message in error.problems]
            else:
                flash(_("The post has been cited.") if added else _("This paragraph already cites it."), "success")
                return _to_proposal(paragraph.proposal, f"paragraph-{paragraph.id}")
    return _render_cite_post(post, proposals, choose, new, 200 if request.method == "GET" else 400)


@bp.post("/posts/<int:post_id>/cite/new")
@login_required
def from_post(post_id: int):
    """A new paragraph citing the post, in the proposal chosen on the 「提言に引用」 page."""
    _secretariat_only()
    post = _found(board_queries.post_by_id(post_id))
    proposals = queries.drafts()
    form = _new_paragraph_form(proposals, submitted=True)
    if form.validate_on_submit():
        proposal = next((p for p in proposals if str(p.id) == form.proposal.data), None)
        if proposal is None:
            form.proposal.errors = [_("Please choose a proposal.")]
        else:
            try:
                paragraph = services.add_paragraph(proposal, actor=current_user, section=form.section.data,
                                                   body=form.body.data, post_ids=(post.id,))
            except InvalidInput as error:
                attach_error(form, error)
            else:
                flash(_("The paragraph has been added."), "success")
                return _to_proposal(proposal, f"paragraph-{paragraph.id}")
    return _render_cite_post(post, proposals, ChooseParagraphForm(formdata=None), form, 400)


@bp.route("/threads/<int:thread_id>/to-proposal", methods=["GET", "POST"])
@login_required
def from_thread(thread_id: int):
    """A new paragraph started from a thread's まとめ and key points, citing the thread and the key points."""
    _secretariat_only()
    thread = _found(board_queries.thread_by_id(thread_id))
    proposals = queries.drafts()
    form = _new_paragraph_form(proposals, submitted=request.method == "POST")
    conclusion, key_points = queries.conclusion_draft(thread)
    if request.method == "GET":
        form.body.data = conclusion
        form.section.data = Section.PROPOSAL.value if conclusion else Section.ISSUE.value
        form.post_ids.data = ",".join(str(p.id) for p in key_points)
        form.thread_ids.data = str(thread.id)
        if request.args.get("proposal"):
            form.proposal.data = request.args["proposal"]
    if form.validate_on_submit():
        proposal = next((p for p in proposals if str(p.id) == form.proposal.data), None)
        if proposal is None:
            form.proposal.errors = [_("Please choose a proposal.")]
        else:
            try:
                paragraph = services.add_paragraph(
                    proposal, actor=current_user, section=form.section.data, body=form.body.data,
                    post_ids=tuple(numbers_in(form.post_ids.data)), thread_ids=tuple(numbers_in(form.thread_ids.data)))
            except InvalidInput as error:
                attach_error(form, error)
            else:
                flash(_("The paragraph has been added."), "success")
                return _to_proposal(proposal, f"paragraph-{paragraph.id}")
    cited = [p for p in key_points if str(p.id) in _numbers_text(form.post_ids.data)]
    return render_template("proposals/from_thread.html", thread=thread, form=form, key_points=cited,
                           proposals=proposals), 200 if request.method == "GET" else 400


def _numbers_text(value: str | None) -> set[str]:
    return {str(n) for n in numbers_in(value)}


# ---------------------------------------------------------------- review

@bp.post("/proposals/<int:proposal_id>/review")
@login_required
def start_review(proposal_id: int):
    proposal = _managed(proposal_id)
    form = ReviewForm()
    form.reviewers.choices = [SelectChoice(str(u.id), u.display_name) for u in queries.reviewer_candidates()]
    if form.validate_on_submit():
        try:
            services.start_review(proposal, actor=current_user, reviewer_ids=int_list(form.reviewers.data or []),
                                  deadline=form.deadline.data, message=form.message.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The draft has been sent for review. The reviewers have been notified."), "success")
            return _to_proposal(proposal)
    return _render(proposal, 400, review_form=form)


@bp.post("/proposals/<int:proposal_id>/review/end")
@login_required
def end_review(proposal_id: int):
    proposal = _managed(proposal_id)
    _checked_post()
    try:
        services.end_review(proposal, actor=current_user)
    except InvalidInput as error:
        flash(error.message, "error")
    else:
        flash(_("The review has ended. The proposal is a draft again."), "success")
    return _to_proposal(proposal)


@bp.post("/proposals/<int:proposal_id>/comments")
@login_required
def comment(proposal_id: int):
    proposal = _readable(proposal_id)
    form = CommentForm()
    paragraph_id = int_list([request.form.get("paragraph", "")])
    paragraph = queries.paragraph_by_id(proposal, paragraph_id[0]) if paragraph_id else None
    if form.validate_on_submit():
        try:
            services.comment(proposal, actor=current_user, body=form.body.data, paragraph=paragraph)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("Your comment has been added."), "success")
            return _to_proposal(proposal, f"paragraph-{paragraph.id}" if paragraph else "comments")
    return _render(proposal, 400, failed=paragraph.id if paragraph else "general", failed_form=form)


@bp.route("/proposals/<int:proposal_id>/paragraphs/<int:paragraph_id>/reword", methods=["GET", "POST"])
@login_required
def reword(proposal_id: int, paragraph_id: int):
    proposal = _readable(proposal_id)
    paragraph = _found(queries.paragraph_by_id(proposal, paragraph_id))
    if not can_manage_proposals(current_user):
        why = why_not_review_proposal(current_user, proposal)
        if why is not None:
            raise PermissionDenied(why)
    form = RewordingForm() if request.method == "POST" else RewordingForm(formdata=None)
    if request.method == "GET":
        form.body.data = paragraph.body_source
    if form.validate_on_submit():
        try:
            services.propose_rewording(paragraph, actor=current_user, body=form.body.data, note=form.note.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("Your rewording has been sent to the secretariat."), "success")
            return _to_proposal(proposal, f"paragraph-{paragraph.id}")
    return render_template("proposals/paragraph.html", proposal=proposal, paragraph=paragraph, form=form,
                           heading=_("Propose a new wording")), 200 if request.method == "GET" else 400


@bp.post("/proposals/<int:proposal_id>/rewordings/<int:rewording_id>")
@login_required
def decide_rewording(proposal_id: int, rewording_id: int):
    proposal = _managed(proposal_id)
    rewording = _found(queries.rewording_by_id(proposal, rewording_id))
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    accept = request.form.get("decision") == "accept"
    try:
        services.decide_rewording(rewording, actor=current_user, accept=accept, note=form.note.data)
    except InvalidInput as error:
        flash(error.message, "error")
    else:
        flash(_("The rewording has been accepted: the paragraph now reads as proposed (a new version).") if accept
              else _("The rewording has been rejected."), "success")
    return _to_proposal(proposal, f"paragraph-{rewording.paragraph_id}")


@bp.post("/proposals/<int:proposal_id>/answer")
@login_required
def answer(proposal_id: int):
    proposal = _readable(proposal_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_review(proposal, actor=current_user, answer=form.answer.data or "", note=form.note.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("Thank you. Your answer has been sent to the secretariat."), "success")
            return _to_proposal(proposal, "review")
    return _render(proposal, 400, answer_form=form)


# ---------------------------------------------------------------- approval, submission

@bp.post("/proposals/<int:proposal_id>/approve")
@login_required
def approve(proposal_id: int):
    proposal = _managed(proposal_id)
    _checked_post()
    try:
        version = services.approve(proposal, actor=current_user)
    except InvalidInput as error:
        flash(error.message, "error")
    else:
        flash(_("Version %(number)d has been approved. Members can now read it.", number=version.number), "success")
    return _to_proposal(proposal)


@bp.post("/proposals/<int:proposal_id>/submitted")
@login_required
def submitted(proposal_id: int):
    proposal = _managed(proposal_id)
    form = SubmittedForm()
    if form.validate_on_submit():
        try:
            services.mark_submitted(proposal, actor=current_user, submitted_on=form.submitted_on.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The proposal has been marked as submitted."), "success")
            return _to_proposal(proposal)
    return _render(proposal, 400, submitted_form=form)


# ---------------------------------------------------------------- versions and output

def _version_for_reader(proposal, number: int | None):
    """The version asked for: the secretariat and reviewers any (default the latest); members the approved one."""
    if can_see_proposal_draft(current_user, proposal):
        found = queries.version(proposal, number) if number else services.latest_version(proposal)
    else:
        found = proposal.approved_version
        if number and (found is None or found.number != number):
            found = None
    return _found(found)


@bp.get("/proposals/<int:proposal_id>/versions")
@login_required
def versions(proposal_id: int):
    proposal = _readable(proposal_id)
    if not can_see_proposal_draft(current_user, proposal):
        raise PermissionDenied(_("Only the secretariat and the reviewers can see the earlier versions."))
    found = queries.versions(proposal)
    budget = Budget()
    changes = {newer.number: document.version_changes(older, newer, budget)
               for newer, older in zip(found, found[1:] + [None])}
    return render_template("proposals/versions.html", proposal=proposal, versions=found, changes=changes)


@bp.get("/proposals/<int:proposal_id>/versions/<int:number>")
@login_required
def show_version(proposal_id: int, number: int):
    proposal = _readable(proposal_id)
    version = _version_for_reader(proposal, number)
    doc = document.build(proposal, version.snapshot, viewer=current_user, version=version)
    return render_template("proposals/published.html", proposal=proposal, doc=doc, version=version)


def _document_for_output(proposal_id: int):
    proposal = _readable(proposal_id)
    version = _version_for_reader(proposal, request.args.get("version", type=int))
    return proposal, version, document.build(proposal, version.snapshot, viewer=current_user, version=version)


@bp.get("/proposals/<int:proposal_id>/print")
@login_required
def print_view(proposal_id: int):
    proposal, version, doc = _document_for_output(proposal_id)
    day = dates.local_date(version.approved_at or version.created_at)
    return render_template("proposals/print.html", proposal=proposal, doc=doc, version=version,
                           date_text=dates.wareki(day))


@bp.get("/proposals/<int:proposal_id>/download.docx")
@login_required
def download_docx(proposal_id: int):
    proposal, version, doc = _document_for_output(proposal_id)
    data = proposal_docx(doc, day=dates.local_date(version.approved_at or version.created_at))
    response = Response(data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    name = f"proposal-{proposal.id}-v{version.number}.docx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
