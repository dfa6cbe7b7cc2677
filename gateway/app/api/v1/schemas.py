"""flask-restx models documenting every v1 request and response (what Swagger shows and sends)."""

from __future__ import annotations

from flask_restx import Model, Namespace, fields

from gateway.app.generation.params import BACKENDS, MAX_BATCH_SIZE, SAMPLERS
from gateway.app.generation.states import JobStatus
from gateway.app.images.states import ImageStatus

IDEMPOTENCY_DOC = {
    "Idempotency-Key": {
        "in": "header",
        "type": "string",
        "required": False,
        "description": "Replays the first response for 24 h instead of doing the work again",
    }
}


def offset_page(ns: Namespace, name: str, item: Model) -> Model:
    """v1's page of `item`s: `{items, total, page, per_page}` (v2 documents a cursor page)."""
    return ns.model(
        name,
        {
            "items": fields.List(fields.Nested(item)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
    )


def register(ns: Namespace) -> dict[str, object]:
    """Register the shared models on a namespace; returns them by name."""
    m: dict[str, object] = {}
    m["Error"] = ns.model(
        "Error",
        {
            "error": fields.String(required=True, description="Human-readable message"),
            "code": fields.String(required=True, example="VALIDATION_ERROR"),
            "details": fields.Raw(description="Machine-readable context, e.g. fields"),
            "request_id": fields.String(),
        },
    )
    m["GenerateRequest"] = ns.model(
        "GenerateRequest",
        {
            "prompt": fields.String(required=True, example="retro sunset surf club, bold lines"),
            "negative_prompt": fields.String(example="blurry, text artifacts"),
            "width": fields.Integer(default=1024, min=64, description="multiple of 8"),
            "height": fields.Integer(default=1024, min=64, description="multiple of 8"),
            "steps": fields.Integer(default=30, min=1, max=150),
            "guidance": fields.Float(default=7.0, min=0, max=30),
            "sampler": fields.String(enum=list(SAMPLERS), default="euler"),
            "seed": fields.Integer(min=0, max=2**32 - 1, description="random when omitted"),
            "batch_size": fields.Integer(default=1, min=1, max=MAX_BATCH_SIZE),
            "backend": fields.String(
                enum=list(BACKENDS), description="default: GENERATION_BACKEND"
            ),
            "template_id": fields.String(description="product template to publish with later"),
        },
    )
    m["EditRequest"] = ns.model(
        "EditRequest",
        {
            "image_id": fields.String(required=True),
            "instruction": fields.String(required=True, example="invert colours and add a border"),
            "seed": fields.Integer(min=0),
            "backend": fields.String(enum=list(BACKENDS)),
            "batch_size": fields.Integer(default=1, min=1, max=MAX_BATCH_SIZE),
        },
    )
    m["JobAccepted"] = ns.model(
        "JobAccepted",
        {
            "job_id": fields.String(required=True),
            "status": fields.String(example="pending"),
            "status_url": fields.String(),
            "websocket_url": fields.String(),
        },
    )
    m["JobError"] = ns.model("JobError", {"code": fields.String(), "message": fields.String()})
    m["Job"] = ns.model(
        "Job",
        {
            "job_id": fields.String(),
            "status": fields.String(enum=[str(s) for s in JobStatus]),
            "mode": fields.String(enum=["generate", "edit"]),
            "progress": fields.Float(),
            "backend": fields.String(),
            "params": fields.Raw(),
            "source_image_id": fields.String(),
            "image_ids": fields.List(fields.String()),
            "error": fields.Nested(m["JobError"], allow_null=True),
            "warnings": fields.List(fields.String()),
            "attempts": fields.Integer(),
            "created_at": fields.DateTime(),
            "started_at": fields.DateTime(),
            "completed_at": fields.DateTime(),
        },
    )
    m["JobList"] = ns.model("JobList", {"items": fields.List(fields.Nested(m["Job"]))})
    m["Quality"] = ns.model(
        "Quality",
        {
            "valid": fields.Boolean(),
            "errors": fields.List(fields.String()),
            "warnings": fields.List(fields.String()),
            "info": fields.Raw(
                example={
                    "resolution": "1024x1024",
                    "dpi": 85,
                    "print_size_inches": {"width": 3.41, "height": 3.41},
                }
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
            "from_status": fields.String(),
            "to_status": fields.String(),
            "reason": fields.String(),
            "note": fields.String(),
            "details": fields.Raw(),
        },
    )
    image_fields = {
        "id": fields.String(),
        "status": fields.String(enum=[str(s) for s in ImageStatus]),
        "source": fields.String(enum=["generated", "edit", "upload"]),
        "job_id": fields.String(),
        "prompt": fields.String(),
        "params": fields.Raw(),
        "seed": fields.Integer(),
        "backend": fields.String(),
        "parent_id": fields.String(),
        "title": fields.String(),
        "description": fields.String(),
        "tags": fields.List(fields.String()),
        "width": fields.Integer(),
        "height": fields.Integer(),
        "dpi": fields.Integer(),
        "sha256": fields.String(),
        "urls": fields.Raw(example={"original": "...", "print": "...", "thumbnail": "..."}),
        "quality": fields.Nested(m["Quality"]),
        "duplicate_count": fields.Integer(),
        "reject_reason": fields.String(),
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
    m["ImagePatch"] = ns.model(
        "ImagePatch",
        {
            "title": fields.String(max_length=200),
            "description": fields.String(),
            "tags": fields.List(fields.String()),
        },
    )
    m["Approve"] = ns.model("Approve", {"note": fields.String()})
    m["Reject"] = ns.model(
        "Reject",
        {"reason": fields.String(required=True, example="low_quality"), "note": fields.String()},
    )
    m["BatchIds"] = ns.model(
        "BatchIds", {"image_ids": fields.List(fields.String(), required=True, max_items=10000)}
    )
    m["BatchReject"] = ns.inherit(
        "BatchReject",
        m["BatchIds"],
        {"reason": fields.String(required=True), "note": fields.String()},
    )
    m["BatchDelete"] = ns.inherit(
        "BatchDelete", m["BatchIds"], {"force": fields.Boolean(default=False)}
    )
    publish_options = {
        "dry_run": fields.Boolean(
            default=False, description="validate and record the requests; send nothing"
        ),
        "allow_low_resolution": fields.Boolean(
            default=False, description="publish although the design is below PRINT_DPI_FLOOR"
        ),
    }
    m["Publish"] = ns.model(
        "Publish", {"template_id": fields.String(required=True), **publish_options}
    )
    m["PublishAccepted"] = ns.model(
        "PublishAccepted",
        {
            "publication_id": fields.String(),
            "status": fields.String(example="queued"),
            "dry_run": fields.Boolean(),
            "status_url": fields.String(),
            "readiness": fields.Raw(),
        },
    )
    m["BatchPublish"] = ns.inherit(
        "BatchPublish",
        m["BatchIds"],
        {"template_id": fields.String(required=True), **publish_options},
    )
    m["BatchFailure"] = ns.model(
        "BatchFailure", {"image_id": fields.String(), "error": fields.Nested(m["JobError"])}
    )
    m["BatchResult"] = ns.model(
        "BatchResult",
        {
            "successful": fields.List(fields.String()),
            "failed": fields.List(fields.Nested(m["BatchFailure"])),
            "skipped": fields.List(fields.String()),
            "counts": fields.Raw(example={"successful": 2, "failed": 1, "skipped": 0, "total": 3}),
        },
    )
    return m
