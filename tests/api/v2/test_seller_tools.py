"""Seller's tools through v2: `risk` and the `risk=ip` cursor list, IP_RISK as problem+json, and
the listing draft with v2's own links and errors."""

from __future__ import annotations

from tests.api.v1.test_ip_risk import OFFLINE_TEMPLATE, upload
from tests.api.v2.conftest import with_key


def test_ip_risk_is_a_problem_and_the_cursor_list_filters_it(client, admin_headers):
    flagged = upload(client, admin_headers, title="Snoopy on the roof", seed=1)["id"]
    upload(client, admin_headers, title="Dog on the roof", seed=2)
    page = client.get("/api/v2/images?risk=ip&limit=1", headers=admin_headers).get_json()
    assert [item["id"] for item in page["items"]] == [flagged]
    assert page["next_cursor"] is None
    template = client.post("/api/v2/templates", headers=admin_headers, json=OFFLINE_TEMPLATE)
    template_id = template.get_json()["id"]
    client.post(f"/api/v2/images/{flagged}/approve", headers=admin_headers, json={})
    body = {"template_id": template_id, "allow_low_resolution": True}
    refused = client.post(f"/api/v2/images/{flagged}/publish", headers=admin_headers, json=body)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    problem = refused.get_json()
    assert (problem["code"], problem["status"]) == ("IP_RISK", 409)
    assert "snoopy" in problem["detail"]
    batch = client.post(
        "/api/v2/batch/publish",
        headers=with_key(admin_headers),
        json={"image_ids": [flagged], **body, "acknowledge_risk": True, "note": "licensed"},
    )
    assert batch.status_code == 200
    assert batch.get_json()["successful"] == [flagged]


def test_a_v2_draft_and_its_errors(client, admin_headers):
    image_id = upload(client, admin_headers, title="Koi pond at dusk")["id"]
    url = f"/api/v2/images/{image_id}/listing/draft"
    drafted = client.post(url, headers=admin_headers, json={})
    assert drafted.status_code == 200
    assert drafted.get_json()["tags"][:3] == ["koi", "pond", "dusk"]
    refused = client.post(url, headers=admin_headers, json={"template_id": ["x"]})
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
