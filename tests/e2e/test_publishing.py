"""Publishing over real HTTP: gateway + worker processes against the Printify emulator.

The module's gateway talks to the emulator with a good token and sends print files inline
(`auto` on a loopback base URL); two more start on demand: one uploading by URL, one with no
Printify token (dry runs only). The emulator's state and knobs are reset before every test, so
its counters are each test's own. Templates come from the catalog as the gateway shows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import emulator_products, emulator_stats
from tests.e2e import webhooks
from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.e2e.publishing import (
    STICKERS,
    WRITE_ROUTES,
    approved_images,
    assert_published_exactly_once,
    batch_publish,
    browse_catalog,
    create_template,
    printify_env,
    publication,
    publish,
    sticker_template,
    template_body,
    wait_final,
)
from tests.e2e.webhooks import Hooks, metric_total
from tests.emulators.printify import CATALOG, SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e
ORDER = ["queued", "uploading", "creating", "publishing", "published"]
PRINTIFY_SECRET = "printify-webhook-secret-for-e2e"


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory, printify_emulator: EmulatorProcess) -> Gateway:
    env = printify_env(
        printify_emulator,
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        PRINTIFY_WEBHOOK_SECRET=PRINTIFY_SECRET,
    )
    return module_gateways(env, workers=2)


@pytest.fixture(scope="module")
def template(gateway: Gateway) -> dict:
    return sticker_template(gateway)


@pytest.fixture(scope="module")
def designs(gateway: Gateway) -> Iterator[str]:
    """Approved designs for the tests that publish one at a time."""
    return iter(approved_images(gateway, 10, seed=1000))


@pytest.fixture(autouse=True)
def emulator(printify_emulator: EmulatorProcess) -> EmulatorProcess:
    """The emulator with default knobs and no products, uploads or counters from other tests."""
    printify_emulator.configure(reset=True)
    return printify_emulator


def image(gateway: Gateway, image_id: str) -> dict:
    response = gateway.get(f"/api/v1/images/{image_id}")
    assert response.status_code == 200, response.text
    return response.json()


def products(gateway: Gateway) -> dict[str, dict]:
    """The gateway's published products, by publication id."""
    response = gateway.get("/api/v1/products", params={"limit": 200})
    assert response.status_code == 200, response.text
    return {item["publication_id"]: item for item in response.json()["items"]}


def writes(emulator: EmulatorProcess) -> dict[str, int]:
    requested = emulator_stats(emulator)["requests"]
    return {route: requested[route] for route in WRITE_ROUTES if requested.get(route)}


def test_template_made_from_the_catalog_browsed_through_the_gateway_keeps_its_print_area(
    gateway, emulator
):
    catalog = browse_catalog(gateway, STICKERS)
    offered = CATALOG[400]["providers"][99]
    assert catalog["blueprint"]["id"] == 400
    assert catalog["provider"] == {"id": 99, "title": "Printify Choice"}
    assert [v["id"] for v in catalog["variants"]] == [v["id"] for v in offered]  # out of stock too

    template = create_template(gateway, template_body(catalog, "Sticker, browsed"))

    assert template["blueprint_title"] == STICKERS
    assert template["print_provider_title"] == "Printify Choice"
    assert template["variants"] == [{"id": 40000, "price": 400}, {"id": 40001, "price": 400}]
    assert template["placeholder"] == {"width": 1200, "height": 1200}  # the largest variant's
    assert template["catalog_checked"] is True
    listed = gateway.get("/api/v1/templates").json()["items"]
    assert template["id"] in {item["id"] for item in listed}
    assert writes(emulator) == {}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"variants": [{"id": 40000, "price": 400}, {"id": 12100, "price": 400}]},
            "variants.1.id",
            "variant 12100 is not offered by provider 99 for blueprint 400",
        ),
        (
            {"position": "back"},
            "variants.0.id",
            "variant 40000 has no 'back' print area (it has front)",
        ),
    ],
    ids=["variant-not-in-catalog", "position-not-a-placeholder"],
)
def test_template_outside_the_catalog_is_refused_at_save_time_with_the_reason(
    gateway, emulator, change, field, reason
):
    body = template_body(browse_catalog(gateway, STICKERS), f"Refused {field}", **change)

    response = gateway.post("/api/v1/templates", json=body)

    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"][field] == reason
    assert reason in error["error"]
    listed = gateway.get("/api/v1/templates").json()["items"]
    assert body["name"] not in {item["name"] for item in listed}
    assert writes(emulator) == {}


