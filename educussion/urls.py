"""URL helpers."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for

from .pagination import page_of_position


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def absolute_url(endpoint: str, **values) -> str:
    """A full URL for mails, feeds and exports, always from EDUCUSSION_BASE_URL.

    Never from the request: its Host header is whatever the client sent, so a password reset asked
    for with `Host: evil.example` would otherwise mail a link to evil.example."""
    anchor = values.pop("_anchor", None)
    adapter = current_app.url_map.bind("localhost")
    url = base_url() + adapter.build(endpoint, values)
    return f"{url}#{anchor}" if anchor else url


def base_url() -> str:
    """The site's address without a trailing slash (EDUCUSSION_BASE_URL), for links that leave the site."""
    return current_app.config["BASE_URL"]


def post_url(post, **values) -> str:
    """A post's place in its thread: the page that shows it, at its anchor (for a redirect after an action)."""
    page = page_of_position(post.position, current_app.config["POSTS_PER_PAGE"])
    return url_for("board.show_thread", thread_id=post.thread_id, page=page if page > 1 else None,
                   _anchor=post.anchor, **values)
