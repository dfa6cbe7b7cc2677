"""Quality warnings that mean something: an image's print-resolution warnings name the product
templates it would print soft on, and the `has_warnings` filter agrees with them."""

from __future__ import annotations

import io

from tests.conftest import TEE_TEMPLATE, artwork


def _upload(client, headers, width: int) -> str:
    response = client.post(
        "/api/v1/images",
        data={"file": (io.BytesIO(artwork(width, width)), "design.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _flagged(client, headers, version: str = "v1") -> set[str]:
    answer = client.get(
        f"/api/{version}/images", query_string={"has_warnings": "true"}, headers=headers
    )
    return {item["id"] for item in answer.get_json()["items"]}


def test_without_templates_a_default_size_image_has_no_resolution_warning(client, admin_headers):
    image_id = _upload(client, admin_headers, 1024)
    image = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()

    assert image["quality"]["warnings"] == []
    assert "soft_on" not in image["quality"]["info"]
    assert image["quality"]["info"]["dpi"] == 85
    assert _flagged(client, admin_headers) == set()


def test_an_image_warns_only_about_the_templates_it_would_print_soft_on(client, admin_headers):
    tee = client.post(
        "/api/v1/templates",
        headers=admin_headers,
        json={**TEE_TEMPLATE, "placeholder": {"width": 900, "height": 1080}},
    ).get_json()
    soft = _upload(client, admin_headers, 600)
    sharp = _upload(client, admin_headers, 720)

    soft_image = client.get(f"/api/v1/images/{soft}", headers=admin_headers).get_json()
    assert soft_image["quality"]["warnings"] == [
        "prints soft on “Tee front”: 250 DPI, below 300 (600 px for a design 720 px wide)"
    ]
    assert soft_image["quality"]["info"]["soft_on"] == [
        {"template_id": tee["id"], "name": "“Tee front”", "effective_dpi": 250.0}
    ]
    sharp_image = client.get(f"/api/v1/images/{sharp}", headers=admin_headers).get_json()
    assert sharp_image["quality"]["warnings"] == []

    listed = client.get("/api/v1/images", headers=admin_headers).get_json()["items"]
    assert {i["id"]: i["quality"]["warnings"] != [] for i in listed} == {soft: True, sharp: False}
    assert _flagged(client, admin_headers) == {soft}
    assert _flagged(client, admin_headers, "v2") == {soft}
    unflagged = client.get(
        "/api/v1/images", query_string={"has_warnings": "false"}, headers=admin_headers
    ).get_json()["items"]
    assert {item["id"] for item in unflagged} == {sharp}