def test_one_image_walks_to_published_as_one_unlocked_product_carrying_its_marker(
    gateway, template, designs, emulator, receiver, request
):
    image_id = next(designs)
    before = metric_total(gateway, "pod_products_published_total", platform="printify")
    emulator.configure(faults={"any": {"latency": 0.3}})  # slow enough to watch every step
    with Hooks(gateway, receiver, request.node.name) as hooks:
        sub = hooks.subscribe("/products", ["product.published"])
        accepted = publish(gateway, image_id, template["id"])
        assert accepted["status"] == "queued" and accepted["dry_run"] is False
        assert accepted["status_url"].endswith(f"/api/v1/publications/{accepted['publication_id']}")
        seen: list[str] = []

        def finished() -> dict | None:
            item = publication(gateway, accepted["publication_id"])
            if not seen or seen[-1] != item["status"]:
                seen.append(item["status"])
            return item if item["status"] in {"published", "failed"} else None

        item = wait_for(finished, timeout=60, interval=0.05, what="the publication to end")
        records = wait_for(
            lambda: [r for r in hooks.received(sub) if webhooks.accepted(r)],
            timeout=30,
            what="the product.published webhook",
        )

    assert item["status"] == "published", item
    assert seen == sorted(seen, key=ORDER.index), seen
    assert {"uploading", "creating", "publishing"} <= set(seen), seen
    assert item["attempts"] == 1 and item["error"] is None
    [product] = emulator_products(emulator)
    assert item["printify_product_id"] == product["id"]
    assert item["marker"] in product["tags"] and "sticker" in product["tags"]
    assert product["is_locked"] is False and product["visible"] is True
    assert product["external"]["id"] == item["publication_id"]
    assert product["external"]["handle"].endswith(f"/review/images/{image_id}")
    assert product["title"].endswith(" | Sticker")
    enabled = {v["id"] for v in product["variants"] if v["is_enabled"]}
    assert enabled == {40000, 40001}
    [placed] = product["print_areas"][0]["placeholders"][0]["images"]
    assert (placed["width"], placed["height"]) == (1200, 1200)  # the rendered print file
    assert item["mockups"] and item["mockups"][0]["src"] == product["images"][0]["src"]
    assert requests.get(item["mockups"][0]["src"], timeout=5).status_code == 200
    assert image(gateway, image_id)["status"] == "published"
    assert products(gateway)[item["publication_id"]]["printify_product_id"] == product["id"]
    wait_for(  # counted by the worker just after it commits the final status
        lambda: (
            metric_total(gateway, "pod_products_published_total", platform="printify") == before + 1
        ),
        timeout=10,
        what="pod_products_published_total to count the product",
    )
    body = webhooks.body_of(records[0])
    assert body["event_type"] == "product.published"
    assert body["data"]["publication_id"] == item["publication_id"]
    assert body["data"]["printify_product_id"] == product["id"]


def test_batch_of_fifty_is_published_exactly_once(gateway, template, emulator):
    image_ids = approved_images(gateway, 50, seed=2000)

    publication_ids = batch_publish(gateway, image_ids, template["id"])
    items = wait_final(gateway, publication_ids, timeout=180)

    assert_published_exactly_once(emulator, items)
    assert {item["image_id"] for item in items} == set(image_ids)
    listed = products(gateway)
    assert set(publication_ids) <= set(listed)
    published = gateway.get("/api/v1/images", params={"status": "published", "limit": 200})
    assert set(image_ids) <= {item["id"] for item in published.json()["items"]}
    stats = emulator_stats(emulator)
    assert stats["rate_limited"] == 0
    assert {route: stats["requests"][route] for route in ("upload", "create_product")} == {
        "upload": 50,
        "create_product": 50,
    }


