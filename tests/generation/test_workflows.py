"""The ComfyUI workflow templates: which one a request gets, and how upscale is filled."""

from __future__ import annotations

import pytest

from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.workflows import batch_workflow, build_workflow

SOURCE = b"\x89PNG\r\n\x1a\n"


def _request(**changes: object) -> GenerationRequest:
    values: dict[str, object] = {
        "job_id": "job_1",
        "prompt": "fox",
        "width": 512,
        "height": 256,
        "seed": 5,
    }
    values.update(changes)
    return GenerationRequest(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("factor", "scale_by"), [(2, 0.5), (4, 1.0)])
def test_an_upscale_runs_the_x4_model_then_scales_to_the_factor(factor, scale_by):
    graph = build_workflow(
        _request(source_image=SOURCE, upscale_factor=factor), source_image_name="in.png"
    )
    kinds = {node["class_type"]: node["inputs"] for node in graph.values()}
    assert set(kinds) == {
        "LoadImage",
        "UpscaleModelLoader",
        "ImageUpscaleWithModel",
        "ImageScaleBy",
        "SaveImage",
    }
    assert kinds["LoadImage"]["image"] == "in.png"
    assert kinds["ImageScaleBy"]["scale_by"] == scale_by
    assert kinds["ImageScaleBy"]["upscale_method"] == "lanczos"
    assert kinds["SaveImage"]["filename_prefix"] == "pod_job_1"


def test_a_source_without_an_upscale_factor_is_an_edit():
    graph = build_workflow(_request(source_image=SOURCE), source_image_name="in.png")
    assert "KSampler" in {node["class_type"] for node in graph.values()}


def test_an_upscale_needs_the_uploaded_source_name():
    with pytest.raises(ValueError, match="upscale workflow needs"):
        build_workflow(_request(source_image=SOURCE, upscale_factor=2))


def test_an_upscale_batch_is_one_chain_with_its_links_prefixed():
    graph = batch_workflow(_request(source_image=SOURCE, upscale_factor=2), "in.png")
    assert graph["0_3"]["inputs"] == {"upscale_model": ["0_2", 0], "image": ["0_1", 0]}
    assert graph["0_5"]["inputs"]["images"] == ["0_4", 0]
