"""Sample deliveries per event type, for Zapier's perform-list and for people writing receivers.

The newest real events of the type come first (Zapier maps fields from real data best); when there
are none yet, one made-up event built by the same presenters the API and the events use. Either
way each sample is exactly a delivery body: `{event_type, event_id, timestamp, data}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.app import versioning
from gateway.app.database import isoformat, utcnow
from gateway.app.events.models import OutboxEvent
from gateway.app.generation import service as jobs
from gateway.app.generation.models import GenerationJob
from gateway.app.images import presenter as images
from gateway.app.images.batches import BatchResult
from gateway.app.images.models import Image
from gateway.app.webhooks import presenter
from gateway.app.webhooks.models import WebhookSubscription

MAX_SAMPLES = 3
PARAMS = {
    "prompt": "retro sunset surf club, bold lines",
    "negative_prompt": "blurry",
    "width": 1024,
    "height": 1024,
    "steps": 30,
    "guidance": 7.0,
    "sampler": "euler",
    "seed": 1234,
    "batch_size": 1,
}
JOB_ID = "job_sample000000000000000000"
IMAGE_ID = "img_sample000000000000000000"
_MADE_BY: dict[str, Any] = {
    "backend": "local",
    "params": PARAMS,
}  # as the job and its image record it


def _job(status: str, *, error: tuple[str, str] | None = None) -> dict[str, Any]:
    now = utcnow()
    job = GenerationJob(
        id=JOB_ID,
        status=status,
        mode="generate",
        **_MADE_BY,
        progress=1.0 if status != "processing" else 0.0,
        attempts=1,
        warnings=[],
        error_code=error[0] if error else None,
        error_message=error[1] if error else None,
        created_at=now - timedelta(seconds=20),
        started_at=now - timedelta(seconds=15),
        completed_at=None if status == "processing" else now,
    )
    image_ids = [IMAGE_ID] if status == "completed" else []
    return jobs.to_dict(job, image_ids)


def _image(status: str, base_url: str) -> dict[str, Any]:
    now = utcnow()
    image = Image(
        id=IMAGE_ID,
        status=status,
        source="generated",
        job_id=JOB_ID,
        prompt=PARAMS["prompt"],
        seed=PARAMS["seed"],
        **_MADE_BY,
        title="Retro sunset surf club",
        description="",
        tags=["retro", "sunset"],
        width=1024,
        height=1024,
        dpi=300,
        mime="image/png",
        file_size=812_345,
        sha256="0" * 64,
        quality={"valid": True, "errors": [], "warnings": [], "info": {"resolution": "1024x1024"}},
        duplicate_count=0,
        reject_reason="low_quality" if status == "rejected" else None,
        reviewed_by="admin",
        reviewed_at=now,
        created_at=now - timedelta(minutes=5),
        updated_at=now,
    )
    return images.summary(image, base_url + versioning.CURRENT_API)


def _product(status: str) -> dict[str, Any]:
    failed = status == "failed"
    return {
        "publication_id": "pub_sample000000000000000000",
        "image_id": IMAGE_ID,
        "template_id": "tpl_sample000000000000000000",
        "status": status,
        "printify_product_id": None if failed else "5f1e0c3a9b8d7e0012345678",
        "attempts": 3 if failed else 1,
        "error": {"code": "EXTERNAL_SERVICE_ERROR", "message": "Printify answered 502"}
        if failed
        else None,
        "created_at": isoformat(utcnow()),
    }


def _batch() -> dict[str, Any]:
    result = BatchResult(
        successful=[IMAGE_ID],
        failed=[{"image_id": "img_sample000000000000000001", "error": {"code": "NOT_FOUND"}}],
    )
    return {"action": "approve", **result.to_dict()}


def _test_event(base_url: str) -> dict[str, Any]:
    now = utcnow()
    subscription = WebhookSubscription(
        id="wh_sample000000000000000000",
        url="https://hooks.example.com/pod",
        events=["*"],
        description="sample",
        enabled=True,
        source="api",
        created_by="zapier",
        created_at=now,
        updated_at=now,
    )
    return presenter.to_dict(subscription)


SYNTHETIC: dict[str, Callable[[str], dict[str, Any]]] = {
    "generation.started": lambda _: _job("processing"),
    "generation.completed": lambda _: _job("completed"),
    "generation.failed": lambda _: _job("failed", error=("TIMEOUT", "no result within 300 s")),
    "image.approved": lambda base_url: _image("approved", base_url),
    "image.rejected": lambda base_url: _image("rejected", base_url),
    "product.published": lambda _: _product("published"),
    "product.failed": lambda _: _product("failed"),
    "batch.completed": lambda _: _batch(),
    "webhook.test": _test_event,
}


def samples(session: Session, event_type: str, base_url: str) -> list[dict[str, Any]]:
    """Up to three recent real events of this type, else one synthetic one (delivery bodies)."""
    found: list[OutboxEvent] = []
    if event_type != "webhook.test":
        found = list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.event_type == event_type)
                .order_by(OutboxEvent.sequence.desc())
                .limit(MAX_SAMPLES)
            )
        )
    if not found:
        found = [
            OutboxEvent(
                id="evt_sample000000000000000000",
                event_type=event_type,
                data=SYNTHETIC[event_type](base_url),
                created_at=utcnow(),
            )
        ]
    return [json.loads(presenter.envelope_json(event)) for event in found]
