"""HTTP security headers. There is no inline script or style anywhere, so the policy can be strict."""
from __future__ import annotations

from flask import Response, current_app

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def set_security_headers(response: Response) -> Response:
    if current_app.config["CONTENT_SECURITY_POLICY"]:
        response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
