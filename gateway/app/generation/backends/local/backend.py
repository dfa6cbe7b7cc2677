"""The `local` backend's surface: render or edit each image of a batch, under job control."""

from __future__ import annotations

import io
import time

import PIL
from PIL import Image

from gateway.app.generation.backends.base import (
    BackendHealth,
    GeneratedImage,
    GenerationCancelled,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
    JobControl,
)
from gateway.app.generation.backends.local.edits import (
    apply_edit,
    check_source_size,
    decode_source,
)
from gateway.app.generation.backends.local.render import render_design
from gateway.app.generation.backends.local.seeds import RENDERER_VERSION
from gateway.app.generation.backends.local.upscale import upscale_png


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes with fixed settings and no metadata, so equal pixels give equal bytes."""
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _check_running(control: JobControl) -> None:
    """Raise when the job was cancelled or has run past its deadline."""
    if control.should_stop():
        raise GenerationCancelled("The generation was cancelled.")
    if time.monotonic() > control.deadline:
        raise GenerationTimeout("The generation ran past its deadline.")


class LocalBackend:
    """The embedded default backend: renders on the worker's own CPU with Pillow."""

    name = "local"

    def __init__(self) -> None:
        self.version = f"{RENDERER_VERSION} (Pillow {PIL.__version__})"

    def generate(self, request: GenerationRequest, control: JobControl) -> GenerationOutput:
        """Render (or edit) `batch_size` images; image i uses seed `request.seed + i`. An upscale
        makes its one image from the source alone."""
        if request.is_upscale:
            return self._upscale(request, control)
        count = request.batch_size
        source = None if request.source_image is None else decode_source(request.source_image)
        images: list[GeneratedImage] = []
        for i in range(count):
            _check_running(control)
            seed = request.seed + i
            if source is None:
                image = render_design(request, seed)
            else:
                image = apply_edit(source.copy(), request.instruction or "", seed)
            _check_running(control)
            control.report_progress((i + 0.8) / count)
            images.append(GeneratedImage(data=encode_png(image), seed=seed))
            control.report_progress((i + 1) / count)
        return GenerationOutput(images=images)

    def _upscale(self, request: GenerationRequest, control: JobControl) -> GenerationOutput:
        assert request.source_image is not None and request.upscale_factor is not None
        _check_running(control)
        data = upscale_png(request.source_image, request.upscale_factor)
        _check_running(control)
        control.report_progress(1.0)
        return GenerationOutput(images=[GeneratedImage(data=data, seed=request.seed)])

    def health(self) -> BackendHealth:
        """Always ok: the backend needs nothing but Pillow."""
        return BackendHealth(status="ok", version=self.version)

    def cancel(self, external_id: str) -> None:
        """Do nothing: there is no remote job, and a running render stops at `should_stop()`."""

    def check_edit_source(self, width: int, height: int) -> None:
        """Refuse a source smaller than MIN_EDIT_SIDE on either side."""
        check_source_size(width, height)
