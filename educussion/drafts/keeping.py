"""The web side of drafts: keep what a failed request carried (validation error, refusal, CSRF failure,
ended session), for the member or, when logged out, under a random token in the session that is attached
to the member at log-in. Used by the board's views and the error pages; the services never see a request."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from urllib.parse import urlsplit

from flask import Flask, current_app, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_in

from ..errors import InvalidInput
from ..filenames import display_name
from ..models import DraftKind
from ..params import safe_int
from . import services

SESSION_KEY = "draft_token"

# The board's posting forms: endpoint → (kind, the view argument naming the target).
POSTING_ENDPOINTS = {
    "board.reply": (DraftKind.REPLY, "thread_id"),
    "board.new_thread": (DraftKind.THREAD, "slug"),
    "board.edit_post": (DraftKind.EDIT, "post_id"),
}

# Free text a person types, shown back (read-only) on an error page. Anything else a request carried
# (hidden fields, choices, ids) is never shown: it may come from a forged cross-site form.
TYPED_FIELDS = {
    "title": _l("Title"),
    "body": _l("Body"),
    "reason": _l("Reason"),
    "details": _l("Details"),
    "conclusion": _l("Conclusion (まとめ)"),
    "note": _l("Note"),
}


@dataclass(frozen=True)
class Kept:
    fields: list[tuple[str, str]]  # (label, text) to show read-only
    draft_saved: bool
    form_url: str | None  # the normal form, opened fresh (where the draft is restored)
    file_names: tuple[str, ...] = ()  # files the request carried: never kept here (choose them again)


def form_url(kind: DraftKind, target: str) -> str:
    if kind == DraftKind.REPLY:
        return url_for("board.reply", thread_id=int(target))
    if kind == DraftKind.THREAD:
        return url_for("board.new_thread", slug=target)
    return url_for("board.edit_post", post_id=int(target))


def posting_target() -> tuple[DraftKind, str] | None:
    """(kind, target) when this request is one of the board's posting forms."""
    known = POSTING_ENDPOINTS.get(request.endpoint or "")
    if known is None:
        return None
    kind, argument = known
    value = (request.view_args or {}).get(argument)
    if value is None or (argument != "slug" and safe_int(value, 1) is None):
        return None
    return kind, str(value)


def _typed(name: str) -> str:
    return (request.form.get(name) or "").replace("\x00", "")


def save_for_current_user(kind: DraftKind, target: str, title: str, body: str) -> bool:
    """Keep the text as the member's draft, or under the session's token when logged out."""
    try:
        if current_user.is_authenticated:
            return services.save_draft(kind, target, actor=current_user._get_current_object(), title=title,
                                       body=body) is not None
        token = session.get(SESSION_KEY) or secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
        return services.save_draft(kind, target, actor=None, anonymous_token=token, title=title,
                                   body=body) is not None
    except InvalidInput:  # beyond even the draft size: the page still shows the text to copy
        return False


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url or "")
    return parts.scheme, parts.netloc


def from_this_site() -> bool:
    """Whether the request came from a page of the board (not a form on another site). Text from another
    site is shown to copy but never becomes a draft: it must not replace the member's own."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site in ("same-origin", "none")
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True  # an older browser: its SameSite=Lax session cookie is sent by this site's pages only
    return _origin(source) in {_origin(current_app.config["BASE_URL"]), _origin(request.host_url)}


def keep_typed_text() -> Kept:
    """What the failed request carried that a person typed: saved as a draft when it was a board posting
    form, and listed for the error page to show read-only."""
    fields = [(str(label), _typed(name)) for name, label in TYPED_FIELDS.items() if _typed(name).strip()]
    target = posting_target()
    saved = False
    url = None
    if target is not None:
        kind, key = target
        if from_this_site():
            saved = save_for_current_user(kind, key, _typed("title"), _typed("body"))
        url = form_url(kind, key)
    elif request.url_rule is not None and "GET" in request.url_rule.methods:
        url = request.path  # the same page opened fresh: its own form, never this request's values
    return Kept(fields=fields, draft_saved=saved, form_url=url, file_names=_file_names())


def _file_names() -> tuple[str, ...]:
    """The names of the files a refused request carried (a request too large to read carries none)."""
    try:
        uploads = request.files.getlist("files")
    except Exception:  # noqa: BLE001 - the body could not be read (too large, cut off): nothing to name
        return ()
    return tuple(name for name in (display_name(upload.filename) for upload in uploads) if name)[:10]


def _attach_at_log_in(_app, user, **_extra) -> None:
    token = session.pop(SESSION_KEY, None)
    if token:
        services.attach_anonymous_drafts(user, token)


def init_app(app: Flask) -> None:
    user_logged_in.connect(_attach_at_log_in, app)
