"""flask-restx models documenting every v1 request and response (what Swagger shows and sends):
the shared field rules in `common`, each feature's models in its own module."""

from __future__ import annotations

from flask_restx import Model, Namespace, fields

from gateway.app.api.spec import nullable
from gateway.app.api.v1.schemas import generation, images, review
from gateway.app.api.v1.schemas.common import (
    ID_PARAM,
    PAGE_PARAM,
    choice_param,
    flag_param,
    limit_param,
    offset_page,
    optional_text,
    tag_list,
    text,
)

__all__ = [
    "ID_PARAM",
    "PAGE_PARAM",
    "choice_param",
    "error_model",
    "flag_param",
    "limit_param",
    "offset_page",
    "optional_text",
    "register",
    "tag_list",
    "text",
]


def error_model(ns: Namespace) -> Model:
    """Register v1's error body on a namespace (v2 documents problem+json in its place)."""
    return ns.model(
        "Error",
        {
            "error": fields.String(required=True, description="Human-readable message"),
            "code": fields.String(required=True, example="VALIDATION_ERROR"),
            "details": fields.Raw(description="Machine-readable context, e.g. fields"),
            "request_id": nullable(fields.String()),
        },
    )


def register(ns: Namespace) -> dict[str, object]:
    """Register the shared models on a namespace; returns them by name."""
    m: dict[str, object] = {"Error": error_model(ns)}
    generation.register(ns, m)
    images.register(ns, m)
    review.register(ns, m)
    return m
