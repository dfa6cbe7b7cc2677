"""Security headers on every response, and session-cookie hardening."""

from __future__ import annotations

from functools import partial

from flask import Flask, Response, request

from gateway.app.imaging.storage import storage_from_settings
from gateway.app.settings import Settings

# Printify serves product mockups from its own image host.
PRINTIFY_IMAGES = "https://images-api.printify.com"


def content_security_policy(image_origins: tuple[str, ...] = ()) -> str:
    """The page policy; `image_origins` may serve images too (presigned storage URLs)."""
    img_src = " ".join(["'self'", "data:", "blob:", PRINTIFY_IMAGES, *image_origins])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img_src}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def docs_policy(policy: str) -> str:
    """Swagger UI sets inline styles on its own elements; its page alone may use them."""
    return policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def _secure_headers(response: Response, policy: str, api_docs_policy: str) -> Response:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", api_docs_policy if request.path == "/api/docs" else policy
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask, settings: Settings) -> None:
    https = settings.resolved_base_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="pod_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
        WTF_CSRF_TIME_LIMIT=None,
    )
    # The review UI's <img> tags follow the file endpoint's redirect to presigned storage URLs.
    image_origin = storage_from_settings(settings).presigned_origin()
    policy = content_security_policy((image_origin,) if image_origin else ())
    app.after_request(partial(_secure_headers, policy=policy, api_docs_policy=docs_policy(policy)))
