"""The board's pages: home, themes, threads, replies, edits and revision history."""
from __future__ import annotations

from functools import wraps

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..drafts import keeping
from ..drafts import queries as draft_queries
from ..drafts import services as draft_services
from ..errors import InvalidInput, PermissionDenied
from ..extensions import login_manager
from ..files import services as file_services
from ..files.services import Upload
from ..forms import attach_error
from ..models import DraftKind, Outcome, Visibility
from ..pagination import page_of_position
from ..params import page_arg, safe_int
from ..permissions import (can_edit_post, can_read_post_body, can_view_thread,
                           why_not_edit_post, why_not_start_thread, why_not_view_history)
from ..notifications import queries as notification_queries
from ..proposals import queries as proposal_queries
from ..urls import post_url
from . import diff, queries, services
from .forms import DraftForm, EditPostForm, ReplyForm, ThreadForm

bp = Blueprint("board", __name__)


def _found(thing):
    if thing is None:
        abort(404)
    return thing


def _page_arg() -> int | None:
    return page_arg()


def login_required_keeping_text(view):
    """Like login_required; but a posting form sent after the session ended keeps its text (restored into
    the form once the member has logged in again)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            if request.method == "POST":
                keeping.keep_typed_text()
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def _keep_draft(kind: DraftKind, target, form) -> None:
    """A submit that failed for any reason keeps its text as the member's draft."""
    title = form.title.data if "title" in form else ""
    keeping.save_for_current_user(kind, str(target), title or "", form.body.data or "")


def _restore_draft(kind: DraftKind, target, form) -> bool:
    """Fill a freshly opened form with the member's draft; True when there was one."""
    draft = draft_queries.draft_for(current_user, kind, str(target))
    if draft is None:
        return False
    form.body.data = draft.body
    if "title" in form and draft.title:
        form.title.data = draft.title
    return True


def _file_ids(form) -> list[int] | None:
    """Check this submit's uploads and keep the good ones as the member's pending files (24 hours), so a
    form sent back for any reason still has them; returns the ids to attach (those kept from earlier tries
    too), or None when a file was refused (the reasons are then beside the field)."""
    if request.method != "POST":
        return []
    uploads = [Upload(upload.filename, upload.stream) for upload in form.files.data or []
               if getattr(upload, "filename", "")]
    staged = file_services.stage_uploads(uploads, actor=current_user._get_current_object())
    form.kept_files.data = [*(form.kept_files.data or []), *(file.id for file in staged.files)]
    if staged.problems:
        form.files.errors = [*form.files.errors, *staged.problems]
        return None
    return form.kept_files.data


def _kept_files(form) -> list:
    """The pending files a form sent back lists again (ticked: attached with the next try)."""
    return file_services.pending_files(current_user, form.kept_files.data or []) if form.kept_files.data else []


@bp.get("/board")
def index():
    """The board's own index (its themes and recent threads; the site's home at / shows them too)."""
    return render_template("board/index.html", themes=queries.themes(), recent=queries.recent_threads(10))


@bp.get("/themes/<slug>")
def show_theme(slug: str):
    theme = _found(queries.theme_by_slug(slug))
    page = queries.theme_threads(theme, _page_arg(), current_app.config["THREADS_PER_PAGE"])
    following = notification_queries.follows_theme(current_user, theme)
    return render_template("board/theme.html", theme=theme, page=page, following=following)


@bp.route("/themes/<slug>/new", methods=["GET", "POST"])
@login_required_keeping_text
def new_thread(slug: str):
    theme = _found(queries.theme_by_slug(slug))
    refusal = why_not_start_thread(current_user, theme)
    if refusal is not None:
        raise PermissionDenied(refusal)
    form = ThreadForm()
    restored = request.method == "GET" and _restore_draft(DraftKind.THREAD, theme.slug, form)
    valid = form.validate_on_submit()
    file_ids = _file_ids(form)
    if valid and file_ids is not None:
        try:
            thread = services.create_thread(
                theme, actor=current_user, title=form.title.data, body=form.body.data,
                idempotency_key=form.idempotency_key.data, file_ids=file_ids,
            )
        except InvalidInput as error:
            attach_error(form, error)
        else:
            if thread.status == Visibility.PENDING:
                flash(_("Your thread has been received. It will appear once the secretariat has approved it."),
                      "success")
            else:
                flash(_("Your thread has been posted."), "success")
            return redirect(url_for("board.show_thread", thread_id=thread.id))
    if request.method == "POST":
        _keep_draft(DraftKind.THREAD, theme.slug, form)
    status = 200 if request.method == "GET" else 400
    return render_template("board/new_thread.html", theme=theme, form=form, restored=restored,
                           draft=(DraftKind.THREAD.value, theme.slug), kept_files=_kept_files(form)), status


def _viewable_thread(thread_id: int):
    """The thread, if the viewer may see it; a hidden thread shows its placeholder to everyone else."""
    thread = _found(queries.thread_by_id(thread_id, current_user))
    if can_view_thread(current_user, thread):
        return thread
    if thread.status == Visibility.HIDDEN:
        abort(make_response(render_template("board/thread_hidden.html", thread=thread), 404))
    abort(404)


