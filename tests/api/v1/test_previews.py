"""GET /api/v1/images/{id}/preview: the design on a template's product, in a variant's colour.

`client` has no Printify token (templates are unchecked, colours neutral); `live_client` reads the
Printify emulator's catalog, whose tee variants are White, Black and Heather Grey.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import delete, update

from gateway.app.extensions import db
from gateway.app.publishing import mockups
from gateway.app.publishing.models import CatalogEntry
from tests.api.v1.test_publishing import OFFLINE_TEMPLATE, create_template
from tests.conftest import TEE_TEMPLATE, emulator_stats, upload_approved

WHITE_S, BLACK_S = 12100, 12110
LIVE_TEE = {
    **TEE_TEMPLATE,
    "variants": [{"id": WHITE_S, "price": 2500}, {"id": BLACK_S, "price": 2500}],
}
# A point on the tee's body beside the print area, in the 1024 px preview.
TEE_BODY = (290, 900)


def preview_url(image_id: str, template_id: str, version: int = 1, **params: object) -> str:
    query = "".join(f"&{name}={value}" for name, value in params.items())
    return f"/api/v{version}/images/{image_id}/preview?template_id={template_id}{query}"


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    return image.convert("RGB")


def image_and_template(
    client: FlaskClient, headers: dict, make_artwork: Callable[..., bytes], template: dict
) -> tuple[str, str]:
    """An approved image and a template made from `template`: their ids."""
    image_id = upload_approved(client, headers, make_artwork)
    return image_id, create_template(client, headers, template)["id"]


@pytest.fixture
def offline(client, admin_headers, make_artwork) -> tuple[str, str]:
    """An approved image and an unchecked template (no Printify token): their ids."""
    return image_and_template(client, admin_headers, make_artwork, OFFLINE_TEMPLATE)


def test_preview_is_a_webp_no_larger_than_1024_px_with_an_etag(client, admin_headers, offline):
    image_id, template_id = offline
    response = client.get(preview_url(image_id, template_id), headers=admin_headers)
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert max(decoded(response.data).size) <= 1024
    assert response.headers["ETag"].strip('"')
    assert response.headers["Cache-Control"] == mockups.CACHE_CONTROL


def test_the_read_scope_is_enough(client, viewer_headers, offline):
    image_id, template_id = offline
    response = client.get(preview_url(image_id, template_id), headers=viewer_headers)
    assert response.status_code == 200


def test_a_preview_needs_an_api_key(client, offline):
    image_id, template_id = offline
    assert client.get(preview_url(image_id, template_id)).status_code == 401


def test_the_second_request_is_served_from_the_cache(client, admin_headers, offline, monkeypatch):
    image_id, template_id = offline
    first = client.get(preview_url(image_id, template_id), headers=admin_headers)

    def no_render(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("a cached preview was rendered again")

    monkeypatch.setattr(mockups, "render", no_render)
    second = client.get(preview_url(image_id, template_id), headers=admin_headers)
    assert second.status_code == 200
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]


def test_a_matching_etag_is_answered_304_without_a_body(client, admin_headers, offline):
    image_id, template_id = offline
    etag = client.get(preview_url(image_id, template_id), headers=admin_headers).headers["ETag"]
    response = client.get(
        preview_url(image_id, template_id), headers={**admin_headers, "If-None-Match": etag}
    )
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag


def test_editing_the_placement_changes_the_preview(client, admin_headers, offline):
    image_id, template_id = offline
    before = client.get(preview_url(image_id, template_id), headers=admin_headers)
    edited = client.put(
        f"/api/v1/templates/{template_id}",
        headers=admin_headers,
        json={"placement": {"x": 0.3, "y": 0.3, "scale": 0.4, "angle": 15}},
    )
    assert edited.status_code == 200, edited.get_json()
    after = client.get(
        preview_url(image_id, template_id),
        headers={**admin_headers, "If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.data != before.data


def test_a_variant_outside_the_template_is_a_validation_error_naming_it(
    client, admin_headers, offline
):
    image_id, template_id = offline
    response = client.get(
        preview_url(image_id, template_id, variant_id=99999), headers=admin_headers
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "variant_id" in body["details"]["fields"]


def test_a_variant_of_the_template_is_accepted(client, admin_headers, offline):
    image_id, template_id = offline
    variant_id = OFFLINE_TEMPLATE["variants"][1]["id"]
    response = client.get(
        preview_url(image_id, template_id, variant_id=variant_id), headers=admin_headers
    )
    assert response.status_code == 200


@pytest.mark.parametrize("which", ["image", "template"])
def test_an_unknown_image_or_template_is_404(client, admin_headers, offline, which):
    image_id, template_id = offline
    if which == "image":
        image_id = "img_missing"
    else:
        template_id = "tpl_missing"
    response = client.get(preview_url(image_id, template_id), headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "template_id"),
        ("?template_id=", "template_id"),
        (f"?template_id={'t' * 65}", "template_id"),
        ("?template_id=tpl%00x", "template_id"),
        ("?template_id=tpl_x&variant_id=abc", "variant_id"),
        ("?template_id=tpl_x&variant_id=0", "variant_id"),
        ("?template_id=tpl_x&variant_id=-3", "variant_id"),
        ("?template_id=tpl_x&variant_id=1e3", "variant_id"),
        ("?template_id=tpl_x&variant_id=99999999999999999999", "variant_id"),
    ],
)
def test_malformed_parameters_are_400_naming_the_field(
    client, admin_headers, offline, query, field
):
    image_id, _ = offline
    response = client.get(f"/api/v1/images/{image_id}/preview{query}", headers=admin_headers)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert field in body["details"]["fields"]


@pytest.mark.parametrize(
    "image_path", ["..", "%2e%2e", "..%2F..%2Fsecret_key", "img%00x", "x" * 200, "%E2%80%AE"]
)
def test_path_tricks_find_no_image(client, admin_headers, offline, image_path):
    _, template_id = offline
    response = client.get(
        f"/api/v1/images/{image_path}/preview?template_id={template_id}", headers=admin_headers
    )
    assert response.status_code == 404


# -- colours from the Printify catalog (the emulator) ----------------------------------------


@pytest.fixture
def live(live_client, live_headers, make_artwork) -> tuple[str, str]:
    """An approved image and a tee checked against the emulator's catalog: their ids."""
    return image_and_template(live_client, live_headers, make_artwork, LIVE_TEE)


