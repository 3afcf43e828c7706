"""URL helpers."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def absolute_url(endpoint: str, **values) -> str:
    """A full URL for mails: from the request when there is one, else from EDUCUSSION_BASE_URL (CLI)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["BASE_URL"] + adapter.build(endpoint, values)


def base_url() -> str:
    """The site's address without a trailing slash: the request's, or EDUCUSSION_BASE_URL (CLI)."""
    if has_request_context():
        return request.host_url.rstrip("/")
    return current_app.config["BASE_URL"]
