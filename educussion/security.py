"""HTTP security headers. There is no inline script or style anywhere, so the policy can be strict."""
from __future__ import annotations

from flask import Response, current_app, request, session

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def set_security_headers(response: Response) -> Response:
    config = current_app.config
    if config["CONTENT_SECURITY_POLICY"]:
        response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if config["HSTS_SECONDS"]:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={config['HSTS_SECONDS']}")
    if _for_a_member() and request.endpoint != "static":
        # Pages for a member (and every download of personal data, which only members get) stay out of
        # shared, proxy and back-button caches.
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers.pop("ETag", None)
        response.headers.pop("Last-Modified", None)
    return response


def _for_a_member() -> bool:
    """Logged in during this request, or sent by a browser with a member's session or "remember me" cookie
    (checked without a database query). Every download of personal data (exports, evidence files, the audit
    log) needs a log-in, so this covers them all."""
    if "_user_id" in session:
        return True
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
