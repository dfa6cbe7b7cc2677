"""ComfyUI API-format workflow templates, shared by the ComfyUI and RunPod (worker-comfyui) backends.

`txt2img` makes images, `edit` redraws an uploaded source, and `upscale` enlarges one with a x4
upscale model (`RealESRGAN_x4plus.pth` in ComfyUI's `models/upscale_models`), then scales the
result by `$model_scale_by` (factor / 4: 0.5 for x2, 1.0 for x4), so every factor ends at exactly
factor x the source's size, as the local backend's resample does. (`$upscale_factor`, 2 or 4, is
there for a template that scales in one step.)

A template is a JSON graph in which a string value of the form `$name` is replaced by that request
parameter with its type kept (`"$seed"` becomes an int), and `$name` inside a longer string is
replaced as text. Operators may add templates next to these files.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

from gateway.app.generation.backends.base import GenerationRequest

_PLACEHOLDER = re.compile(r"\$([a-z_]+)")
UPSCALE_MODEL_FACTOR = 4


@cache
def _template(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.json").read_text()


def _values(request: GenerationRequest, source_image_name: str | None) -> dict[str, object]:
    return {
        "job_id": request.job_id,
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "instruction": request.instruction or request.prompt,
        "width": request.width,
        "height": request.height,
        "seed": request.seed,
        "steps": request.steps,
        "guidance": request.guidance,
        "sampler": request.sampler,
        "batch_size": request.batch_size,
        "source_image_name": source_image_name or "",
        "upscale_factor": request.upscale_factor or 1,
        "model_scale_by": (request.upscale_factor or UPSCALE_MODEL_FACTOR) / UPSCALE_MODEL_FACTOR,
    }


def _fill(node: object, values: dict[str, object]) -> object:
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(value, values) for value in node]
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), node)
    return node


def build_workflow(request: GenerationRequest, *, source_image_name: str | None = None) -> dict:
    """The workflow graph for this request: `upscale` or `edit` when it carries a source image,
    else `txt2img`."""
    name = "upscale" if request.is_upscale else "edit" if request.is_edit else "txt2img"
    if request.source_image is not None and not source_image_name:
        raise ValueError(f"an {name} workflow needs the uploaded source image's name")
    return _fill(json.loads(_template(name)), _values(request, source_image_name))  # type: ignore[return-value]


def batch_workflow(request: GenerationRequest, source_image_name: str | None) -> dict[str, Any]:
    """One prompt holding `batch_size` single-image chains; chain i samples with seed + i."""
    graph: dict[str, Any] = {}
    for index in range(request.batch_size):
        single = replace(request, seed=request.seed + index, batch_size=1)
        chain = build_workflow(single, source_image_name=source_image_name)
        graph.update(_prefixed(chain, f"{index}_"))
    return graph


def _prefixed(graph: dict[str, Any], prefix: str) -> dict[str, Any]:
    def relink(value: object) -> object:
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
            return [prefix + value[0], value[1]] if value[0] in graph else value
        return value

    return {
        prefix + node_id: {
            **node,
            "inputs": {k: relink(v) for k, v in node.get("inputs", {}).items()},
        }
        for node_id, node in graph.items()
    }
