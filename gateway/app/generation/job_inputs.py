"""What a job asks of its backend and what its images record, per mode (generate, edit, upscale).

The worker (`runner`) reads a job's row, asks `request_for` what to send the backend, and asks
`origin_for` what each resulting image says about where it came from, so a mode's rules sit here
together rather than as branches through the worker's lease and commit logic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.params import DEFAULT_GUIDANCE, DEFAULT_SAMPLER, DEFAULT_STEPS
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.service import ImageOrigin
from gateway.app.imaging.storage import Storage

# The images' `source` per job mode: what the review UI and the API call each child.
IMAGE_SOURCES = {"generate": "generated", "edit": "edit", "upscale": "upscale"}


def request_for(job: Row[Any], storage: Storage, session: Session) -> GenerationRequest:
    """The backend request of a job; an edit or upscale reads its source image's bytes (NotFound
    or StorageKeyNotFound when the source is gone)."""
    params = job.params
    source_bytes = None
    if job.source_image_id:
        source = images.get(session, job.source_image_id)
        source_bytes = storage.get(source.original_key)
    return GenerationRequest(
        job_id=job.id,
        prompt=params["prompt"],
        negative_prompt=params.get("negative_prompt", ""),
        width=params["width"],
        height=params["height"],
        steps=params.get("steps", DEFAULT_STEPS),
        guidance=params.get("guidance", DEFAULT_GUIDANCE),
        sampler=params.get("sampler", DEFAULT_SAMPLER),
        seed=params["seed"],
        batch_size=params.get("batch_size", 1),
        instruction=params.get("instruction"),
        source_image=source_bytes,
        upscale_factor=params.get("upscale_factor"),
    )


def origin_for(job: Row[Any], index: int, seed: int) -> ImageOrigin:
    """Where the job's image `index` (made with `seed`) came from; an edit's prompt is its
    instruction, a generation's or upscale's the prompt it carries."""
    params = job.params
    return ImageOrigin(
        source=IMAGE_SOURCES[job.mode],
        job_id=job.id,
        job_index=index,
        parent_id=job.source_image_id,
        prompt=params.get("instruction") if job.mode == "edit" else params["prompt"],
        params={**params, "seed": seed},
        seed=seed,
        backend=job.backend,
    )


def inherited_listing(session: Session, job: Row[Any]) -> dict[str, Any]:
    """The listing an upscale's image starts with: its source's title, description and tags (the
    same design, only larger, so the operator need not type it again). Other modes start empty."""
    source = session.get(Image, job.source_image_id) if job.mode == "upscale" else None
    if source is None:
        return {}
    return {"title": source.title, "description": source.description, "tags": list(source.tags)}
