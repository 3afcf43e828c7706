"""Notifications, what a member follows, their e-mail settings, and the one-click unsubscribe link."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..board import queries as board_queries
from ..errors import InvalidInput
from ..extensions import csrf
from ..models import Delivery, Notification, NotificationKind
from ..params import int_list, page_arg
from ..permissions import can_view_thread
from ..urls import is_safe_next
from . import queries, services

bp = Blueprint("notifications", __name__)
PER_PAGE = 30


@dataclass
class Item:
    """What the page shows: one notification, or the unread replies of one thread taken together."""
    notes: list[Notification]

    @property
    def first(self) -> Notification:
        return self.notes[-1]  # the oldest: its post is the first unread one

    @property
    def latest(self) -> datetime:
        return self.notes[0].created_at

    @property
    def unread(self) -> bool:
        return any(note.read_at is None for note in self.notes)

    @property
    def text(self) -> str:
        who = services.author_of(self.first.post) if len(self.notes) == 1 else ""
        return services.describe(self.first.kind, _title(self.first), len(self.notes), who=who)


def _title(note: Notification) -> str:
    """The thread's title as it was, unless the thread has been hidden from the viewer since."""
    if note.thread is not None and not can_view_thread(current_user, note.thread):
        return _("Hidden thread")
    return note.thread_title


def _grouped(notes: list[Notification]) -> list[Item]:
    """Unread replies of the same thread become one item (「3件の新しい返信 — …」) linking to the first."""
    items: list[Item] = []
    groups: dict[int, Item] = {}
    for note in notes:
        if note.kind == NotificationKind.REPLY and note.read_at is None and note.thread_id is not None:
            if note.thread_id in groups:
                groups[note.thread_id].notes.append(note)
                continue
            groups[note.thread_id] = Item([note])
            items.append(groups[note.thread_id])
        else:
            items.append(Item([note]))
    return items


@bp.get("/notifications")
@login_required
def index():
    page = queries.for_user(current_user, page_arg(), PER_PAGE, queries.total(current_user))
    return render_template("notifications/index.html", page=page, items=_grouped(page.items), form=FlaskForm())


@bp.post("/notifications/read")
@login_required
def mark_read():
    if not FlaskForm().validate_on_submit():
        abort(400)
    ids = int_list(request.form.getlist("id"))
    services.mark_read(queries.by_ids(current_user, ids), actor=current_user)
    target = request.form.get("next")
    return redirect(target if target and is_safe_next(target) else url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.mark_all_read(actor=current_user)
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings():
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            services.save_preferences(current_user, actor=current_user,
                                      choices={topic: request.form.get(topic, "") for topic in services.DEFAULTS})
        except InvalidInput:  # the page only offers valid choices: this was not sent by it
            abort(400)
        flash(_("Your notification settings have been saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, chosen=services.preferences(current_user),
                           topics=services.TOPIC_LABELS, deliveries=DELIVERY_LABELS,
                           follows=queries.follows(current_user))


DELIVERY_LABELS = {
    Delivery.IMMEDIATELY: _l("At once"),
    Delivery.DAILY: _l("In the daily digest"),
    Delivery.WEEKLY: _l("In the weekly digest"),
    Delivery.NEVER: _l("Never (in the app only)"),
}


@bp.post("/threads/<int:thread_id>/follow")
@login_required
def follow_thread(thread_id: int):
    thread = board_queries.thread_by_id(thread_id)
    if thread is None or not can_view_thread(current_user, thread):
        abort(404)  # refused like reading it: a hidden or pending thread is not there for this member
    if not FlaskForm().validate_on_submit():
        abort(400)
    on = request.form.get("on") == "1"
    services.set_following(current_user, actor=current_user, thread=thread, on=on)
    flash(_("You follow this thread.") if on else _("You no longer follow this thread."), "success")
    return redirect(_back(url_for("board.show_thread", thread_id=thread.id)))


@bp.post("/themes/<slug>/follow")
@login_required
def follow_theme(slug: str):
    theme = board_queries.theme_by_slug(slug)
    if theme is None or not FlaskForm().validate_on_submit():
        abort(404 if theme is None else 400)
    on = request.form.get("on") == "1"
    services.set_following(current_user, actor=current_user, theme=theme, on=on)
    flash(_("You follow this theme.") if on else _("You no longer follow this theme."), "success")
    return redirect(_back(url_for("board.show_theme", slug=theme.slug)))


def _back(default: str) -> str:
    target = request.form.get("next")
    return target if target and is_safe_next(target) else default


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """The link in every mail: shows what it stops and a button (a GET never changes anything)."""
    found = services.read_unsubscribe_token(token)
    if found is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 404
    user, topic = found
    return render_template("notifications/unsubscribe.html", invalid=False, token=token, member=user,
                           topic_label=services.TOPIC_LABELS.get(topic), done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # mail programs post here without a form (RFC 8058 one-click); the signed token is the proof
def unsubscribe_confirm(token: str):
    done = services.unsubscribe(token)
    if done is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 404
    user, topic = done
    return render_template("notifications/unsubscribe.html", invalid=False, token=token, member=user,
                           topic_label=services.TOPIC_LABELS.get(topic), done=True)
