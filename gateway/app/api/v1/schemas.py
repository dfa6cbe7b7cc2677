"""flask-restx models documenting every v1 request and response (what Swagger shows and sends)."""

from __future__ import annotations

from flask_restx import Model, Namespace, fields

from gateway.app import pagination
from gateway.app import validation as v
from gateway.app.api.spec import enum_from_setting, maximum_from_setting, nullable
from gateway.app.generation.params import (
    DEFAULT_SIZE,
    MAX_BATCH_SIZE,
    MAX_GUIDANCE,
    MAX_SEED,
    MAX_STEPS,
    MIN_DIMENSION,
    SAMPLERS,
)
from gateway.app.generation.states import JobStatus
from gateway.app.images.states import ImageStatus


def limit_param(description: str = "page size") -> dict[str, object]:
    """`common.page_size`'s parameter."""
    return {
        "type": "integer",
        "default": pagination.PAGE_SIZE,
        "minimum": 1,
        "maximum": pagination.MAX_PAGE_SIZE,
        "description": description,
    }


PAGE_PARAM = {
    "type": "integer",
    "minimum": 1,
    "maximum": pagination.MAX_PAGE,
    "description": "1-based page",
}
ID_PARAM = {
    "type": "string",
    "minLength": 1,
    "maxLength": v.MAX_ID_LENGTH,
    "pattern": v.ID_PATTERN,
}


def id_field(**kwargs: object) -> fields.String:
    """An id in a body, as `validation.looks_like_id` takes it."""
    return fields.String(min_length=1, max_length=v.MAX_ID_LENGTH, pattern=v.ID_PATTERN, **kwargs)


def flag_param(description: str) -> dict[str, object]:
    """A true/false query parameter (`common.bool_arg`)."""
    return {"type": "boolean", "description": description}


def choice_param(options: list[str] | tuple[str, ...], description: str = "") -> dict[str, object]:
    return {"type": "string", "enum": list(options), "description": description}


IDEMPOTENCY_DOC = {
    "Idempotency-Key": {
        "in": "header",
        "type": "string",
        "required": False,
        "description": "Replays the first response for 24 h instead of doing the work again",
    }
}


def text(
    *,
    max_length: int | None = None,
    required: bool = False,
    allow_newlines: bool = False,
    allow_markup: bool = False,
    **kwargs: object,
) -> fields.String:
    """A request string checked by `validation.clean_text`, documented with the same rule."""
    return fields.String(
        required=required,
        min_length=1 if required else None,
        max_length=max_length,
        pattern=v.text_pattern(
            required=required, allow_newlines=allow_newlines, allow_markup=allow_markup
        ),
        **kwargs,
    )


def optional_text(**kwargs: object) -> fields.String:
    """An optional request string where null means "not given"."""
    return nullable(text(**kwargs))


class ChangeModel(Model):
    """A strict request model that must change something: at least one field."""

    @property
    def _schema(self) -> dict[str, object]:
        return {**super()._schema, "minProperties": 1}


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


