"""The notifications page: newest first, mark read one by one or all."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from . import queries, services

bp = Blueprint("notifications", __name__)
PER_PAGE = 30


@bp.get("/notifications")
@login_required
def index():
    page = queries.for_user(current_user, request.args.get("page", type=int), PER_PAGE, queries.total(current_user))
    return render_template("notifications/index.html", page=page, form=FlaskForm(), describe=services.describe)


@bp.post("/notifications/<int:note_id>/read")
@login_required
def mark_read(note_id: int):
    note = queries.by_id(note_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.mark_read(note, actor=current_user)
    return redirect(url_for("notifications.index", page=request.args.get("page", type=int)))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.mark_all_read(actor=current_user)
    return redirect(url_for("notifications.index"))
