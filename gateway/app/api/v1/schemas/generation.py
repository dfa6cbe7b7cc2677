"""The v1 models of generation: generate and edit requests, and jobs."""

from __future__ import annotations

from flask_restx import Namespace, fields

from gateway.app import validation as v
from gateway.app.api.spec import enum_from_setting, maximum_from_setting, nullable
from gateway.app.api.v1.schemas.common import optional_text, text
from gateway.app.generation.params import (
    DEFAULT_GUIDANCE,
    DEFAULT_SAMPLER,
    DEFAULT_SIZE,
    DEFAULT_STEPS,
    MAX_BATCH_SIZE,
    MAX_GUIDANCE,
    MAX_SEED,
    MAX_STEPS,
    MIN_DIMENSION,
    SAMPLERS,
)
from gateway.app.generation.states import JobStatus


def register(ns: Namespace, m: dict[str, object]) -> None:
    """Add the generation models to `m` (JobError first: batch results nest it)."""
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
            "steps": fields.Integer(default=DEFAULT_STEPS, min=1, max=MAX_STEPS),
            "guidance": fields.Float(default=DEFAULT_GUIDANCE, min=0, max=MAX_GUIDANCE),
            "sampler": fields.String(enum=list(SAMPLERS), default=DEFAULT_SAMPLER),
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