def tag_list() -> fields.List:
    """Tags as `validation.tags` takes them: at most MAX_TAGS strings."""
    return fields.List(
        text(max_length=v.MAX_TAG_LENGTH), max_items=v.MAX_TAGS, example=["retro", "surf"]
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
            "request_id": nullable(fields.String()),
        },
    )
    dimension = {"default": DEFAULT_SIZE, "min": MIN_DIMENSION, "multiple": 8}
    seed = nullable(fields.Integer(min=0, max=MAX_SEED, description="random when omitted"))
    backend = enum_from_setting(
        fields.String(
            description="a backend this deployment has configured; omit the field for "
            "its default (GENERATION_BACKEND)"
        ),
        "configured_backends",
    )
    batch_size = fields.Integer(default=1, min=1, max=MAX_BATCH_SIZE)
    m["GenerateRequest"] = ns.model(
        "GenerateRequest",
        {
            "prompt": maximum_from_setting(
                text(required=True, example="retro sunset surf club, bold lines"),
                "max_prompt_length",
            ),
            "negative_prompt": maximum_from_setting(
                optional_text(example="blurry, text artifacts"), "max_prompt_length"
            ),
            "width": maximum_from_setting(fields.Integer(**dimension), "max_image_dimension"),
            "height": maximum_from_setting(fields.Integer(**dimension), "max_image_dimension"),
            "steps": fields.Integer(default=30, min=1, max=MAX_STEPS),
            "guidance": fields.Float(default=7.0, min=0, max=MAX_GUIDANCE),
            "sampler": fields.String(enum=list(SAMPLERS), default="euler"),
            "seed": seed,
            "batch_size": batch_size,
            "backend": backend,
            "template_id": optional_text(
                max_length=v.MAX_ID_LENGTH, description="product template to publish with later"
            ),
        },
        strict=True,
    )
    m["EditRequest"] = ns.model(
        "EditRequest",
        {
            "image_id": text(required=True, max_length=v.MAX_ID_LENGTH),
            "instruction": maximum_from_setting(
                text(required=True, example="invert colours and add a border"),
                "max_prompt_length",
            ),
            "seed": seed,
            "backend": backend,
            "batch_size": batch_size,
        },
        strict=True,
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
    m["JobError"] = ns.model(
        "JobError", {"code": fields.String(), "message": nullable(fields.String())}
    )
    m["Job"] = ns.model(
        "Job",
        {
            "job_id": fields.String(),
            "status": fields.String(enum=[str(s) for s in JobStatus]),
            "mode": fields.String(enum=["generate", "edit", "upscale"]),
            "progress": fields.Float(),
            "backend": fields.String(),
            "params": fields.Raw(),
            "source_image_id": nullable(fields.String()),
            "image_ids": fields.List(fields.String()),
            "error": nullable(fields.Nested(m["JobError"], allow_null=True)),
            "warnings": fields.List(fields.String()),
            "attempts": fields.Integer(),
            "created_at": fields.DateTime(),
            "started_at": nullable(fields.DateTime()),
            "completed_at": nullable(fields.DateTime()),
        },
    )
    m["JobList"] = ns.model("JobList", {"items": fields.List(fields.Nested(m["Job"]))})
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
    note = optional_text(max_length=v.MAX_NOTE_LENGTH, allow_newlines=True)
    m["Approve"] = ns.model("Approve", {"note": note}, strict=True)
    reason = enum_from_setting(
        fields.String(required=True, example="low_quality"), "reject_reasons"
    )
    m["Reject"] = ns.model("Reject", {"reason": reason, "note": note}, strict=True)
    # Each batch body repeats `image_ids` rather than inheriting it: an `allOf` of strict models
    # would refuse every field the parent does not name.
    batch_ids = {
        "image_ids": fields.List(id_field(), required=True, min_items=1, max_items=v.MAX_BATCH_IDS)
    }
    m["BatchIds"] = ns.model("BatchIds", batch_ids, strict=True)
    m["BatchReject"] = ns.model(
        "BatchReject", {**batch_ids, "reason": reason, "note": note}, strict=True
    )
    m["BatchDelete"] = ns.model(
        "BatchDelete", {**batch_ids, "force": fields.Boolean(default=False)}, strict=True
    )
    publish_options = {
        "dry_run": fields.Boolean(
            default=False, description="validate and record the requests; send nothing"
        ),
        "allow_low_resolution": fields.Boolean(
            default=False, description="publish although the design is below PRINT_DPI_FLOOR"
        ),
        "acknowledge_risk": fields.Boolean(
            default=False,
            description="publish although the IP-risk screen flagged the design (needs `note`, "
            "which is audited); without it a flagged image answers 409 IP_RISK",
        ),
        "note": optional_text(
            max_length=v.MAX_NOTE_LENGTH,
            allow_newlines=True,
            description="why the flagged design may be published",
        ),
    }
    m["Publish"] = ns.model(
        "Publish", {"template_id": id_field(required=True), **publish_options}, strict=True
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
    m["BatchPublish"] = ns.model(
        "BatchPublish",
        {**batch_ids, "template_id": id_field(required=True), **publish_options},
        strict=True,
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
