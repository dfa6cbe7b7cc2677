"""Generation and edit parameters: parsed and checked once, for every entry point."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from gateway.app import validation as v
from gateway.app.errors import ValidationFailed
from gateway.app.imaging.upscale import FACTORS as UPSCALE_FACTORS
from gateway.app.settings import Settings

BACKENDS = ("local", "runpod", "comfyui")
SAMPLERS = ("euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_sde", "ddim", "uni_pc")
MIN_DIMENSION = 64
MAX_STEPS = 150
MAX_GUIDANCE = 30.0
MAX_SEED = 2**32 - 1
MAX_BATCH_SIZE = 25
DEFAULT_SIZE = 1024
# What a request that leaves them out gets: every path (API, queue, backends) reads these.
DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 7.0
DEFAULT_SAMPLER = "euler"

GENERATE_FIELDS = {
    "prompt",
    "negative_prompt",
    "width",
    "height",
    "steps",
    "guidance",
    "sampler",
    "seed",
    "batch_size",
    "backend",
    "template_id",
}
EDIT_FIELDS = {"image_id", "instruction", "seed", "backend", "batch_size"}
UPSCALE_FIELDS = {"factor", "backend"}


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    width: int
    height: int
    seed: int
    batch_size: int
    backend: str
    negative_prompt: str = ""
    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    sampler: str = DEFAULT_SAMPLER
    instruction: str | None = None
    template_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: value for key, value in data.items() if value is not None}


def _dimension(value: object, field: str, settings: Settings) -> int:
    size = v.integer(value, field, minimum=MIN_DIMENSION, maximum=settings.max_image_dimension)
    if size % 8:
        raise v.ValidationFailed(
            f"{field} must be a multiple of 8", {field: "must be a multiple of 8"}
        )
    return size


def _seed(value: object) -> int:
    if value is None:
        return secrets.randbelow(MAX_SEED + 1)
    return v.integer(value, "seed", minimum=0, maximum=MAX_SEED)


def _backend(data: Mapping[str, Any], settings: Settings) -> str:
    """The backend named, which must be one this deployment has configured (naming another is the
    client's mistake, a 400); the deployment's default when the field is absent. A null is refused:
    omitting the field is how to ask for the default."""
    if "backend" not in data:
        return settings.generation_backend
    return v.choice(data["backend"], "backend", settings.configured_backends)


def _not_protected(text: str | None, field: str, settings: Settings) -> None:
    """Under IP_RISK_POLICY=refuse, a 400 naming the protected terms the text names."""
    if not text or settings.ip_risk_policy != "refuse":
        return
    terms = settings.ip_screen.find(text)
    if terms:
        message = f"names protected terms: {', '.join(terms)} (IP_RISK_POLICY is refuse)"
        raise ValidationFailed(f"{field} {message}", {field: message})


def parse_generate(body: object, settings: Settings) -> GenerationParams:
    """Check a generate request; every bad field is reported at once."""
    data: Mapping[str, Any] = v.require_object(body)
    v.refuse_unknown(data, GENERATE_FIELDS)
    errors = v.FieldErrors()
    length = settings.max_prompt_length
    prompt = errors.check(
        v.clean_text, data.get("prompt"), "prompt", max_length=length, required=True
    )
    errors.check(_not_protected, prompt, "prompt", settings)
    negative = errors.check(
        v.clean_text, data.get("negative_prompt"), "negative_prompt", max_length=length
    )
    default_size = min(DEFAULT_SIZE, settings.max_image_dimension // 8 * 8)
    width = errors.check(_dimension, data.get("width", default_size), "width", settings)
    height = errors.check(_dimension, data.get("height", default_size), "height", settings)
    steps = errors.check(
        v.integer, data.get("steps", DEFAULT_STEPS), "steps", minimum=1, maximum=MAX_STEPS
    )
    guidance = errors.check(
        v.number,
        data.get("guidance", DEFAULT_GUIDANCE),
        "guidance",
        minimum=0,
        maximum=MAX_GUIDANCE,
    )
    sampler = errors.check(v.choice, data.get("sampler", DEFAULT_SAMPLER), "sampler", SAMPLERS)
    seed = errors.check(_seed, data.get("seed"))
    batch = errors.check(
        v.integer, data.get("batch_size", 1), "batch_size", minimum=1, maximum=MAX_BATCH_SIZE
    )
    backend = errors.check(_backend, data, settings)
    template_id = data.get("template_id")
    if template_id is not None:
        template_id = errors.check(v.clean_text, template_id, "template_id", max_length=64)
    errors.raise_if_any()
    return GenerationParams(
        prompt=prompt,
        negative_prompt=negative,
        width=width,
        height=height,
        steps=steps,
        guidance=guidance,
        sampler=sampler,
        seed=seed,
        batch_size=batch,
        backend=backend,
        template_id=template_id or None,
    )


@dataclass(frozen=True)
class EditParams:
    image_id: str
    instruction: str
    seed: int
    backend: str
    batch_size: int


def parse_edit(body: object, settings: Settings) -> EditParams:
    data: Mapping[str, Any] = v.require_object(body)
    v.refuse_unknown(data, EDIT_FIELDS)
    errors = v.FieldErrors()
    image_id = errors.check(
        v.clean_text, data.get("image_id"), "image_id", max_length=64, required=True
    )
    instruction = errors.check(
        v.clean_text,
        data.get("instruction"),
        "instruction",
        max_length=settings.max_prompt_length,
        required=True,
    )
    errors.check(_not_protected, instruction, "instruction", settings)
    seed = errors.check(_seed, data.get("seed"))
    backend = errors.check(_backend, data, settings)
    batch = errors.check(
        v.integer, data.get("batch_size", 1), "batch_size", minimum=1, maximum=MAX_BATCH_SIZE
    )
    errors.raise_if_any()
    return EditParams(
        image_id=image_id, instruction=instruction, seed=seed, backend=backend, batch_size=batch
    )


@dataclass(frozen=True)
class UpscaleParams:
    image_id: str
    factor: int
    backend: str


def _factor(value: object) -> int:
    """2 or 4; anything else (3, "2", 2.0, true) is refused naming the choices."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in UPSCALE_FACTORS:
        message = f"must be one of: {', '.join(str(f) for f in UPSCALE_FACTORS)}"
        raise ValidationFailed(f"factor {message}", {"factor": message})
    return value


def parse_upscale(image_id: str, body: object, settings: Settings) -> UpscaleParams:
    """Check an upscale request of image `image_id` (from the path); every bad field at once."""
    data: Mapping[str, Any] = v.require_object(body)
    v.refuse_unknown(data, UPSCALE_FIELDS)
    errors = v.FieldErrors()
    factor = errors.check(_factor, data.get("factor"))
    backend = errors.check(_backend, data, settings)
    errors.raise_if_any()
    return UpscaleParams(image_id=image_id, factor=factor, backend=backend)
