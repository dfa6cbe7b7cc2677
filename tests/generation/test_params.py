"""Parsing generate, edit and upscale parameters: defaults, limits, every error at once."""

from __future__ import annotations

import pytest

from gateway.app.errors import ValidationFailed
from gateway.app.generation import params as params_module
from gateway.app.generation.params import MAX_SEED, parse_edit, parse_generate, parse_upscale
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


def test_generate_defaults(settings):
    parsed = parse_generate({"prompt": "  retro surf club  "}, settings)
    assert parsed.prompt == "retro surf club"
    assert (parsed.width, parsed.height) == (1024, 1024)
    assert parsed.batch_size == 1
    assert (parsed.steps, parsed.guidance, parsed.sampler) == (30, 7.0, "euler")
    assert parsed.negative_prompt == ""
    assert parsed.backend == settings.generation_backend == "local"
    assert parsed.template_id is None
    assert 0 <= parsed.seed <= MAX_SEED


def test_a_missing_seed_is_drawn_from_the_whole_range(settings, monkeypatch):
    asked = []

    def randbelow(bound):
        asked.append(bound)
        return bound - 1

    monkeypatch.setattr(params_module.secrets, "randbelow", randbelow)
    assert parse_generate({"prompt": "x"}, settings).seed == MAX_SEED
    assert asked == [MAX_SEED + 1]
    assert parse_generate({"prompt": "x", "seed": 0}, settings).seed == 0
    assert asked == [MAX_SEED + 1]


def test_the_default_backend_comes_from_settings(tmp_path):
    settings = make_settings(tmp_path, GENERATION_BACKEND="comfyui")
    assert parse_generate({"prompt": "x"}, settings).backend == "comfyui"
    assert parse_generate({"prompt": "x", "backend": "local"}, settings).backend == "local"


def test_limits_follow_settings(tmp_path):
    settings = make_settings(tmp_path, MAX_PROMPT_LENGTH=10, MAX_IMAGE_DIMENSION=512)
    assert parse_generate({"prompt": "x" * 10, "width": 512, "height": 64}, settings).width == 512
    with pytest.raises(ValidationFailed) as raised:
        parse_generate({"prompt": "x" * 11, "width": 520, "height": 64}, settings)
    assert set(raised.value.field_errors) == {"prompt", "width"}


def test_the_default_size_fits_a_smaller_max_image_dimension(tmp_path):
    settings = make_settings(tmp_path, MAX_IMAGE_DIMENSION=512)
    parsed = parse_generate({"prompt": "x"}, settings)
    assert parsed.width <= 512 and parsed.height <= 512


def test_every_bad_field_is_reported_at_once(settings):
    body = {
        "prompt": "",
        "width": 100,
        "height": 99999,
        "steps": 0,
        "guidance": "high",
        "sampler": "magic",
        "seed": -1,
        "batch_size": 26,
        "backend": "dalle",
    }
    with pytest.raises(ValidationFailed) as raised:
        parse_generate(body, settings)
    error = raised.value
    assert set(error.field_errors) == set(body)
    assert error.code == "VALIDATION_ERROR"
    assert error.details == {"fields": error.field_errors}
    assert all(name in error.message for name in body)


def test_unknown_fields_and_non_objects_are_refused(settings):
    with pytest.raises(ValidationFailed) as raised:
        parse_generate({"prompt": "x", "model": "sdxl", "nsfw": True}, settings)
    assert set(raised.value.field_errors) == {"model", "nsfw"}
    for body in (None, [], "prompt", 3):
        with pytest.raises(ValidationFailed):
            parse_generate(body, settings)


def test_to_json_round_trips_the_parameters(settings):
    parsed = parse_generate(
        {"prompt": "x", "width": 64, "height": 128, "seed": 5, "template_id": "tpl_1"}, settings
    )
    data = parsed.to_json()
    assert data["width"] == 64 and data["height"] == 128 and data["seed"] == 5
    assert data["template_id"] == "tpl_1"
    assert "instruction" not in data


def test_edit_parameters(settings):
    parsed = parse_edit({"image_id": "img_1", "instruction": "invert", "seed": 4}, settings)
    assert (parsed.image_id, parsed.instruction, parsed.seed) == ("img_1", "invert", 4)
    assert parsed.backend == "local" and parsed.batch_size == 1
    with pytest.raises(ValidationFailed) as raised:
        parse_edit({"image_id": "", "instruction": "<b>x</b>", "batch_size": 0}, settings)
    assert set(raised.value.field_errors) == {"image_id", "instruction", "batch_size"}


def test_upscale_parameters(settings):
    params = parse_upscale("img_1", {"factor": 4}, settings)
    assert (params.image_id, params.factor, params.backend) == ("img_1", 4, "local")


@pytest.mark.parametrize("factor", [3, 1, 8, 0, -2, "4", 4.0, None, True, [2]])
def test_an_upscale_factor_other_than_2_or_4_is_refused(settings, factor):
    with pytest.raises(ValidationFailed) as caught:
        parse_upscale("img_1", {"factor": factor}, settings)
    assert caught.value.field_errors == {"factor": "must be one of: 2, 4"}
