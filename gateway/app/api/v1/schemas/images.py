"""The v1 models of images: summaries, details, their quality, history and risk, edits and listing drafts."""

from __future__ import annotations

from flask_restx import Namespace, fields

from gateway.app import validation as v
from gateway.app.api.spec import nullable
from gateway.app.api.v1.schemas.common import (
    ChangeModel,
    id_field,
    offset_page,
    optional_text,
    tag_list,
)
from gateway.app.images.states import ImageStatus


def register(ns: Namespace, m: dict[str, object]) -> None:
    """Add the image models to `m`."""
    m["Quality"] = ns.model(
        "Quality",
        {
            "valid": fields.Boolean(),
            "errors": fields.List(fields.String()),
            "warnings": fields.List(
                fields.String(),
                description="what the pixels are on their own (aspect ratio), and one per product "
                "template the image would print below PRINT_DPI on",
            ),
            "info": fields.Raw(
                description="`dpi`: effective DPI at PRINT_WIDTH_INCHES (information only); "
                "`soft_on`, present when the image prints soft on a product: `[{template_id, "
                "name, effective_dpi}]`",
                example={
                    "resolution": "1024x1024",
                    "dpi": 85,
                    "print_size_inches": {"width": 3.41, "height": 3.41},
                    "soft_on": [{"template_id": "tpl_1", "name": "Tee", "effective_dpi": 68.3}],
                },
            ),
        },
    )
    m["Duplicate"] = ns.model(
        "Duplicate", {"image_id": fields.String(), "distance": fields.Integer()}
    )
    m["HistoryEntry"] = ns.model(
        "HistoryEntry",
        {
            "at": fields.DateTime(),
            "actor": fields.Raw(),
            "action": fields.String(),
            "from_status": nullable(fields.String()),
            "to_status": nullable(fields.String()),
            "reason": nullable(fields.String()),
            "note": nullable(fields.String()),
            "details": fields.Raw(),
        },
    )
    m["Risk"] = ns.model(
        "Risk",
        {
            "ip": fields.List(
                fields.String(),
                description="protected terms (brands, characters, famous people) named by the "
                "prompt, title, description or tags",
                example=["mickey"],
            )
        },
    )
    image_fields = {
        "id": fields.String(),
        "status": fields.String(enum=[str(s) for s in ImageStatus]),
        "source": fields.String(enum=["generated", "edit", "upscale", "upload"]),
        "job_id": nullable(fields.String()),
        "prompt": nullable(fields.String()),
        "params": fields.Raw(),
        "seed": nullable(fields.Integer()),
        "backend": nullable(fields.String()),
        "parent_id": nullable(fields.String()),
        "title": fields.String(),
        "description": fields.String(),
        "tags": fields.List(fields.String()),
        "width": fields.Integer(),
        "height": fields.Integer(),
        "dpi": nullable(fields.Integer()),
        "mime": fields.String(),
        "file_size": fields.Integer(),
        "sha256": fields.String(),
        "urls": fields.Raw(example={"original": "...", "print": "...", "thumbnail": "..."}),
        "quality": nullable(fields.Nested(m["Quality"])),
        "duplicate_count": fields.Integer(),
        "risk": nullable(
            fields.Nested(
                m["Risk"],
                description="the IP-risk screen's finding; null when nothing is named",
            )
        ),
        "reject_reason": nullable(fields.String()),
        "review_note": nullable(fields.String()),
        "reviewed_by": nullable(fields.String()),
        "reviewed_at": nullable(fields.DateTime()),
        "created_at": fields.DateTime(),
        "updated_at": fields.DateTime(),
    }
    m["ImageSummary"] = ns.model("ImageSummary", image_fields)
    m["Image"] = ns.model(
        "Image",
        {
            **image_fields,
            "duplicates": fields.List(fields.Nested(m["Duplicate"])),
            "history": fields.List(fields.Nested(m["HistoryEntry"])),
        },
    )
    m["ImagePage"] = offset_page(ns, "ImagePage", m["ImageSummary"])
    m["ImagePatch"] = ns.add_model(
        "ImagePatch",
        ChangeModel(
            "ImagePatch",
            {
                "title": optional_text(max_length=v.MAX_TITLE_LENGTH),
                "description": optional_text(
                    max_length=v.MAX_DESCRIPTION_LENGTH, allow_newlines=True
                ),
                "tags": tag_list(),
            },
            strict=True,
        ),
    )
    m["ListingDraftRequest"] = ns.model(
        "ListingDraftRequest",
        {
            "template_id": nullable(
                id_field(description="the product template whose product kind the draft names")
            )
        },
        strict=True,
    )
    m["ListingDraft"] = ns.model(
        "ListingDraft",
        {
            "title": fields.String(max_length=140, example="Retro Sunset Ocean Palm Trees T-Shirt"),
            "description": fields.String(),
            "tags": fields.List(
                fields.String(max_length=20), max_items=v.MAX_TAGS, example=["retro", "sunset"]
            ),
        },
    )
