"""Who may do what: named predicates used by services, views and templates."""
from __future__ import annotations

from flask import current_app

from .models import Post, Role, Theme, Thread, User


def _is_member(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_verified)


def can_start_thread(user: User | None, theme: Theme | None = None) -> bool:
    return _is_member(user) and user.role.value in current_app.config["THREAD_STARTER_ROLES"]


def can_reply(user: User | None, thread: Thread) -> bool:
    return _is_member(user) and not thread.is_locked


def can_edit_post(user: User | None, post: Post) -> bool:
    """Authors edit their own posts; moderators' edits come with the moderation tools."""
    return _is_member(user) and post.author_id == user.id


def can_view_history(user: User | None, post: Post) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return post.author_id == user.id or is_secretariat(user)


def is_secretariat(user: User | None) -> bool:
    return _is_member(user) and user.role == Role.SECRETARIAT


def can_manage_members(user: User | None) -> bool:
    """Review verification requests, see evidence, invite, end verifications: the secretariat."""
    return is_secretariat(user)


TEMPLATE_PREDICATES = {
    "can_manage_members": can_manage_members,
    "can_start_thread": can_start_thread,
    "can_reply": can_reply,
    "can_edit_post": can_edit_post,
    "can_view_history": can_view_history,
    "is_secretariat": is_secretariat,
}
