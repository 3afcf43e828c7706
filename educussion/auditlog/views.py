"""The secretariat's audit log (操作ログ): filters, pages, and downloads of what the filters match."""
from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import PermissionDenied
from ..params import page_arg
from ..permissions import can_manage_moderation
from . import queries, services
from .forms import AuditLogFilterForm
from .labels import action_label, summary_text, target_label, target_type_label

bp = Blueprint("auditlog", __name__)


def _secretariat_only() -> None:
    if not can_manage_moderation(current_user):
        raise PermissionDenied(_("Only the secretariat can open this page."))


def _filters() -> tuple[AuditLogFilterForm, queries.Filters]:
    """The form as submitted, and the filters from its valid fields (an invalid field does not filter)."""
    form = AuditLogFilterForm(request.args)
    form.validate()

    def valid(field):
        return field.data if not field.errors and field.data else None

    filters = queries.Filters(
        action=valid(form.action) or "", actor=(valid(form.actor) or "").strip(),
        target=(valid(form.target) or "").strip(), start=valid(form.start), end=valid(form.end))
    return form, filters


@bp.get("/secretariat/audit-log")
@login_required
def index():
    _secretariat_only()
    form, filters = _filters()
    page = queries.entries(filters, page_arg(1))
    return render_template("auditlog/index.html", form=form, page=page, filter_args=filters.as_args(),
                           columns=queries.COLUMNS, action_label=action_label, target_type_label=target_type_label,
                           target_label=target_label, summary_text=summary_text)


@bp.post("/secretariat/audit-log/export.<any(xlsx, csv):file_format>")
@login_required
def export(file_format: str):
    _secretariat_only()
    _form, filters = _filters()
    exported = services.export_log(filters, actor=current_user, file_format=file_format)
    response = send_file(io.BytesIO(exported.data), mimetype=exported.mimetype, as_attachment=True,
                         download_name=exported.filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a browser or proxy cache
    return response
