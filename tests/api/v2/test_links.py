"""Links in a v2 answer point into v2; v1 answers keep linking into v1 until its sunset."""

from __future__ import annotations

from tests.api.v2.conftest import upload, with_key


def test_v2_image_answers_link_their_files_into_v2(client, admin_headers):
    image = upload(client, admin_headers)
    fetched = client.get(f"/api/v2/images/{image['id']}", headers=admin_headers).get_json()
    listed = client.get("/api/v2/images", headers=admin_headers).get_json()["items"][0]
    for body in (image, fetched, listed):
        assert set(body["urls"]) == {"original", "print", "thumbnail"}
        for url in body["urls"].values():
            assert url.startswith("http://gateway.test/api/v2/images/"), url
    followed = client.get(fetched["urls"]["thumbnail"].removeprefix("http://gateway.test"))
    assert followed.status_code == 401  # a real v2 route: it asks for a key, not a 404


def test_v2_job_and_publication_links_point_into_v2(client, admin_headers):
    accepted = client.post(
        "/api/v2/generate", headers=with_key(admin_headers), json={"prompt": "a fox"}
    ).get_json()
    assert accepted["status_url"] == f"http://gateway.test/api/v2/jobs/{accepted['job_id']}"


def test_v1_answers_still_link_into_v1(client, admin_headers):
    image = upload(client, admin_headers)
    fetched = client.get(f"/api/v1/images/{image['id']}", headers=admin_headers).get_json()
    assert fetched["urls"]["original"].startswith("http://gateway.test/api/v1/images/")
