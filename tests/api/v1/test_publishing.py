"""Publishing through API v1: templates, catalog, publications, products, batch publish.

`client` is the app without a Printify token (every publication a dry run); `live_client` talks to
the Printify emulator, and its queue runs inline, so a publication has gone as far as it can when
the call returns. Retries that fall due later are run by calling the worker's sweep.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway.app.events.models import OutboxEvent
from gateway.app.extensions import db
from gateway.app.publishing import publication_files, runner
from tests.conftest import TEE_TEMPLATE, upload_approved, upload_design
from tests.emulators.process import EmulatorProcess

OFFLINE_TEMPLATE = {**TEE_TEMPLATE, "placeholder": {"width": 900, "height": 1080}}
FINAL = {"published", "failed", "dry_run", "unpublished"}


def stats(emulator: EmulatorProcess) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def products(emulator: EmulatorProcess) -> list[dict]:
    return requests.get(f"{emulator.url}/_emulator/products", timeout=5).json()


def create_template(client: FlaskClient, headers: dict, body: dict) -> dict:
    response = client.post("/api/v1/templates", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def publication(client: FlaskClient, headers: dict, publication_id: str) -> dict:
    response = client.get(f"/api/v1/publications/{publication_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def settle(app: Flask, client: FlaskClient, headers: dict, publication_id: str) -> dict:
    """Run the worker's sweep until the publication is final (retries are due within ~0.1 s)."""
    context = app.extensions["publishing"]
    for _ in range(200):
        found = publication(client, headers, publication_id)
        if found["status"] in FINAL:
            return found
        time.sleep(0.02)
        with app.app_context():
            runner.sweep(context)
    raise AssertionError(f"publication did not finish: {found}")


def ask_to_publish(
    client: FlaskClient, headers: dict, image_id: str, **body: object
) -> TestResponse:
    """Send one publish request as given; the answer, whatever its status."""
    return client.post(f"/api/v1/images/{image_id}/publish", headers=headers, json=body)


