"""Upscale jobs: one image enlarged 2 or 4 times, stored as a child of it for review.

An upscale is a generation job in `upscale` mode: it runs through the same queue, worker, lease,
retries and circuit breaker as a generation or an edit, on whichever backend was asked for (a
resample and sharpen on `local`, an upscale workflow on ComfyUI or RunPod). What is its own is
checked here before the job is queued: the source exists, and the result fits the size limits on
generated images, so an impossible upscale is the request's 400 and never a failed job.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.app.errors import ValidationFailed
from gateway.app.generation.backends.registry import BackendRegistry
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.params import UpscaleParams
from gateway.app.generation.service import (
    Enqueue,
    Requester,
    ensure_backend_available,
    queue_from_source,
)
from gateway.app.images import service as images
from gateway.app.imaging.upscale import size_refusal, upscaled_size
from gateway.app.imaging.validation import ImageLimits


def submit_upscale(
    session: Session,
    registry: BackendRegistry,
    enqueue: Enqueue,
    params: UpscaleParams,
    requester: Requester,
    limits: ImageLimits,
) -> GenerationJob:
    """Queue an upscale of an existing image (404 when unknown, 400 when the result would be too
    large); its one result becomes a child of that image, pending review."""
    source = images.get(session, params.image_id)
    ensure_backend_available(registry, params.backend)
    refusal = size_refusal(source.width, source.height, params.factor, limits)
    if refusal is not None:
        message = (
            f"image {source.id} ({source.width}x{source.height}) cannot be upscaled: {refusal}"
        )
        raise ValidationFailed(message, {"factor": refusal})
    width, height = upscaled_size(source.width, source.height, params.factor)
    job_params = {
        "upscale_factor": params.factor,
        "width": width,
        "height": height,
        "seed": source.seed or 0,
        "batch_size": 1,
        "backend": params.backend,
    }
    return queue_from_source(session, source, "upscale", job_params, requester, enqueue)