def _render_thread(thread, reply_form, page_number=None, status=200, restored=False):
    page = queries.thread_posts(thread, page_number, current_app.config["POSTS_PER_PAGE"], current_user)
    conclusion = queries.latest_conclusion(thread) if thread.conclusion_count else None
    reflected_in = (proposal_queries.reflections(thread, current_user)
                    if thread.outcome == Outcome.REFLECTED and current_user.is_authenticated else [])
    return render_template("board/thread.html", thread=thread, page=page, form=reply_form,
                           conclusion=conclusion, restored=restored, kept_files=_kept_files(reply_form),
                           reflected_in=reflected_in,
                           draft=(DraftKind.REPLY.value, str(thread.id))), status


@bp.get("/threads/<int:thread_id>")
def show_thread(thread_id: int):
    thread = _viewable_thread(thread_id)
    form = ReplyForm(formdata=None)
    restored = _restore_draft(DraftKind.REPLY, thread.id, form)
    return _render_thread(thread, form, _page_arg(), restored=restored)


@bp.get("/threads/<int:thread_id>/reply")
def reply_form(thread_id: int):
    """The reply form's address opened as a page (after logging in again, a bookmark): the thread's last
    page at its reply form, where the draft is restored."""
    thread = _viewable_thread(thread_id)
    last = page_of_position(thread.last_position, current_app.config["POSTS_PER_PAGE"])
    return redirect(url_for("board.show_thread", thread_id=thread.id, page=last if last > 1 else None,
                            _anchor="reply"))


@bp.post("/threads/<int:thread_id>/reply")
@login_required_keeping_text
def reply(thread_id: int):
    thread = _viewable_thread(thread_id)
    form = ReplyForm()
    valid = form.validate_on_submit()
    file_ids = _file_ids(form)
    if valid and file_ids is not None:
        try:
            post = services.create_reply(
                thread, actor=current_user, body=form.body.data, idempotency_key=form.idempotency_key.data,
                file_ids=file_ids,
            )
        except InvalidInput as error:
            attach_error(form, error)
        else:
            if post.status == Visibility.PENDING:
                flash(_("Your reply has been received. It will appear once the secretariat has approved it."),
                      "success")
            else:
                flash(_("Your reply has been posted."), "success")
            return redirect(post_url(post))
    _keep_draft(DraftKind.REPLY, thread.id, form)
    # Show the last page, where the reply form is, with what the user wrote.
    return _render_thread(thread, form, page_number=10**9, status=400)


def _viewable_post(post_id: int):
    post = _found(queries.post_by_id(post_id))
    _viewable_thread(post.thread_id)
    if post.status in (Visibility.PENDING, Visibility.REJECTED) and not can_read_post_body(current_user, post):
        abort(404)
    return post


@bp.get("/posts/<int:post_id>")
def permalink(post_id: int):
    return redirect(post_url(_viewable_post(post_id)))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required_keeping_text
def edit_post(post_id: int):
    post = _found(queries.post_by_id(post_id))
    refusal = why_not_edit_post(current_user, post)
    if refusal is not None:
        raise PermissionDenied(refusal)
    is_opening = post.position == 1
    by_moderator = post.author_id != current_user.id
    form = EditPostForm()
    if not by_moderator:
        del form.reason
    restored = False
    if request.method == "GET":
        form.body.data = post.body_source
        form.title.data = post.thread.title if is_opening else None
        restored = _restore_draft(DraftKind.EDIT, post.id, form)
    valid = form.validate_on_submit()
    file_ids = _file_ids(form)
    if valid and file_ids is not None:
        try:
            services.edit_post(
                post, actor=current_user, body=form.body.data, title=form.title.data if is_opening else None,
                reason=form.reason.data if by_moderator else None, file_ids=file_ids,
                remove_file_ids=form.remove_files.data or [],
            )
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("Your changes have been saved."), "success")
            return redirect(post_url(post))
    if request.method == "POST":
        _keep_draft(DraftKind.EDIT, post.id, form)
    status = 200 if request.method == "GET" else 400
    return render_template("board/edit_post.html", post=post, form=form, is_opening=is_opening,
                           by_moderator=by_moderator, restored=restored, kept_files=_kept_files(form),
                           draft=(DraftKind.EDIT.value, str(post.id))), status


@bp.get("/posts/<int:post_id>/history")
@login_required
def post_history(post_id: int):
    post = _found(queries.post_with_revisions(post_id))
    refusal = why_not_view_history(current_user, post)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return render_template("board/history.html", post=post, changes=diff.revision_changes(post.revisions))


def _draft_target_allowed(kind: DraftKind, target: str) -> bool:
    """A draft is kept only for a form the member can open: a thread they can see, a theme, their post."""
    if kind == DraftKind.THREAD:
        return queries.theme_by_slug(target) is not None
    number = safe_int(target, 1)
    if number is None:
        return False
    if kind == DraftKind.REPLY:
        thread = queries.thread_by_id(number, current_user)
        return thread is not None and can_view_thread(current_user, thread)
    post = queries.post_by_id(number)
    return post is not None and can_edit_post(current_user, post)


@bp.post("/drafts")
def save_draft():
    """Autosave while typing (static/js/forms.js): keeps the text of a form as the member's draft."""
    if not current_user.is_authenticated:
        return jsonify(saved=False), 401
    form = DraftForm()
    if not form.validate_on_submit() or not _draft_target_allowed(DraftKind(form.kind.data), form.target.data):
        return jsonify(saved=False), 400
    try:
        draft_services.save_draft(DraftKind(form.kind.data), form.target.data, actor=current_user,
                                  title=form.title.data or "", body=form.body.data or "")
    except InvalidInput as error:
        return jsonify(saved=False, message=error.message), 400
    return jsonify(saved=True, message=_("Draft saved."))
