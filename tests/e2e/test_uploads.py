"""Operators' uploads over real HTTP: good designs land in pending; bad files get the documented 4xx."""

from __future__ import annotations

import os

import pytest

from tests.conftest import artwork
from tests.imaging.images import png_declaring_size


def _upload(gateway, name: str, data: bytes, **form: str):
    return gateway.post("/api/v1/images", files={"file": (name, data)}, data=form)


def _image_count(gateway) -> int:
    return gateway.get("/api/v1/images").json()["total"]


def test_an_uploaded_design_is_stored_pending_with_its_metadata(gateway):
    response = _upload(
        gateway, "design.png", artwork(900, 900, seed=4), title="Sunset", tags="retro, surf"
    )
    assert response.status_code == 201, response.text
    image = response.json()
    assert image["status"] == "pending"
    assert image["title"] == "Sunset"
    assert image["tags"] == ["retro", "surf"]
    assert image["history"][0]["action"] == "created"


@pytest.mark.parametrize(
    ("name", "payload", "status", "code"),
    [
        ("bomb.png", png_declaring_size(60000, 60000), 413, "FILE_TOO_LARGE"),
        ("renamed.jpg", artwork(600, 600, seed=2), 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("notes.png", b"just some text, not an image\n" * 40, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("huge.png", os.urandom(20 * 1024 * 1024), 413, "FILE_TOO_LARGE"),
        ("truncated.png", artwork(600, 600, seed=3)[:700], 400, "VALIDATION_ERROR"),
    ],
)
def test_bad_uploads_get_the_documented_error_and_store_nothing(
    gateway, name, payload, status, code
):
    before = _image_count(gateway)
    response = _upload(gateway, name, payload)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert _image_count(gateway) == before
    assert gateway.get("/health").status_code == 200
