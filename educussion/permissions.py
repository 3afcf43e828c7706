"""Who may do what: named predicates used by services, views and templates."""
from __future__ import annotations

from flask import current_app

from .models import Post, Role, Theme, Thread, User, Visibility


def _is_member(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_verified)


def _is_active_member(user: User | None) -> bool:
    """A verified member who is not suspended: may post, report and moderate."""
    return _is_member(user) and not user.is_suspended


def _theme_id(thing: Theme | Thread | Post | int) -> int:
    if isinstance(thing, Theme):
        return thing.id
    if isinstance(thing, Thread):
        return thing.theme_id
    if isinstance(thing, Post):
        return thing.thread.theme_id
    return thing


def is_secretariat(user: User | None) -> bool:
    return _is_member(user) and user.role == Role.SECRETARIAT


def can_moderate(user: User | None, thing: Theme | Thread | Post | int) -> bool:
    """The secretariat everywhere; a theme moderator in their theme."""
    if not _is_active_member(user):
        return False
    return user.role == Role.SECRETARIAT or _theme_id(thing) in user.moderated_theme_ids


def can_use_moderation_queue(user: User | None) -> bool:
    return _is_active_member(user) and (user.role == Role.SECRETARIAT or bool(user.moderated_theme_ids))


def can_manage_moderation(user: User | None) -> bool:
    """Settings, watched words, theme moderators, suspensions and the audit log: the secretariat."""
    return _is_active_member(user) and user.role == Role.SECRETARIAT


def can_manage_members(user: User | None) -> bool:
    """Review verification requests, see evidence, invite, end verifications: the secretariat."""
    return is_secretariat(user)


def can_start_thread(user: User | None, theme: Theme | None = None) -> bool:
    return _is_active_member(user) and user.role.value in current_app.config["THREAD_STARTER_ROLES"]


def can_view_thread(user: User | None, thread: Thread) -> bool:
    """Visible threads: everyone. Pending, rejected or hidden ones: their author and moderators."""
    if thread.status == Visibility.VISIBLE:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return thread.author_id == user.id or can_moderate(user, thread)


def can_reply(user: User | None, thread: Thread) -> bool:
    return _is_active_member(user) and thread.accepts_replies


def can_read_post_body(user: User | None, post: Post) -> bool:
    """Visible posts: everyone. Hidden, pending and rejected ones: the author and moderators."""
    if post.status == Visibility.VISIBLE:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return post.author_id == user.id or can_moderate(user, post)


def can_edit_post(user: User | None, post: Post) -> bool:
    """Authors edit their own posts while visible or pending; moderators edit any (with a reason)."""
    if not _is_active_member(user):
        return False
    if can_moderate(user, post):
        return True
    return post.author_id == user.id and post.status in (Visibility.VISIBLE, Visibility.PENDING)


def can_view_history(user: User | None, post: Post) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return post.author_id == user.id or can_moderate(user, post) or is_secretariat(user)


def can_report(user: User | None, post: Post) -> bool:
    return (_is_active_member(user) and post.author_id != user.id and post.status == Visibility.VISIBLE
            and post.thread.status == Visibility.VISIBLE)


def can_summarise(user: User | None) -> bool:
    """Write conclusions, set outcomes, mark key points and export summaries: the secretariat."""
    return _is_active_member(user) and user.role == Role.SECRETARIAT


def can_mark_helpful(user: User | None, post: Post) -> bool:
    return (_is_active_member(user) and post.author_id != user.id and post.status == Visibility.VISIBLE
            and post.thread.status == Visibility.VISIBLE)


def needs_two_step(user: User | None) -> bool:
    """Members of TWO_STEP_REQUIRED_ROLES (the secretariat: it sees phone numbers and evidence files) must
    log in with two-step verification; everyone else may."""
    return _is_member(user) and user.role.value in current_app.config["TWO_STEP_REQUIRED_ROLES"]


def can_reset_two_step(actor: User | None, user: User) -> bool:
    """Another secretariat member turns off a member's two-step verification (a lost phone)."""
    return _is_active_member(actor) and actor.role == Role.SECRETARIAT and actor.id != user.id


TEMPLATE_PREDICATES = {
    "can_mark_helpful": can_mark_helpful,
    "can_summarise": can_summarise,
    "can_edit_post": can_edit_post,
    "can_manage_members": can_manage_members,
    "can_manage_moderation": can_manage_moderation,
    "can_moderate": can_moderate,
    "can_read_post_body": can_read_post_body,
    "can_reply": can_reply,
    "can_report": can_report,
    "can_start_thread": can_start_thread,
    "can_use_moderation_queue": can_use_moderation_queue,
    "can_view_history": can_view_history,
    "is_secretariat": is_secretariat,
    "can_reset_two_step": can_reset_two_step,
}


# Words of office a display name may hold only when the member's verified role or affiliation gives them.
OFFICE_TITLES = ("市長", "町長", "村長", "区長", "知事", "首長", "教育長", "事務局", "mayor", "governor", "secretariat")
_OFFICE_TITLES_BY_ROLE = {Role.MAYOR: ("首長", "mayor", "governor"), Role.SECRETARIAT: ("事務局", "secretariat")}


def office_titles_of_role(role: Role | None) -> tuple[str, ...]:
    """The titles a verified role gives by itself, whatever the organisation (事務局 for the secretariat)."""
    return _OFFICE_TITLES_BY_ROLE.get(role, ())


def can_use_office_title(user: User | None, title: str) -> bool:
    """「多久市長」 in a name: only the verified member whose affiliation reads so (the mayor of 多久市); 事務局
    only the secretariat; nobody unverified. `title` is one of OFFICE_TITLES."""
    if not _is_member(user):
        return False
    if title in office_titles_of_role(user.role):
        return True
    return title in "".join(user.affiliation.split()).casefold()