def test_the_product_is_drawn_in_the_variants_catalog_colour(live_client, live_headers, live):
    image_id, template_id = live
    white = live_client.get(
        preview_url(image_id, template_id, variant_id=WHITE_S), headers=live_headers
    )
    black = live_client.get(
        preview_url(image_id, template_id, variant_id=BLACK_S), headers=live_headers
    )
    assert white.status_code == black.status_code == 200
    assert white.headers["ETag"] != black.headers["ETag"]
    assert min(decoded(white.data).getpixel(TEE_BODY)) > 230
    assert max(decoded(black.data).getpixel(TEE_BODY)) < 50


def test_the_default_variant_is_the_templates_first(live_client, live_headers, live):
    image_id, template_id = live
    default = live_client.get(preview_url(image_id, template_id), headers=live_headers)
    white = live_client.get(
        preview_url(image_id, template_id, variant_id=WHITE_S), headers=live_headers
    )
    assert default.headers["ETag"] == white.headers["ETag"]


def test_a_stale_catalog_answer_still_colours_the_preview_without_asking_printify(
    live_app, live_client, live_headers, live, printify_emulator
):
    image_id, template_id = live
    with live_app.app_context():
        db.session.execute(update(CatalogEntry).values(fetched_at=datetime(2000, 1, 1, tzinfo=UTC)))
        db.session.commit()
    asked = emulator_stats(printify_emulator)["requests"]
    black = live_client.get(
        preview_url(image_id, template_id, variant_id=BLACK_S), headers=live_headers
    )
    assert black.status_code == 200
    assert max(decoded(black.data).getpixel(TEE_BODY)) < 50
    assert emulator_stats(printify_emulator)["requests"] == asked


def test_with_no_stored_catalog_answer_the_preview_is_neutral_and_printify_is_not_asked(
    live_app, live_client, live_headers, live, printify_emulator
):
    image_id, template_id = live
    with live_app.app_context():
        db.session.execute(delete(CatalogEntry))
        db.session.commit()
    asked = emulator_stats(printify_emulator)["requests"]
    black = live_client.get(
        preview_url(image_id, template_id, variant_id=BLACK_S), headers=live_headers
    )
    assert black.status_code == 200
    assert min(decoded(black.data).getpixel(TEE_BODY)) > 200  # the blank's own light grey
    assert emulator_stats(printify_emulator)["requests"] == asked