def publish(client: FlaskClient, headers: dict, image_id: str, **body: object) -> dict:
    """Ask for one publication that must be accepted; the 202 body."""
    response = ask_to_publish(client, headers, image_id, **body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


# -- templates offline (no Printify token) -----------------------------------------------------


def test_offline_template_needs_the_print_area_size(client, admin_headers):
    response = client.post("/api/v1/templates", headers=admin_headers, json=TEE_TEMPLATE)
    assert response.status_code == 400
    assert "placeholder" in response.get_json()["details"]["fields"]


def test_offline_template_is_saved_unchecked(client, admin_headers):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    assert template["catalog_checked"] is False
    assert template["placeholder"] == {"width": 900, "height": 1080}
    listed = client.get("/api/v1/templates", headers=admin_headers).get_json()["items"]
    assert [item["id"] for item in listed] == [template["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variants": [{"id": 1, "price": "25.00"}]}, "variants.0.price"),
        ({"variants": [{"id": 1, "price": -1}]}, "variants.0.price"),
        ({"variants": []}, "variants"),
        ({"placement": {"scale": 0}}, "placement.scale"),
        ({"placement": {"x": "left"}}, "placement.x"),
        ({"title_template": "{title} {secret.__class__}"}, "title_template"),
        ({"name": "<script>x</script>"}, "name"),
        ({"blueprint_id": "6"}, "blueprint_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_template_fields_are_refused_by_name(client, admin_headers, change, field):
    response = client.post(
        "/api/v1/templates", headers=admin_headers, json={**OFFLINE_TEMPLATE, **change}
    )
    assert response.status_code == 400
    assert field in response.get_json()["details"]["fields"]
    assert client.get("/api/v1/templates", headers=admin_headers).get_json()["items"] == []


def test_duplicate_variant_is_refused(client, admin_headers):
    body = {**OFFLINE_TEMPLATE, "variants": [{"id": 7, "price": 1}, {"id": 7, "price": 2}]}
    assert client.post("/api/v1/templates", headers=admin_headers, json=body).status_code == 400


def test_template_names_are_unique(client, admin_headers):
    create_template(client, admin_headers, OFFLINE_TEMPLATE)
    again = client.post("/api/v1/templates", headers=admin_headers, json=OFFLINE_TEMPLATE)
    assert again.status_code == 409
    assert again.get_json()["code"] == "CONFLICT"


def test_changing_templates_needs_the_admin_scope(client, reviewer_headers, admin_headers):
    refused = client.post("/api/v1/templates", headers=reviewer_headers, json=OFFLINE_TEMPLATE)
    assert refused.status_code == 403
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    readable = client.get(f"/api/v1/templates/{template['id']}", headers=reviewer_headers)
    assert readable.status_code == 200


def test_template_update_changes_only_the_given_fields(client, admin_headers):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    response = client.put(
        f"/api/v1/templates/{template['id']}",
        headers=admin_headers,
        json={"tags": ["Summer"], "placement": {"scale": 0.5}},
    )
    assert response.status_code == 200, response.get_json()
    updated = response.get_json()
    assert updated["tags"] == ["summer"]
    assert updated["placement"]["scale"] == 0.5
    assert updated["variants"] == template["variants"]
    assert updated["placeholder"] == template["placeholder"]


def test_deleted_template_is_gone(client, admin_headers):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    path = f"/api/v1/templates/{template['id']}"
    assert client.delete(path, headers=admin_headers).status_code == 204
    assert client.get(path, headers=admin_headers).status_code == 404
    assert client.delete(path, headers=admin_headers).status_code == 404


def test_catalog_offline_answers_service_unavailable(client, admin_headers):
    response = client.get("/api/v1/catalog/blueprints", headers=admin_headers)
    assert response.status_code == 503
    assert "PRINTIFY_API_TOKEN" in response.get_json()["error"]


# -- publishing offline: every publication is a dry run ----------------------------------------


def test_publishing_without_a_token_is_a_dry_run_that_records_the_requests(
    client, admin_headers, make_artwork
):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    image_id = upload_approved(client, admin_headers, make_artwork)
    accepted = publish(client, admin_headers, image_id, template_id=template["id"])
    assert accepted["dry_run"] is True
    found = publication(client, admin_headers, accepted["publication_id"])
    assert found["status"] == "dry_run"
    calls = [(call["method"], call["url"].rsplit("/", 1)[-1]) for call in found["requests"]]
    assert calls == [
        ("POST", "images.json"),
        ("POST", "products.json"),
        ("POST", "publish.json"),
        ("POST", "publishing_succeeded.json"),
    ]
    create = found["requests"][1]["body"]
    assert create["title"] == "Sunset club | Tee"
    assert found["marker"] in create["tags"]
    assert [v["id"] for v in create["variants"]] == [12100, 12103]
    image = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()
    assert image["status"] == "approved"


def test_low_resolution_design_needs_explicit_consent(client, admin_headers, make_artwork):
    template = create_template(
        client, admin_headers, {**TEE_TEMPLATE, "placeholder": {"width": 4500, "height": 5400}}
    )
    image_id = upload_approved(client, admin_headers, make_artwork, size=256)
    refused = ask_to_publish(client, admin_headers, image_id, template_id=template["id"])
    assert refused.status_code == 400
    assert "DPI" in refused.get_json()["error"]
    assert "allow_low_resolution" in refused.get_json()["details"]["fields"]
    accepted = publish(
        client, admin_headers, image_id, template_id=template["id"], allow_low_resolution=True
    )
    assert accepted["readiness"]["below_floor"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"template_id": "tpl_missing"}, 404),
        ({"template_id": None, "dry_run": "yes"}, 400),
        ({"template_id": ["x"]}, 400),
    ],
)
def test_publish_request_errors(client, admin_headers, make_artwork, body, status):
    image_id = upload_approved(client, admin_headers, make_artwork)
    response = ask_to_publish(client, admin_headers, image_id, **body)
    assert response.status_code == status
    assert client.get("/api/v1/publications", headers=admin_headers).get_json()["total"] == 0


def test_only_approved_images_publish(client, admin_headers):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    image_id = upload_design(client, admin_headers, 800)
    response = ask_to_publish(client, admin_headers, image_id, template_id=template["id"])
    assert response.status_code == 409
    assert response.get_json()["code"] == "INVALID_TRANSITION"


def test_publishing_needs_the_publish_scope(client, admin_headers, viewer_headers, make_artwork):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    image_id = upload_approved(client, admin_headers, make_artwork)
    response = ask_to_publish(client, viewer_headers, image_id, template_id=template["id"])
    assert response.status_code == 403


# -- publishing against the Printify emulator --------------------------------------------------


@pytest.fixture
def tee(live_client, live_headers) -> dict:
    return create_template(live_client, live_headers, TEE_TEMPLATE)


def test_template_is_checked_against_the_catalog(tee):
    assert tee["catalog_checked"] is True
    assert tee["blueprint_title"] == "Unisex Jersey Short Sleeve Tee"
    assert tee["placeholder"] == {"width": 4500, "height": 5400}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"variants": [{"id": 999, "price": 100}]}, "variants.0.id", "not offered"),
        ({"print_provider_id": 12345}, "print_provider_id", "does not print"),
        ({"blueprint_id": 424242}, "blueprint_id", "not in the Printify catalog"),
        ({"position": "sleeve"}, "variants.0.id", "no 'sleeve' print area"),
    ],
)
def test_template_outside_the_catalog_is_refused_at_save(
    live_client, live_headers, change, field, words
):
    response = live_client.post(
        "/api/v1/templates", headers=live_headers, json={**TEE_TEMPLATE, **change}
    )
    assert response.status_code == 400
    body = response.get_json()
    assert words in body["details"]["fields"][field]


