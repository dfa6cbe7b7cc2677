"""The local backend: the same request gives the same bytes, and an edit of any small image,
in any mode, by any instruction, is a result or the clear InputRejected, never another error."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from gateway.app.generation.backends.base import GenerationRequest, InputRejected
from gateway.app.generation.backends.local import LocalBackend
from gateway.app.generation.backends.local.edits import MIN_EDIT_SIDE
from tests.property.conftest import PROPERTY

# One phrase per edit operation of `edits._EDIT_PATTERNS`, and some that name none.
PHRASES = [
    'add the caption "Hello"',
    "text saying summer vibes",
    "red border",
    "framed in gold",
    "flip vertically",
    "mirror it",
    "rotate 45 degrees left",
    "rotate 999",
    "black and white",
    "sepia",
    "warmer",
    "icy",
    "pop art",
    "posterize",
    "blur",
    "sharpen",
    "brighter",
    "darker",
    "less contrast",
    "muted",
    "vivid",
    "invert",
    "8-bit",
    "make it nice",
    "",
]
instructions = st.one_of(
    st.lists(st.sampled_from(PHRASES), min_size=1, max_size=4).map(" and then ".join),
    st.text(max_size=60),
    st.builds(lambda text: f'caption "{text}"', st.text(min_size=1, max_size=200)),
)


class Control:
    """A job that is never cancelled and never late."""

    deadline = float("inf")
    external_id = None

    def remember_external_id(self, external_id: str) -> None:
        """Nothing to remember: the local backend has no remote job."""

    def report_progress(self, fraction: float) -> None:
        assert 0.0 <= fraction <= 1.0

    def should_stop(self) -> bool:
        return False


@st.composite
def encoded_images(draw: st.DrawFn) -> bytes:
    """A small image (1-64 px a side, odd sizes too) in RGB, RGBA, L, LA or P, as PNG or JPEG."""
    mode = draw(st.sampled_from(["RGB", "RGBA", "L", "LA", "P"]))
    size = (draw(st.integers(1, 64)), draw(st.integers(1, 64)))
    pixels = draw(st.binary(min_size=4, max_size=64))
    image = Image.frombytes("L", size, (pixels * (size[0] * size[1]))[: size[0] * size[1]])
    image = image.convert(mode)
    fmt = draw(st.sampled_from(["PNG", "JPEG"])) if mode in ("RGB", "L") else "PNG"
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def _edit(source: bytes, instruction: str, seed: int) -> GenerationRequest:
    return GenerationRequest(
        job_id="job_property",
        prompt="design",
        width=64,
        height=64,
        seed=seed,
        instruction=instruction,
        source_image=source,
    )


@PROPERTY
@given(source=encoded_images(), instruction=instructions, seed=st.integers(0, 2**32 - 1))
def test_every_edit_of_a_small_image_is_a_result_or_input_rejected(
    source: bytes, instruction: str, seed: int
) -> None:
    width, height = Image.open(io.BytesIO(source)).size
    try:
        output = LocalBackend().generate(_edit(source, instruction, seed), Control())
    except InputRejected:
        assert min(width, height) < MIN_EDIT_SIDE
        return
    assert min(width, height) >= MIN_EDIT_SIDE
    [result] = output.images
    assert Image.open(io.BytesIO(result.data)).size in ((width, height), (height, width))


@pytest.mark.parametrize("size", [(1, 1), (2, 2), (MIN_EDIT_SIDE - 1, 400)])
def test_edit_of_a_tiny_image_is_refused_before_any_work(size: tuple[int, int]) -> None:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="PNG")
    with pytest.raises(InputRejected, match="an edit needs at least"):
        LocalBackend().generate(_edit(out.getvalue(), "red border", 1), Control())


@PROPERTY
@given(
    prompt=st.text(min_size=1, max_size=80),
    width=st.integers(64, 160),
    height=st.integers(64, 160),
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(1, 150),
    guidance=st.floats(0, 30),
)
def test_same_prompt_parameters_and_seed_give_the_same_bytes(
    prompt: str, width: int, height: int, seed: int, steps: int, guidance: float
) -> None:
    request = GenerationRequest(
        job_id="job_a",
        prompt=prompt,
        width=width,
        height=height,
        seed=seed,
        steps=steps,
        guidance=guidance,
    )
    again = GenerationRequest(**{**request.__dict__, "job_id": "job_b"})
    first = LocalBackend().generate(request, Control()).images[0].data
    assert LocalBackend().generate(again, Control()).images[0].data == first


@PROPERTY
@given(source=encoded_images(), instruction=instructions, seed=st.integers(0, 2**32 - 1))
def test_same_edit_and_seed_give_the_same_bytes(source: bytes, instruction: str, seed: int) -> None:
    try:
        first = LocalBackend().generate(_edit(source, instruction, seed), Control())
    except InputRejected:
        return
    again = LocalBackend().generate(_edit(source, instruction, seed), Control())
    assert again.images[0].data == first.images[0].data


def _upload(client: FlaskClient, headers: dict[str, str], size: tuple[int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="PNG")
    response = client.post(
        "/api/v1/images",
        headers=headers,
        data={"file": (io.BytesIO(out.getvalue()), "tiny.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_api_refuses_a_local_edit_of_a_tiny_upload_with_a_400(
    prop_app: Flask, api_headers: dict[str, str]
) -> None:
    client = prop_app.test_client()
    image_id = _upload(client, api_headers, (2, 2))
    response = client.post(
        "/api/v1/edit",
        headers=api_headers,
        json={"image_id": image_id, "instruction": "add a red border"},
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "VALIDATION_ERROR"
    assert "an edit needs at least" in response.get_json()["details"]["fields"]["image_id"]


def test_api_edits_an_upload_of_the_smallest_editable_size(
    prop_app: Flask, api_headers: dict[str, str]
) -> None:
    client = prop_app.test_client()
    image_id = _upload(client, api_headers, (MIN_EDIT_SIDE, MIN_EDIT_SIDE))
    response = client.post(
        "/api/v1/edit",
        headers=api_headers,
        json={"image_id": image_id, "instruction": "add a red border"},
    )
    assert response.status_code == 202, response.get_json()
    job = client.get(f"/api/v1/jobs/{response.get_json()['job_id']}", headers=api_headers)
    assert job.get_json()["status"] == "completed", job.get_json()
