"""Quality warnings that mean something: an image's print-resolution warnings name the product
templates it would print soft on, and the `has_warnings` filter agrees with them."""

from __future__ import annotations

from tests.api.v1.test_publishing import OFFLINE_TEMPLATE, create_template
from tests.conftest import upload_design


def _flagged(client, headers, version: str = "v1") -> set[str]:
    answer = client.get(
        f"/api/{version}/images", query_string={"has_warnings": "true"}, headers=headers
    )
    return {item["id"] for item in answer.get_json()["items"]}


def test_without_templates_a_default_size_image_has_no_resolution_warning(client, admin_headers):
    image_id = upload_design(client, admin_headers, 1024)
    image = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()

    assert image["quality"]["warnings"] == []
    assert "soft_on" not in image["quality"]["info"]
    assert image["quality"]["info"]["dpi"] == 85
    assert _flagged(client, admin_headers) == set()


def test_an_image_warns_only_about_the_templates_it_would_print_soft_on(client, admin_headers):
    tee = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    soft = upload_design(client, admin_headers, 600)
    sharp = upload_design(client, admin_headers, 720)

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