def test_catalog_is_browsed_through_the_gateway_and_cached(
    live_client, live_headers, printify_emulator
):
    path = "/api/v1/catalog/blueprints/6/print_providers/99/variants"
    first = live_client.get(path, headers=live_headers)
    second = live_client.get(path, headers=live_headers)
    assert first.status_code == second.status_code == 200
    assert 12103 in {variant["id"] for variant in first.get_json()["variants"]}
    assert stats(printify_emulator)["requests"]["catalog_variants"] == 1


def test_catalog_refusing_the_token_is_a_clear_configuration_error(
    live_client, live_headers, printify_emulator
):
    printify_emulator.configure(status_override={"catalog": 401})
    response = live_client.get("/api/v1/catalog/blueprints", headers=live_headers)
    assert response.status_code == 502
    body = response.get_json()
    assert body["details"]["configuration_error"] is True
    assert "PRINTIFY_API_TOKEN" in body["error"]
    assert stats(printify_emulator)["requests"]["catalog_blueprints"] == 1


def test_published_image_becomes_one_unlocked_product_with_mockups(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    found = settle(live_app, live_client, live_headers, accepted["publication_id"])
    assert found["status"] == "published", found
    assert found["mockups"] and found["mockups"][0]["src"].startswith("http")
    [product] = products(printify_emulator)
    assert product["id"] == found["printify_product_id"]
    assert found["marker"] in product["tags"]
    assert product["is_locked"] is False
    assert product["external"]["id"] == found["publication_id"]
    assert product["title"] == "Sunset club | Tee"
    image = live_client.get(f"/api/v1/images/{image_id}", headers=live_headers).get_json()
    assert image["status"] == "published"
    listed = live_client.get("/api/v1/products", headers=live_headers).get_json()
    assert [item["printify_product_id"] for item in listed["items"]] == [product["id"]]
    with live_app.app_context():
        events = [row.event_type for row in db.session.query(OutboxEvent).all()]
    assert "product.published" in events


def test_lost_create_response_is_reconciled_into_one_product(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    printify_emulator.configure(faults={"create_product": {"lost_responses": 1}})
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    found = settle(live_app, live_client, live_headers, accepted["publication_id"])
    assert found["status"] == "published"
    assert found["reconciliations"] >= 1
    assert len(products(printify_emulator)) == 1
    assert stats(printify_emulator)["requests"]["create_product"] == 1


def test_lost_upload_and_publish_responses_are_reconciled(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    printify_emulator.configure(
        faults={"upload": {"lost_responses": 1}, "publish": {"lost_responses": 1}}
    )
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    found = settle(live_app, live_client, live_headers, accepted["publication_id"])
    assert found["status"] == "published"
    counts = stats(printify_emulator)
    assert counts["requests"]["upload"] == 1
    assert counts["requests"]["publish"] == 1
    assert counts["locked_products"] == 0


def test_a_refused_token_fails_at_once_without_retrying(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    printify_emulator.configure(status_override={"upload": 401})
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    found = publication(live_client, live_headers, accepted["publication_id"])
    assert found["status"] == "failed"
    assert found["error"]["code"] == "CONFIGURATION_ERROR"
    assert "PRINTIFY_API_TOKEN" in found["error"]["message"]
    assert stats(printify_emulator)["requests"]["upload"] == 1
    image = live_client.get(f"/api/v1/images/{image_id}", headers=live_headers).get_json()
    assert image["status"] == "publish_failed"


def test_a_failure_after_publish_unlocks_the_product(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    printify_emulator.configure(status_override={"publishing_succeeded": 400})
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    found = settle(live_app, live_client, live_headers, accepted["publication_id"])
    assert found["status"] == "failed"
    [product] = products(printify_emulator)
    assert product["is_locked"] is False


def test_retry_resumes_a_failed_publication_without_a_second_product(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    printify_emulator.configure(status_override={"publish": 403})
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    failed = publication(live_client, live_headers, accepted["publication_id"])
    assert failed["status"] == "failed"
    printify_emulator.configure(status_override={})
    retried = live_client.post(
        f"/api/v1/publications/{accepted['publication_id']}/retry", headers=live_headers
    )
    assert retried.status_code == 202
    found = settle(live_app, live_client, live_headers, accepted["publication_id"])
    assert found["status"] == "published"
    assert len(products(printify_emulator)) == 1
    again = live_client.post(
        f"/api/v1/publications/{accepted['publication_id']}/retry", headers=live_headers
    )
    assert again.status_code == 409


def test_unpublish_takes_the_product_down_and_reopens_the_image(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    settle(live_app, live_client, live_headers, accepted["publication_id"])
    response = live_client.post(
        f"/api/v1/publications/{accepted['publication_id']}/unpublish", headers=live_headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "unpublished"
    assert products(printify_emulator) == []
    image = live_client.get(f"/api/v1/images/{image_id}", headers=live_headers).get_json()
    assert image["status"] == "approved"


def test_batch_publish_reports_each_image_and_skips_on_replay(
    live_app, live_client, live_headers, tee, printify_emulator, make_artwork
):
    ready = [
        upload_approved(live_client, live_headers, make_artwork, seed=seed) for seed in (1, 2, 3)
    ]
    body = {
        "image_ids": [*ready, "img_missing"],
        "template_id": tee["id"],
        "allow_low_resolution": True,
    }
    response = live_client.post("/api/v1/batch/publish", headers=live_headers, json=body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["successful"] == ready
    assert result["failed"][0]["error"]["code"] == "NOT_FOUND"
    for item in result["publications"]:
        settle(live_app, live_client, live_headers, item["publication_id"])
    assert len(products(printify_emulator)) == 3
    replay = live_client.post("/api/v1/batch/publish", headers=live_headers, json=body)
    assert replay.get_json()["skipped"] == ready
    assert len(products(printify_emulator)) == 3


def test_dry_run_against_a_configured_printify_sends_nothing(
    live_client, live_headers, tee, printify_emulator, make_artwork
):
    image_id = upload_approved(live_client, live_headers, make_artwork)
    before = stats(printify_emulator)["total"]
    accepted = publish(
        live_client,
        live_headers,
        image_id,
        template_id=tee["id"],
        dry_run=True,
        allow_low_resolution=True,
    )
    found = publication(live_client, live_headers, accepted["publication_id"])
    assert found["status"] == "dry_run"
    assert found["requests"][0]["url"].startswith(printify_emulator.url)
    assert stats(printify_emulator)["total"] == before


def test_print_file_url_needs_its_signed_token(
    live_app, live_client, live_headers, tee, make_artwork
):
    image_id = upload_approved(live_client, live_headers, make_artwork)
    accepted = publish(
        live_client, live_headers, image_id, template_id=tee["id"], allow_low_resolution=True
    )
    publication_id = accepted["publication_id"]
    token = publication_files.print_file_token(live_app.extensions["publishing"], publication_id)
    path = f"/api/v1/publications/{publication_id}/print-file"
    good = live_client.get(f"{path}?token={token}")
    assert good.status_code == 200
    assert good.data.startswith(b"\x89PNG")
    assert live_client.get(f"{path}?token=forged").status_code == 404
    other = publication_files.print_file_token(live_app.extensions["publishing"], "pub_other")
    assert live_client.get(f"{path}?token={other}").status_code == 404


def test_publication_list_filters_by_status(
    client: FlaskClient, admin_headers: dict, make_artwork: Callable[..., bytes]
):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    image_id = upload_approved(client, admin_headers, make_artwork)
    publish(client, admin_headers, image_id, template_id=template["id"])
    page = client.get("/api/v1/publications?status=dry_run", headers=admin_headers).get_json()
    assert page["total"] == 1
    none = client.get("/api/v1/publications?status=published", headers=admin_headers).get_json()
    assert none["total"] == 0
    bad = client.get("/api/v1/publications?status=bogus", headers=admin_headers)
    assert bad.status_code == 400


def test_catalog_refresh_forgets_the_cache(live_client, live_headers, printify_emulator):
    path = "/api/v1/catalog/blueprints"
    assert live_client.get(path, headers=live_headers).status_code == 200
    refreshed = live_client.post("/api/v1/catalog/refresh", headers=live_headers)
    assert refreshed.status_code == 200
    assert refreshed.get_json()["dropped"] >= 1
    assert live_client.get(path, headers=live_headers).status_code == 200
    assert stats(printify_emulator)["requests"]["catalog_blueprints"] == 2


def test_deleting_an_image_also_removes_its_publications_print_files(
    app, client, admin_headers, make_artwork
):
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    image_id = upload_approved(client, admin_headers, make_artwork)
    accepted = publish(client, admin_headers, image_id, template_id=template["id"])
    storage = app.extensions["publishing"].storage
    print_key = f"publications/{accepted['publication_id']}.png"
    assert storage.get(print_key).startswith(b"\x89PNG")
    deleted = client.delete(f"/api/v1/images/{image_id}", headers=admin_headers)
    assert deleted.status_code == 204, deleted.get_json()
    assert not storage.exists(print_key)
    gone = client.get(f"/api/v1/publications/{accepted['publication_id']}", headers=admin_headers)
    assert gone.status_code == 404
