"""Moderation pages: reporting, the queue, post and thread tools, settings, theme moderators, suspensions."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from .. import dates
from ..errors import DomainError, InvalidInput, PermissionDenied
from ..forms import attach_error
from ..params import int_arg
from ..permissions import (can_manage_members, can_manage_moderation, can_moderate, can_use_moderation_queue,
                           why_not_change_report, why_not_report)
from ..urls import is_safe_next, post_url
from ..verification import queries as verification_queries
from . import policy, queries, services
from .forms import (WATCHED_ACTION_LABELS, ActionForm, GrantForm, MovePostsForm, MoveThreadForm, PresetForm,
                    QueueFilterForm, ReportForm, SettingsForm, SuspendForm, WatchedWordForm)

bp = Blueprint("moderation", __name__)

POST_ACTIONS = {
    "hide": (services.hide_post, _l("The post has been hidden.")),
    "unhide": (services.unhide_post, _l("The post is shown again.")),
    "approve": (services.approve_post, _l("The post has been approved.")),
    "reject": (services.reject_post, _l("The post has been rejected.")),
    "dismiss": (services.dismiss_reports, _l("The reports have been dismissed.")),
}
THREAD_ACTIONS = {
    "lock": (services.lock_thread, _l("The thread has been locked.")),
    "unlock": (services.unlock_thread, _l("The thread has been unlocked.")),
    "pin": (services.pin_thread, _l("The thread has been pinned.")),
    "unpin": (services.unpin_thread, _l("The thread has been unpinned.")),
    "close": (services.close_thread, _l("The thread has been closed.")),
    "reopen": (services.reopen_thread, _l("The thread has been reopened.")),
    "hide": (services.hide_thread, _l("The thread has been hidden.")),
    "unhide": (services.unhide_thread, _l("The thread is shown again.")),
}


def _found(thing):
    if thing is None:
        abort(404)
    return thing


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Only the secretariat and the theme's moderators can do this."))


def _back(default: str) -> str:
    target = request.form.get("next")
    return target if target and is_safe_next(target) else default


def _theme_choices(with_all: bool = False):
    choices = [SelectChoice(theme.id, theme.name) for theme in queries.themes()]
    return [SelectChoice("", _("All themes")), *choices] if with_all else choices


# ---------------------------------------------------------------- reporting

@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@login_required
def report(post_id: int):
    """Report a post; the reporter's open report of it, if any, is shown to change or withdraw instead."""
    post = _found(queries.post_by_id(post_id))
    mine = queries.open_report(post, current_user)
    refusal = why_not_report(current_user, post) if mine is None else why_not_change_report(current_user, mine)
    if refusal is not None:
        raise PermissionDenied(refusal)
    form = ReportForm()
    if request.method == "GET" and mine is not None:
        form.reason.data, form.details.data = mine.reason.value, mine.details
    if form.validate_on_submit():
        try:
            if mine is None:
                services.report_post(post, actor=current_user, reason=form.reason.data, details=form.details.data)
            else:
                services.change_report(mine, actor=current_user, reason=form.reason.data,
                                       details=form.details.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            if mine is None:
                flash(_("Thank you. Your report has been sent to the secretariat; you will be told the outcome."),
                      "success")
            else:
                flash(_("Your report has been updated."), "success")
            return redirect(post_url(post))
    status = 200 if request.method == "GET" else 400
    return render_template("moderation/report.html", post=post, form=form, report=mine,
                           withdraw_form=FlaskForm()), status


@bp.post("/posts/<int:post_id>/report/withdraw")
@login_required
def withdraw_report(post_id: int):
    post = _found(queries.post_by_id(post_id))
    mine = _found(queries.open_report(post, current_user))
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.withdraw_report(mine, actor=current_user)
    flash(_("Your report has been withdrawn."), "success")
    return redirect(post_url(post))


# ---------------------------------------------------------------- the queue

@bp.get("/moderation")
@login_required
def queue():
    _require(can_use_moderation_queue(current_user))
    filters = QueueFilterForm(request.args)
    filters.theme.choices = _theme_choices(with_all=True)
    theme_id = int_arg("theme")
    older = filters.older_than.data if filters.validate() else None
    reason = filters.reason.data or None
    reported = queries.reported_posts(current_user, theme_id=theme_id, reason=reason, older_than_days=older)
    pending = [] if reason else queries.pending_posts(current_user, theme_id=theme_id, older_than_days=older)
    verification_count = verification_queries.pending_count() if can_manage_members(current_user) else None
    return render_template("moderation/queue.html", filters=filters, reported=reported, pending=pending,
                           verification_count=verification_count, limit=queries.QUEUE_LIMIT,
                           form=ActionForm(formdata=None))


def _run_action(actions: dict, target, form: ActionForm, done_url: str):
    """The chosen one-reason action (``request.form["action"]``, a key of `actions`) on `target`: a redirect
    to `done_url` when it was done, None when the form must be shown again with its error."""
    action = actions.get(request.form.get("action", ""))
    if action is None:
        abort(400)
    if form.validate_on_submit():
        service, message = action
        try:
            service(target, actor=current_user, reason=form.reason.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(str(message), "success")
            return redirect(done_url)
    return None


# ---------------------------------------------------------------- one post

def _render_post(post, form, status=200):
    return render_template("moderation/post.html", post=post, form=form,
                           reports=queries.post_reports(post)), status


@bp.get("/moderation/posts/<int:post_id>")
@login_required
def post(post_id: int):
    post = _found(queries.post_by_id(post_id))
    _require(can_moderate(current_user, post))
    form = ActionForm(formdata=None, next=request.args.get("next", ""))
    return _render_post(post, form)


@bp.post("/moderation/posts/<int:post_id>")
@login_required
def act_on_post(post_id: int):
    post = _found(queries.post_by_id(post_id))
    _require(can_moderate(current_user, post))
    form = ActionForm()
    done = _run_action(POST_ACTIONS, post, form, _back(url_for("moderation.post", post_id=post.id)))
    return done or _render_post(post, form, 400)


# ---------------------------------------------------------------- one thread

def _render_thread(thread, *, action_form=None, move_form=None, posts_form=None, status=200):
    action_form = action_form or ActionForm(formdata=None)
    move_form = move_form or MoveThreadForm(formdata=None)
    posts_form = posts_form or MovePostsForm(formdata=None, theme=thread.theme_id)
    move_form.theme.choices = [c for c in _theme_choices() if c.value != thread.theme_id]
    posts_form.theme.choices = _theme_choices()
    posts = queries.thread_posts(thread)
    posts_form.posts.choices = [SelectChoice(p.id, f"#{p.position}") for p in posts if p.position != 1]
    return render_template("moderation/thread.html", thread=thread, posts=posts, action_form=action_form,
                           move_form=move_form, posts_form=posts_form), status


def _moderated_thread(thread_id: int):
    thread = _found(queries.thread_by_id(thread_id))
    _require(can_moderate(current_user, thread))
    return thread


@bp.get("/moderation/threads/<int:thread_id>")
@login_required
def thread(thread_id: int):
    return _render_thread(_moderated_thread(thread_id))


@bp.post("/moderation/threads/<int:thread_id>")
@login_required
def act_on_thread(thread_id: int):
    thread = _moderated_thread(thread_id)
    form = ActionForm()
    done = _run_action(THREAD_ACTIONS, thread, form, url_for("moderation.thread", thread_id=thread.id))
    return done or _render_thread(thread, action_form=form, status=400)


@bp.post("/moderation/threads/<int:thread_id>/move")
@login_required
def move_thread(thread_id: int):
    thread = _moderated_thread(thread_id)
    form = MoveThreadForm()
    if form.validate_on_submit():
        try:
            theme = queries.theme_by_id(form.theme.data)
            if theme is None:
                raise InvalidInput("theme", _("Please choose a theme."))
            services.move_thread(thread, theme, actor=current_user, reason=form.reason.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The thread has been moved to “%(theme)s”.", theme=theme.name), "success")
            return redirect(url_for("moderation.thread", thread_id=thread.id))
    return _render_thread(thread, move_form=form, status=400)


@bp.post("/moderation/threads/<int:thread_id>/move-posts")
@login_required
def move_posts(thread_id: int):
    thread = _moderated_thread(thread_id)
    form = MovePostsForm()
    if form.validate_on_submit():
        try:
            target = None
            if form.target.data:
                target = queries.thread_by_id(form.target.data)
                if target is None:
                    raise InvalidInput("target", _("There is no thread with this number."))
            destination = services.move_posts(
                thread, form.posts.data or [], actor=current_user, reason=form.reason.data, target=target,
                new_title=None if target else form.new_title.data, theme=queries.theme_by_id(form.theme.data))
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The posts have been moved to “%(title)s”.", title=destination.title), "success")
            return redirect(url_for("board.show_thread", thread_id=destination.id))
    return _render_thread(thread, posts_form=form, status=400)


# ---------------------------------------------------------------- settings and watched words

def _render_settings(settings_form=None, word_form=None, preset_form=None, status=200):
    current = policy.current_settings()
    if settings_form is None:
        settings_form = SettingsForm(formdata=None, premoderated_roles=sorted(current.premoderated_role_values),
                                     first_posts_to_approve=current.first_posts_to_approve,
                                     auto_hide_reports=current.auto_hide_reports)
    return render_template(
        "moderation/settings.html", settings_form=settings_form, word_form=word_form or WatchedWordForm(formdata=None),
        preset_form=preset_form or PresetForm(formdata=None), words=queries.watched_words(), presets=policy.PRESETS,
        action_labels=WATCHED_ACTION_LABELS), status


@bp.route("/moderation/settings", methods=["GET", "POST"])
@login_required
def settings():
    _require(can_manage_moderation(current_user))
    if request.method == "GET":
        return _render_settings()
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            services.update_settings(
                actor=current_user, premoderated_roles=form.premoderated_roles.data or [],
                first_posts_to_approve=form.first_posts_to_approve.data or 0,
                auto_hide_reports=form.auto_hide_reports.data or 0, reason=form.reason.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The moderation settings have been saved."), "success")
            return redirect(url_for("moderation.settings"))
    return _render_settings(settings_form=form, status=400)


@bp.post("/moderation/words")
@login_required
def add_word():
    _require(can_manage_moderation(current_user))
    form = WatchedWordForm()
    if form.validate_on_submit():
        try:
            services.add_watched_word(actor=current_user, pattern=form.pattern.data, action=form.action.data,
                                      is_regex=form.is_regex.data, label=form.label.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The watched word has been added."), "success")
            return redirect(url_for("moderation.settings", _anchor="watched-words"))
    return _render_settings(word_form=form, status=400)


@bp.post("/moderation/words/preset")
@login_required
def add_preset():
    _require(can_manage_moderation(current_user))
    form = PresetForm()
    if not form.validate_on_submit() or form.preset.data not in policy.PRESETS:
        abort(400)
    try:
        services.add_preset(form.preset.data, actor=current_user, action=form.action.data)
    except InvalidInput as error:
        attach_error(form, error)
        return _render_settings(preset_form=form, status=400)
    flash(_("The watched word has been added."), "success")
    return redirect(url_for("moderation.settings", _anchor="watched-words"))


@bp.post("/moderation/words/<int:word_id>/remove")
@login_required
def remove_word(word_id: int):
    _require(can_manage_moderation(current_user))
    word = _found(queries.word_by_id(word_id))
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.remove_watched_word(word, actor=current_user, reason=form.reason.data)
    except DomainError as error:
        flash(str(error), "error")
    else:
        flash(_("The watched word has been removed."), "success")
    return redirect(url_for("moderation.settings", _anchor="watched-words"))


# ---------------------------------------------------------------- theme moderators

def _render_moderators(form=None, status=200):
    form = form or GrantForm(formdata=None)
    form.theme.choices = _theme_choices()
    return render_template("moderation/moderators.html", form=form, grants=queries.active_grants(),
                           revoke_form=ActionForm(formdata=None)), status


@bp.route("/moderation/moderators", methods=["GET", "POST"])
@login_required
def moderators():
    _require(can_manage_moderation(current_user))
    if request.method == "GET":
        return _render_moderators()
    form = GrantForm()
    form.theme.choices = _theme_choices()
    if form.validate_on_submit():
        try:
            user = queries.user_by_email(form.email.data)
            theme = queries.theme_by_id(form.theme.data)
            if user is None:
                raise InvalidInput("email", _("No member has this e-mail address."))
            if theme is None:
                raise InvalidInput("theme", _("Please choose a theme."))
            services.grant_theme_moderator(user, theme, actor=current_user, reason=form.reason.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("%(name)s now moderates “%(theme)s”.", name=user.display_name, theme=theme.name), "success")
            return redirect(url_for("moderation.moderators"))
    return _render_moderators(form, 400)


@bp.post("/moderation/moderators/<int:grant_id>/revoke")
@login_required
def revoke(grant_id: int):
    _require(can_manage_moderation(current_user))
    grant = _found(queries.grant_by_id(grant_id))
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.revoke_theme_moderator(grant, actor=current_user, reason=form.reason.data)
    except InvalidInput as error:
        flash(error.message, "error")
    else:
        flash(_("The moderation right has been revoked."), "success")
    return redirect(url_for("moderation.moderators"))


# ---------------------------------------------------------------- suspensions

@bp.route("/moderation/users/<int:user_id>/suspension", methods=["GET", "POST"])
@login_required
def suspension(user_id: int):
    _require(can_manage_moderation(current_user))
    user = _found(queries.user_by_id(user_id))
    form = SuspendForm() if request.method == "POST" else SuspendForm(formdata=None)
    if form.validate_on_submit():
        lifting = request.form.get("action") == "unsuspend"
        try:
            if lifting:
                services.unsuspend_user(user, actor=current_user, reason=form.reason.data)
            else:
                services.suspend_user(user, actor=current_user, until=dates.day_bounds(None, form.until.data)[1],
                                      reason=form.reason.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The suspension has been lifted.") if lifting else _("The account has been suspended."),
                  "success")
            return redirect(url_for("moderation.suspension", user_id=user.id))
    status = 200 if request.method == "GET" else 400
    return render_template("moderation/suspension.html", member=user, form=form,
                           history=queries.suspensions(user)), status
