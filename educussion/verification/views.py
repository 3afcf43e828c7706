"""Verification pages: a member's request and status; the secretariat's queue, decisions and invitations."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from wtforms import SelectChoice

from ..archives import MAX_UNCOMPRESSED_BYTES
from ..accounts import services as account_services
from ..errors import InvalidInput, PermissionDenied
from ..files.serving import send_stored
from ..forms import attach_error
from ..models import Role
from ..orgs import queries as org_queries
from ..permissions import can_manage_members
from . import queries, services
from .forms import (
    AcceptForm,
    ApproveForm,
    BulkInvitationForm,
    EndVerificationForm,
    InvitationForm,
    MunicipalitySearchForm,
    QueueFilterForm,
    RejectForm,
    RequestForm,
    role_choices,
)
from .importing import TooLargeFile, UnreadableFile, read_member_list

bp = Blueprint("verification", __name__)


def _found(thing):
    if thing is None:
        abort(404)
    return thing


def _secretariat_only() -> None:
    if not can_manage_members(current_user):
        raise PermissionDenied(_("Only the secretariat can open this page."))


# ---------------------------------------------------------------- members

@bp.get("/verification")
@login_required
def status():
    return render_template("verification/status.html", latest=queries.latest_request(current_user.id))


def _requested_role() -> Role | None:
    try:
        role = Role(request.values.get("role", ""))
    except ValueError:
        return None
    return role if role in services.REQUESTABLE_ROLES else None


@bp.route("/verification/new", methods=["GET", "POST"])
@login_required
def new_request():
    """Three steps that work without JavaScript: the role, then (for local governments) the
    municipality confirmed from the official list, then the form. No file is chosen before the
    municipality is fixed, so nothing uploaded is lost on the way."""
    role = _requested_role()
    if role is None:
        return render_template("verification/choose_role.html", roles=role_choices())
    municipality = None
    if role in services.MUNICIPAL_ROLES:
        municipality = org_queries.municipality_by_code(request.values.get("code", ""))
        if municipality is None:
            return _choose_municipality(role)
    form = RequestForm(role=role.value, municipality_code=municipality.municipality_code if municipality else "")
    form.require_for(role)
    if form.validate_on_submit():
        try:
            services.submit_request(current_user, actor=current_user, data=services.RequestData(
                role=role, municipality_code=form.municipality_code.data or "",
                organisation_name=form.organisation_name.data or "", corporate_number=form.corporate_number.data or "",
                title=form.title.data or "", phone=form.phone.data or "", note=form.note.data or "",
            ), evidence=form.evidence.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("Your request has been sent to the secretariat."), "success")
            return redirect(url_for("verification.status"))
    status_code = 200 if request.method == "GET" else 400
    return render_template("verification/request.html", form=form, role=role, municipality=municipality,
                           file_lost=request.method == "POST" and bool(request.files.get("evidence"))), status_code


def _choose_municipality(role: Role):
    search = MunicipalitySearchForm(request.args)
    query = search.q.data or ""
    hints = [] if query else org_queries.municipalities_for_email(current_user.email)
    results = org_queries.search_municipalities(query) if query else []
    return render_template("verification/choose_municipality.html", role=role, search=search, query=query,
                           results=results, hints=hints)


# ---------------------------------------------------------------- invitations (the invited person)

@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.invitation_for_token(token)
    try:
        services.check_invitation(invitation)
    except InvalidInput as error:
        return render_template("verification/invitation_invalid.html", message=error.message), 410
    form = AcceptForm(display_name=invitation.display_name or None)
    if current_user.is_authenticated:
        if request.method == "POST":
            try:
                services.accept_invitation(invitation, user=current_user)
            except (InvalidInput, PermissionDenied) as error:
                flash(str(error), "error")
            else:
                flash(_("Welcome! Your account is verified."), "success")
                return redirect(url_for("accounts.profile"))
        return render_template("verification/invitation.html", invitation=invitation, form=form,
                               wrong_account=current_user.email.lower() != invitation.email.lower())
    if form.validate_on_submit():
        try:
            user = services.register_invited(invitation, display_name=form.display_name.data,
                                             password=form.password.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            account_services.open_session(user)
            login_user(user)
            flash(_("Welcome! Your account is verified."), "success")
            return redirect(url_for("accounts.profile"))
    status_code = 200 if request.method == "GET" else 400
    return render_template("verification/invitation.html", invitation=invitation, form=form,
                           wrong_account=False), status_code


# ---------------------------------------------------------------- the secretariat

@bp.get("/secretariat/verification")
@login_required
def queue():
    _secretariat_only()
    filters = QueueFilterForm(request.args)
    filters.role.choices = [SelectChoice("", _("All roles")), *role_choices()]
    filters.validate()
    requests = queries.pending_requests(
        role=filters.role.data or None, prefecture=(filters.prefecture.data or "").strip() or None,
        older_than_days=filters.older_than.data if not filters.older_than.errors else None)
    return render_template("verification/queue.html", requests=requests, filters=filters)


@bp.get("/secretariat/verification/<int:request_id>")
@login_required
def review(request_id: int):
    _secretariat_only()
    item = _found(queries.request_by_id(request_id))
    return render_template("verification/review.html", item=item, approve_form=ApproveForm(title=item.title),
                           reject_form=RejectForm())


@bp.post("/secretariat/verification/<int:request_id>/approve")
@login_required
def approve(request_id: int):
    _secretariat_only()
    item = _found(queries.request_by_id(request_id))
    form = ApproveForm()
    try:
        services.approve_request(item, actor=current_user, title=form.title.data)
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(url_for("verification.review", request_id=request_id))
    flash(_("The account is verified and the member has been told."), "success")
    return redirect(url_for("verification.queue"))


@bp.post("/secretariat/verification/<int:request_id>/reject")
@login_required
def reject(request_id: int):
    _secretariat_only()
    item = _found(queries.request_by_id(request_id))
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject_request(item, actor=current_user, reason=form.reason.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The request was rejected and the member has been told why."), "success")
            return redirect(url_for("verification.queue"))
    return render_template("verification/review.html", item=item, approve_form=ApproveForm(title=item.title),
                           reject_form=form), 400


@bp.get("/secretariat/verification/<int:request_id>/evidence")
@login_required
def evidence(request_id: int):
    _secretariat_only()
    item = _found(queries.request_by_id(request_id))
    if not item.evidence_file:
        abort(404)
    return send_stored(item.evidence_file, as_attachment=True, download_name=services.evidence_download_name(item))


@bp.route("/secretariat/invitations", methods=["GET", "POST"])
@login_required
def invitations():
    _secretariat_only()
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            services.invite(actor=current_user, data=services.InvitationData(
                email=form.email.data, role=Role(form.role.data), organisation=form.organisation.data,
                title=form.title.data or "", display_name=form.display_name.data or ""))
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The invitation has been sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("verification.invitations"))
    status_code = 200 if request.method == "GET" else 400
    return render_template("verification/invitations.html", form=form, bulk_form=BulkInvitationForm(),
                           invitations=queries.recent_invitations()), status_code


@bp.post("/secretariat/invitations/bulk")
@login_required
def bulk_invitations():
    _secretariat_only()
    bulk_form = BulkInvitationForm()
    upload = bulk_form.file.data if bulk_form.validate_on_submit() else None
    if upload is None or not upload.filename:
        bulk_form.file.errors = [_("Please choose a CSV or XLSX file.")]
    else:
        try:
            rows = read_member_list(upload.filename, upload.read())
        except TooLargeFile:
            bulk_form.file.errors = [_("This file is too large once unpacked (more than %(size)d MB). Please save "
                                       "only the member list, without images or other sheets.",
                                       size=MAX_UNCOMPRESSED_BYTES // (1024 * 1024))]
        except UnreadableFile:
            bulk_form.file.errors = [_("This file could not be read. Please save it as CSV (UTF-8) or XLSX with an "
                                       "email column.")]
        else:
            results = services.bulk_invite(actor=current_user, rows=rows)
            return render_template("verification/bulk_report.html", results=results)
    return render_template("verification/invitations.html", form=InvitationForm(formdata=None), bulk_form=bulk_form,
                           invitations=queries.recent_invitations()), 400


@bp.post("/secretariat/members/<int:user_id>/end")
@login_required
def end_verification(user_id: int):
    _secretariat_only()
    user = _found(org_queries.user_by_id(user_id))
    organisation_id = user.organisation_id
    form = EndVerificationForm()
    if form.validate_on_submit():
        try:
            services.end_verification(user, actor=current_user, reason=form.reason.data)
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash(_("The verification has ended. Past posts keep the title they were written with."), "success")
    else:
        flash(_("Please give a reason."), "error")
    if organisation_id:
        return redirect(url_for("orgs.show", organisation_id=organisation_id))
    return redirect(url_for("site.home"))
