"""POST /api/{v1,v2}/images/{id}/listing/draft: a deterministic draft, not saved."""

from __future__ import annotations

import pytest

from tests.api.v1.test_ip_risk import OFFLINE_TEMPLATE, generate, upload


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_draft_from_the_prompt_names_the_templates_product(client, admin_headers, version):
    image_id = generate(client, admin_headers, "retro M1ckey sunset over the ocean, 8k")[0]
    template = client.post("/api/v1/templates", headers=admin_headers, json=OFFLINE_TEMPLATE)
    url = f"/api/{version}/images/{image_id}/listing/draft"
    body = {"template_id": template.get_json()["id"]}
    first = client.post(url, headers=admin_headers, json=body)
    assert first.status_code == 200, first.get_json()
    draft = first.get_json()
    assert set(draft) == {"title", "description", "tags"}
    assert draft["title"] == "Retro Sunset Ocean T-Shirt"
    assert "mickey" not in str(draft).lower()
    assert "t-shirt" in draft["tags"]
    assert client.post(url, headers=admin_headers, json=body).get_json() == draft
    image = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()
    assert image["title"] == ""


def test_a_draft_without_a_template_and_a_body_is_required(client, admin_headers):
    image_id = upload(client, admin_headers, title="Fox in the snow")["id"]
    url = f"/api/v1/images/{image_id}/listing/draft"
    response = client.post(url, headers=admin_headers, json={})
    assert response.status_code == 200
    assert response.get_json()["title"] == "Fox Snow"
    assert client.post(url, headers=admin_headers).status_code == 400


@pytest.mark.parametrize(
    ("body", "status"),
    [({"template_id": 5}, 400), ({"template_id": "tpl_missing"}, 404), ({"other": 1}, 400)],
)
def test_bad_drafts_are_4xx(client, admin_headers, body, status):
    image_id = upload(client, admin_headers)["id"]
    url = f"/api/v1/images/{image_id}/listing/draft"
    assert client.post(url, headers=admin_headers, json=body).status_code == status
    missing = client.post(
        "/api/v1/images/img_missing/listing/draft", headers=admin_headers, json={}
    )
    assert missing.status_code == 404


def test_drafting_needs_the_review_scope(client, make_key):
    image_id = upload(client, {"X-API-Key": make_key()})["id"]
    reader = {"X-API-Key": make_key(scopes=["read"])}
    refused = client.post(f"/api/v1/images/{image_id}/listing/draft", headers=reader)
    assert refused.status_code == 403
