"""The secretariat's まとめ and outcome of a thread, key points, and members' 「参考になった」."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..board import queries as board_queries
from ..errors import InvalidInput, PermissionDenied
from ..forms import attach_error
from ..permissions import can_summarise
from ..urls import post_url
from . import services
from .forms import SummaryForm

bp = Blueprint("summaries", __name__)


def _found(thing):
    if thing is None:
        abort(404)
    return thing


@bp.route("/threads/<int:thread_id>/conclusion", methods=["GET", "POST"])
@login_required
def conclusion(thread_id: int):
    thread = _found(board_queries.thread_by_id(thread_id))
    if not can_summarise(current_user):
        raise PermissionDenied(_("Only the secretariat can write conclusions."))
    versions = board_queries.conclusions(thread)
    form = SummaryForm()
    if request.method == "GET":
        form.outcome.data = thread.outcome.value
        form.conclusion.data = versions[0].body_source if versions else ""
    if form.validate_on_submit():
        try:
            services.save_summary(thread, actor=current_user, outcome=form.outcome.data,
                                  conclusion=form.conclusion.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            if (form.conclusion.data or "").strip():
                flash(_("The conclusion has been saved."), "success")
            else:  # no まとめ yet: only the outcome was set
                flash(_("The outcome has been saved."), "success")
            return redirect(url_for("board.show_thread", thread_id=thread.id))
    status = 200 if request.method == "GET" else 400
    return render_template("summaries/conclusion.html", thread=thread, form=form, versions=versions), status


def _post_or_404(post_id: int):
    return _found(board_queries.post_by_id(post_id))


@bp.post("/posts/<int:post_id>/key-point")
@login_required
def key_point(post_id: int):
    post = _post_or_404(post_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.set_key_point(post, actor=current_user, on=request.form.get("on") == "1")
    return redirect(post_url(post))


@bp.post("/posts/<int:post_id>/helpful")
@login_required
def helpful(post_id: int):
    post = _post_or_404(post_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.mark_helpful(post, actor=current_user, on=request.form.get("on") == "1")
    return redirect(post_url(post))