def test_refused_token_fails_with_a_configuration_error_and_nothing_is_retried(
    gateway, template, designs, emulator
):
    image_id = next(designs)
    emulator.args = ["--token", "rotated-token"]  # the gateway's token is no longer accepted
    emulator.restart()
    try:
        accepted = publish(gateway, image_id, template["id"])
        [item] = wait_final(gateway, [accepted["publication_id"]], timeout=60)
        stats = emulator_stats(emulator)
    finally:
        emulator.args = []
        emulator.restart()

    assert item["status"] == "failed"
    assert item["error"]["code"] == "CONFIGURATION_ERROR"
    assert "401" in item["error"]["message"]
    assert "PRINTIFY_API_TOKEN" in item["error"]["message"]
    assert item["attempts"] == 1
    assert stats["requests"] == {"upload": 1}
    assert stats["products"] == 0
    assert image(gateway, image_id)["status"] == "publish_failed"


def _expected_requests(emulator: EmulatorProcess, product_id: str) -> list[tuple[str, str]]:
    shop = f"{emulator.url}/v1/shops/{SHOP_ID}"
    return [
        ("POST", f"{emulator.url}/v1/uploads/images.json"),
        ("POST", f"{shop}/products.json"),
        ("POST", f"{shop}/products/{product_id}/publish.json"),
        ("POST", f"{shop}/products/{product_id}/publishing_succeeded.json"),
    ]


def test_dry_run_lists_the_calls_it_would_send_and_sends_nothing(
    gateway, template, designs, emulator
):
    image_id = next(designs)

    accepted = publish(gateway, image_id, template["id"], dry_run=True)
    [item] = wait_final(gateway, [accepted["publication_id"]], timeout=60)

    assert accepted["dry_run"] is True
    assert item["status"] == "dry_run" and item["dry_run"] is True
    sent = [(call["method"], call["url"]) for call in item["requests"]]
    assert sent == _expected_requests(emulator, item["printify_product_id"])
    created = item["requests"][1]["body"]
    assert created["blueprint_id"] == 400 and item["marker"] in created["tags"]
    assert "<base64" in item["requests"][0]["body"]["contents"]
    assert writes(emulator) == {}
    assert emulator_stats(emulator)["products"] == 0
    assert image(gateway, image_id)["status"] == "approved"
    assert item["publication_id"] not in products(gateway)


def test_without_a_printify_token_every_publication_is_a_dry_run(module_gateways, emulator):
    env = printify_env(emulator)
    del env["PRINTIFY_API_TOKEN"]
    offline = module_gateways(env, web_workers=1)
    body = template_body(
        {
            "blueprint": {"id": 400},
            "provider": {"id": 99},
            "variants": CATALOG[400]["providers"][99],
        },
        "Sticker, offline",
        placeholder={"width": 900, "height": 900},
    )
    template = create_template(offline, body)
    [image_id] = approved_images(offline, 1, seed=3000)

    accepted = publish(offline, image_id, template["id"])
    [item] = wait_final(offline, [accepted["publication_id"]], timeout=60)

    assert template["catalog_checked"] is False
    browsed = offline.get("/api/v1/catalog/blueprints")
    assert browsed.status_code == 503, browsed.text
    assert "PRINTIFY_API_TOKEN is not set" in browsed.json()["error"]
    assert accepted["dry_run"] is True
    assert item["status"] == "dry_run"
    sent = [(call["method"], call["url"]) for call in item["requests"]]
    assert sent == _expected_requests(emulator, item["printify_product_id"])
    assert emulator_stats(emulator)["requests"] == {}
    assert image(offline, image_id)["status"] == "approved"


