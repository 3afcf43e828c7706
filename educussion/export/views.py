"""The secretariat's export page: scope, filters and format in; a file (or the print view) out."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..board import queries as board_queries
from ..errors import InvalidInput, PermissionDenied
from ..forms import attach_error
from ..permissions import can_summarise
from ..urls import base_url
from .. import dates
from . import formats, services
from .forms import ExportForm
from .summary import SummaryFilters

bp = Blueprint("export", __name__)


def _form(*, submitted: bool) -> ExportForm:
    form = ExportForm() if submitted else ExportForm(formdata=None)
    form.theme.choices = [SelectChoice(t.slug, t.name) for t in board_queries.themes()]
    return form


def _filters(form: ExportForm) -> SummaryFilters:
    return SummaryFilters(
        scope=form.scope.data or "board", theme_slug=form.theme.data or None, thread_id=form.thread_id.data,
        start=form.start.data, end=form.end.data, fiscal_year=form.fiscal_year.data,
        outcomes=tuple(form.outcomes.data or ()), opener_role=form.opener_role.data or None,
        opener_prefecture=(form.opener_prefecture.data or "").strip() or None,
        anonymise=bool(form.anonymise.data),
        unanswered_days=form.unanswered_days.data if form.unanswered_days.data is not None else 14)


def _secretariat_only() -> None:
    if not can_summarise(current_user):
        raise PermissionDenied(_("Only the secretariat can export summaries."))


@bp.get("/secretariat/exports")
@login_required
def index():
    _secretariat_only()
    return render_template("export/index.html", form=_form(submitted=False))


@bp.post("/secretariat/exports")
@login_required
def download():
    _secretariat_only()
    form = _form(submitted=True)
    if form.validate_on_submit():
        try:
            export = services.export_summary(_filters(form), actor=current_user, file_format=form.file_format.data,
                                             base_url=base_url())
        except InvalidInput as error:
            attach_error(form, error)
        else:
            if export.chunks is None:
                page = render_template("export/print.html", summary=export.summary, formats=formats, dates=dates)
                export.delivered()
                return page
            response = Response(stream_with_context(export.stream()), content_type=export.mimetype)
            response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("export/index.html", form=form), 400
