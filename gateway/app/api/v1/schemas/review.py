"""The v1 models of review and publishing: approve and reject (one image or a batch), batch delete,
publish (one image or a batch) and what a batch answers."""

from __future__ import annotations

from flask_restx import Namespace, fields

from gateway.app import validation as v
from gateway.app.api.spec import enum_from_setting
from gateway.app.api.v1.schemas.common import id_field, optional_text


def register(ns: Namespace, m: dict[str, object]) -> None:
    """Add the review, publishing and batch models to `m` (after generation's JobError)."""
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
