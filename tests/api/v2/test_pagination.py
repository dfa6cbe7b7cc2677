"""v2 lists page by cursor: `?limit=&cursor=` → `{items, next_cursor}`, newest first, no gaps."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from gateway.app.webhooks import delivery
from tests.api.v2.conftest import upload, walk, with_key
from tests.conftest import TEE_TEMPLATE, artwork, upload_approved
from tests.webhooks.helpers import emit, subscribe

OFFLINE_TEMPLATE = {**TEE_TEMPLATE, "placeholder": {"width": 900, "height": 1080}}


def test_images_are_walked_newest_first_without_gaps_or_repeats(client, admin_headers):
    ids = [upload(client, admin_headers, seed=seed)["id"] for seed in range(7)]
    pages = walk(client, "/api/v2/images", admin_headers, 3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [image["id"] for page in pages for image in page] == list(reversed(ids))


def test_filters_apply_across_pages(client, admin_headers):
    ids = [upload(client, admin_headers, seed=seed)["id"] for seed in range(5)]
    for image_id in ids[:3]:
        client.post(f"/api/v2/images/{image_id}/approve", headers=admin_headers, json={})
    pages = walk(client, "/api/v2/images", admin_headers, 2, status="approved")
    assert [image["id"] for page in pages for image in page] == list(reversed(ids[:3]))


def test_a_page_does_not_shift_when_newer_rows_arrive(client, admin_headers):
    ids = [upload(client, admin_headers, seed=seed)["id"] for seed in range(4)]
    first = client.get("/api/v2/images?limit=2", headers=admin_headers).get_json()
    upload(client, admin_headers, seed=99)  # arrives at the head, not in the next page
    second = client.get(
        "/api/v2/images", headers=admin_headers, query_string={"cursor": first["next_cursor"]}
    ).get_json()
    assert [image["id"] for image in second["items"]] == [ids[1], ids[0]]
    assert second["next_cursor"] is None


def test_a_page_holds_the_summaries_the_single_image_answers_hold(client, admin_headers):
    """A page reads plain rows and writes their JSON columns' text unparsed; its answer still
    holds each image as `GET /images/{id}` shows it, field for field and in the same order."""
    ids = [upload(client, admin_headers, seed=seed)["id"] for seed in range(2)]
    response = client.get("/api/v2/images", headers=admin_headers)
    items = []
    for image_id in reversed(ids):
        image = client.get(f"/api/v2/images/{image_id}", headers=admin_headers).get_json()
        items.append({k: v for k, v in image.items() if k not in {"duplicates", "history"}})
    page = json.loads(response.data)
    assert page == {"items": items, "next_cursor": None}
    assert [list(item) for item in page["items"]] == [list(item) for item in items]


def test_an_empty_list_is_one_empty_page(client, admin_headers):
    body = client.get("/api/v2/images", headers=admin_headers).get_json()
    assert body == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "MjAyNi0xMi0wMXxpbWdfMQ"}, "cursor"),  # naive timestamp: not ours
        ({"cursor": "x" * 500}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"page": 2}, "page"),
    ],
)
def test_bad_paging_parameters_are_named_in_the_problem(client, admin_headers, query, field):
    response = client.get("/api/v2/images", headers=admin_headers, query_string=query)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.get_json()["errors"]] == [field]


def test_jobs_are_walked_by_cursor(client, admin_headers):
    job_ids = []
    for n in range(5):
        response = client.post(
            "/api/v2/generate", headers=with_key(admin_headers), json={"prompt": f"badge {n}"}
        )
        assert response.status_code == 202, response.get_json()
        job_ids.append(response.get_json()["job_id"])
    pages = walk(client, "/api/v2/jobs", admin_headers, 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert {job["job_id"] for page in pages for job in page} == set(job_ids)
    walked = [job["created_at"] for page in pages for job in page]
    assert walked == sorted(walked, reverse=True)


def publish_three(client: FlaskClient, headers: dict[str, str], template: dict) -> list[str]:
    """Three approved designs published through v2 with `template`; their publication ids."""
    created = client.post("/api/v2/templates", headers=headers, json=template)
    assert created.status_code == 201, created.get_json()
    publication_ids = []
    for seed in range(3):
        image_id = upload_approved(client, headers, artwork, seed=seed)
        response = client.post(
            f"/api/v2/images/{image_id}/publish",
            headers=headers,
            json={"template_id": created.get_json()["id"], "allow_low_resolution": True},
        )
        assert response.status_code == 202, response.get_json()
        assert "/api/v2/publications/" in response.get_json()["status_url"]
        publication_ids.append(response.get_json()["publication_id"])
    return publication_ids


def test_publications_are_walked_by_cursor(client, admin_headers):
    publication_ids = publish_three(client, admin_headers, OFFLINE_TEMPLATE)
    pages = walk(client, "/api/v2/publications", admin_headers, 2)
    walked = [item["publication_id"] for page in pages for item in page]
    assert walked == list(reversed(publication_ids))
    assert all(item["status"] == "dry_run" for page in pages for item in page)


def test_products_are_walked_by_cursor(live_client, live_headers, printify_emulator):
    published = publish_three(live_client, live_headers, TEE_TEMPLATE)
    pages = walk(live_client, "/api/v2/products", live_headers, 2)
    products = [item for page in pages for item in page]
    assert [item["publication_id"] for item in products] == list(reversed(published))
    assert all(item["printify_product_id"] for item in products)


def test_webhook_deliveries_are_walked_by_cursor(app, client, admin_headers, webhooks, receiver):
    created = subscribe(client, admin_headers, receiver.url)
    event_ids = [emit(app, "image.approved", {"n": n}) for n in range(5)]
    delivery.sweep(webhooks)
    url = f"/api/v2/webhooks/{created['id']}/deliveries"
    pages = walk(client, url, admin_headers, 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    walked = [item for page in pages for item in page]
    assert [item["event_id"] for item in walked] == list(reversed(event_ids))
    assert {item["status"] for item in walked} == {"succeeded"}
    delivered = [item["event_id"] for item in walked]
    (filtered,) = walk(client, url, admin_headers, 10, status="succeeded")
    assert [item["event_id"] for item in filtered] == delivered


def test_templates_are_walked_newest_first_by_cursor(client, admin_headers):
    names = [f"Tee {n}" for n in range(3)]
    for name in names:
        created = client.post(
            "/api/v2/templates", headers=admin_headers, json={**OFFLINE_TEMPLATE, "name": name}
        )
        assert created.status_code == 201, created.get_json()
    pages = walk(client, "/api/v2/templates", admin_headers, 2)
    assert [item["name"] for page in pages for item in page] == list(reversed(names))


def test_webhook_subscriptions_are_walked_by_cursor(client, admin_headers, webhooks, receiver):
    created = [subscribe(client, admin_headers, f"{receiver.url}/{n}")["id"] for n in range(3)]
    pages = walk(client, "/api/v2/webhooks", admin_headers, 2)
    assert [len(page) for page in pages] == [2, 1]
    assert [item["id"] for page in pages for item in page] == list(reversed(created))
    assert all("secret" not in item for page in pages for item in page)
