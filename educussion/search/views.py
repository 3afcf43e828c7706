"""The search page and the secretariat's search log."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..board import queries as board_queries
from ..errors import PermissionDenied
from ..params import int_arg, page_arg
from ..permissions import is_secretariat
from . import searching, searchlog
from .forms import SearchForm

bp = Blueprint("search", __name__)


@bp.get("/search")
def search():
    form = SearchForm(request.args)
    form.theme.choices = [SelectChoice("", _("All themes"))] + [
        SelectChoice(theme.slug, theme.name) for theme in board_queries.themes()]
    form.validate()
    results = None
    if (form.q.data or "").strip():
        filters = searching.Filters(
            theme=form.theme.data or "", role=form.role.data or "", prefecture=form.prefecture.data or "",
            start=form.start.data if not form.start.errors else None,
            end=form.end.data if not form.end.errors else None,
            status=form.status.data or "", threads_only=form.scope.data == "threads",
            newest=form.sort.data == "newest",
            include_hidden=bool(form.hidden.data) and is_secretariat(current_user),
        )
        kept = {k: v for k, v in request.args.items() if k not in {"q", "page"} and v}
        results = searching.search(form.q.data, filters, page=page_arg(1))
        if results.searched:
            searchlog.record(results.query, urlencode(kept), results.total, results.duration_ms)
    return render_template("search/results.html", form=form, results=results)


@bp.get("/secretariat/search-log")
@login_required
def search_log():
    if not is_secretariat(current_user):
        raise PermissionDenied(_("Only the secretariat can open this page."))
    days = min(max(int_arg("days", 30), 1), 365)
    return render_template("search/log.html", days=days, frequent=searchlog.frequent_queries(days=days),
                           empty=searchlog.frequent_queries(days=days, zero_hits=True))
