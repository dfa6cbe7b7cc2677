"""POST /api/v2/images/{id}/upscale: the v1 operation with v2's errors and links."""

from __future__ import annotations

from tests.api.v2.conftest import upload, with_key


def test_upscale_queues_a_job_whose_child_image_links_into_v2(client, admin_headers):
    source = upload(client, admin_headers)
    response = client.post(
        f"/api/v2/images/{source['id']}/upscale", json={"factor": 2}, headers=admin_headers
    )
    assert response.status_code == 202
    accepted = response.get_json()
    assert accepted["status_url"].endswith(f"/api/v2/jobs/{accepted['job_id']}")
    job = client.get(f"/api/v2/jobs/{accepted['job_id']}", headers=admin_headers).get_json()
    child = client.get(f"/api/v2/images/{job['image_ids'][0]}", headers=admin_headers).get_json()
    assert child["parent_id"] == source["id"]
    assert (child["width"], child["height"]) == (source["width"] * 2, source["height"] * 2)
    assert "/api/v2/images/" in child["urls"]["original"]


def test_factor_3_is_a_problem_naming_factor(client, admin_headers):
    source = upload(client, admin_headers)
    response = client.post(
        f"/api/v2/images/{source['id']}/upscale", json={"factor": 3}, headers=admin_headers
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert problem["errors"] == [{"field": "factor", "message": "must be one of: 2, 4"}]


def test_an_unknown_image_is_a_404_problem(client, admin_headers):
    response = client.post(
        "/api/v2/images/img_nope/upscale", json={"factor": 4}, headers=admin_headers
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "NOT_FOUND"


def test_a_replayed_key_returns_the_first_job_and_queues_no_other(client, admin_headers):
    source = upload(client, admin_headers)
    headers = with_key(admin_headers)
    url = f"/api/v2/images/{source['id']}/upscale"
    first = client.post(url, json={"factor": 4}, headers=headers)
    again = client.post(url, json={"factor": 4}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    jobs = client.get("/api/v2/jobs", headers=admin_headers).get_json()["items"]
    assert [job["job_id"] for job in jobs] == [first.get_json()["job_id"]]