def test_upload_by_url_lets_printify_fetch_the_signed_print_file(module_gateways, emulator):
    by_url = module_gateways(printify_env(emulator, PRINTIFY_UPLOAD_MODE="url"), web_workers=1)
    template = sticker_template(by_url, "Sticker, by URL")
    [image_id] = approved_images(by_url, 1, seed=4000)

    accepted = publish(by_url, image_id, template["id"])
    [item] = wait_final(by_url, [accepted["publication_id"]], timeout=60)

    assert_published_exactly_once(emulator, [item])
    [product] = emulator_products(emulator)
    [placed] = product["print_areas"][0]["placeholders"][0]["images"]
    # The emulator fetched the file from the gateway (a URL it could not fetch would be refused,
    # and one it does not fetch gets made-up 4500x5400 metadata): the real print file's size.
    assert (placed["width"], placed["height"]) == (1200, 1200)
    log = (by_url.state_dir / "gunicorn.log").read_text()
    assert f"GET /api/v2/publications/{item['publication_id']}/print-file" in log


def test_retry_of_a_failed_publication_resumes_from_its_product_and_publishes(
    gateway, template, designs, emulator
):
    image_id = next(designs)
    emulator.configure(status_override={"publish": 400})
    accepted = publish(gateway, image_id, template["id"])
    [failed] = wait_final(gateway, [accepted["publication_id"]], timeout=60)
    assert failed["status"] == "failed" and failed["error"]["code"] == "VALIDATION_ERROR"
    assert image(gateway, image_id)["status"] == "publish_failed"
    emulator.configure(status_override={})

    response = gateway.post(f"/api/v1/publications/{accepted['publication_id']}/retry")
    assert response.status_code == 202, response.text
    [item] = wait_final(gateway, [accepted["publication_id"]], timeout=60)

    assert item["status"] == "published", item
    assert item["printify_product_id"] == failed["printify_product_id"]
    assert_published_exactly_once(emulator, [item])
    requested = emulator_stats(emulator)["requests"]
    assert (requested["upload"], requested["create_product"], requested["publish"]) == (1, 1, 2)
    assert image(gateway, image_id)["status"] == "published"


def test_unpublish_takes_the_product_down_and_the_image_can_be_published_again(
    gateway, template, designs, emulator
):
    image_id = next(designs)
    accepted = publish(gateway, image_id, template["id"])
    [item] = wait_final(gateway, [accepted["publication_id"]], timeout=60)
    assert item["status"] == "published", item

    response = gateway.post(f"/api/v1/publications/{item['publication_id']}/unpublish")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "unpublished"
    assert publication(gateway, item["publication_id"])["status"] == "unpublished"
    stats = emulator_stats(emulator)
    assert stats["products"] == 0
    assert (stats["requests"]["unpublish"], stats["requests"]["delete_product"]) == (1, 1)
    assert image(gateway, image_id)["status"] == "approved"
    assert item["publication_id"] not in products(gateway)
    again = publish(gateway, image_id, template["id"])
    [republished] = wait_final(gateway, [again["publication_id"]], timeout=60)
    assert republished["status"] == "published"
    assert republished["printify_product_id"] != item["printify_product_id"]


def test_a_product_deleted_in_printify_is_unpublished_here_through_its_signed_event(
    gateway, template, designs, emulator
):
    hook_url = f"{gateway.url}/api/printify/webhooks"
    registered = gateway.flask("printify", "webhooks", "--url", hook_url).stdout
    topics = {hook["topic"] for hook in json.loads(registered.strip().splitlines()[-1])}
    assert topics == {"product:deleted", "product:publish:started"}
    image_id = next(designs)
    accepted = publish(gateway, image_id, template["id"])
    [item] = wait_final(gateway, [accepted["publication_id"]], timeout=60)
    assert item["status"] == "published", item

    # Someone deletes the product in Printify's own dashboard.
    deleted = requests.delete(
        f"{emulator.url}/v1/shops/{SHOP_ID}/products/{item['printify_product_id']}.json",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert deleted.status_code == 200

    wait_for(
        lambda: publication(gateway, item["publication_id"])["status"] == "unpublished",
        timeout=30,
        what="the publication to follow the deletion",
    )
    assert image(gateway, image_id)["status"] == "approved"
    events = requests.get(f"{emulator.url}/_emulator/events", timeout=5).json()
    assert {event["event"]["type"] for event in events} == {
        "product:publish:started",
        "product:deleted",
    }
    assert all(event["statuses"] == [200] for event in events), events
