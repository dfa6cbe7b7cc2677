"""Helpers for the publishing end-to-end tests: a gateway's Printify settings, approved designs,
a template picked from the catalog as the gateway shows it, and publications waited to the end.

The Printify emulator (`tests.emulators.printify`) runs as a process; its control routes
(`/_emulator/stats`, `/_emulator/products`) are the other side every test compares against.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.conftest import emulator_products, emulator_stats
from tests.e2e.harness import Gateway, wait_for
from tests.emulators.printify import SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess

STICKERS = "Kiss-Cut Stickers"
FINAL = frozenset({"published", "failed", "dry_run", "unpublished"})
# Retries fast enough for a test and patient enough that a random storm cannot exhaust them.
FAST_RETRIES = {
    "PUBLISH_RETRY_BASE_SECONDS": "0.2",
    "PUBLISH_RETRY_MAX_SECONDS": "2",
    "PUBLISH_LEASE_SECONDS": "5",
    "PUBLISH_MAX_ATTEMPTS": "30",
    "CIRCUIT_RESET_SECONDS": "1",
    "PRINTIFY_TIMEOUT_SECONDS": "10",
}
# Calls that change something in Printify; a dry run must send none of them.
WRITE_ROUTES = (
    "upload",
    "create_product",
    "update_product",
    "delete_product",
    "publish",
    "publishing_succeeded",
    "publishing_failed",
    "unpublish",
)


def printify_env(emulator: EmulatorProcess, **extra: str) -> dict[str, str]:
    """A gateway's environment for the emulator's account, with fast publishing retries."""
    return {
        "PRINTIFY_API_TOKEN": TOKEN,
        "PRINTIFY_SHOP_ID": str(SHOP_ID),
        "PRINTIFY_BASE_URL": f"{emulator.url}/v1",
        **FAST_RETRIES,
        **extra,
    }


def approved_images(gateway: Gateway, count: int, *, seed: int = 1, size: int = 256) -> list[str]:
    """Generate `count` small designs on the local backend and approve them all; their ids."""
    jobs = []
    for start in range(0, count, 25):
        batch = min(25, count - start)
        jobs.append(
            gateway.generate(
                prompt=f"sticker design {seed + start}",
                width=size,
                height=size,
                batch_size=batch,
                seed=seed + start,
            )
        )
    image_ids = []
    for job_id in jobs:
        job = gateway.wait_job(job_id, timeout=120)
        assert job["status"] == "completed", job
        image_ids.extend(job["image_ids"])
    response = gateway.post("/api/v1/batch/approve", json={"image_ids": image_ids})
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["successful"] == count, response.text
    return image_ids


def browse_catalog(gateway: Gateway, blueprint_title: str) -> dict[str, Any]:
    """Walk the catalog through the gateway: the blueprint, its first provider, every variant."""
    blueprints = gateway.get("/api/v1/catalog/blueprints")
    assert blueprints.status_code == 200, blueprints.text
    blueprint = next(item for item in blueprints.json() if item["title"] == blueprint_title)
    providers = gateway.get(f"/api/v1/catalog/blueprints/{blueprint['id']}/print_providers")
    assert providers.status_code == 200, providers.text
    provider = providers.json()[0]
    variants = gateway.get(
        f"/api/v1/catalog/blueprints/{blueprint['id']}/print_providers/{provider['id']}/variants"
    )
    assert variants.status_code == 200, variants.text
    return {"blueprint": blueprint, "provider": provider, "variants": variants.json()["variants"]}


def template_body(catalog: dict[str, Any], name: str, **overrides: Any) -> dict[str, Any]:
    """A template of every catalog variant with a `front` print area, at 4.00 each."""
    variants = [
        {"id": variant["id"], "price": 400}
        for variant in catalog["variants"]
        if any(area["position"] == "front" for area in variant["placeholders"])
    ]
    body = {
        "name": name,
        "blueprint_id": catalog["blueprint"]["id"],
        "print_provider_id": catalog["provider"]["id"],
        "variants": variants,
        "position": "front",
        "placement": {"x": 0.5, "y": 0.5, "scale": 0.9, "angle": 0},
        "title_template": "{title} | Sticker",
        "description_template": "<p>{prompt}</p>",
        "tags": ["sticker", "e2e"],
    }
    return {**body, **overrides}


def create_template(gateway: Gateway, body: dict[str, Any]) -> dict[str, Any]:
    response = gateway.post("/api/v1/templates", json=body)
    assert response.status_code == 201, response.text
    return response.json()


# Stickers 40000 and 40001 at provider 99 cost 1.80 and 2.20 in the emulator and ship to the US for
# 1.99: this rule (200 % markup, rounded to .99) prices them at 5.99, profit 2.20 and so below the
# 2.50 minimum, and at 6.99, profit 2.80.
STICKER_RULE = {"markup_percent": 200, "round_to_cents": 99, "min_profit_cents": 250}


def rule_priced_stickers(gateway: Gateway) -> dict[str, Any]:
    """A template of stickers 40000 and 40001 priced by STICKER_RULE, made from the catalog."""
    body = template_body(
        browse_catalog(gateway, STICKERS),
        "Sticker by rule",
        variants=[{"id": 40000}, {"id": 40001}],
        pricing=STICKER_RULE,
    )
    return create_template(gateway, body)


def unchecked_template(
    gateway: Gateway,
    name: str,
    *,
    blueprint_id: int,
    print_provider_id: int,
    variant: dict[str, int],
    size: tuple[int, int],
) -> dict[str, Any]:
    """A one-variant template saved unchecked (the gateway has no Printify token to check it
    against): its print area is `size` (width, height) px."""
    width, height = size
    body = {
        "name": name,
        "blueprint_id": blueprint_id,
        "print_provider_id": print_provider_id,
        "variants": [variant],
        "placeholder": {"width": width, "height": height},
    }
    return create_template(gateway, body)


def sticker_template(gateway: Gateway, name: str = "Sticker") -> dict[str, Any]:
    """A sticker template made from the catalog as the gateway shows it."""
    return create_template(gateway, template_body(browse_catalog(gateway, STICKERS), name))


def publish(gateway: Gateway, image_id: str, template_id: str, **options: Any) -> dict[str, Any]:
    """Ask for one publication (low resolution allowed: the designs are small); the 202 body."""
    body = {"template_id": template_id, "allow_low_resolution": True, **options}
    response = gateway.post(f"/api/v1/images/{image_id}/publish", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def batch_publish(gateway: Gateway, image_ids: list[str], template_id: str) -> list[str]:
    """Publish every image in one batch; the publication ids, in the order of `image_ids`."""
    body = {"image_ids": image_ids, "template_id": template_id, "allow_low_resolution": True}
    response = gateway.post("/api/v1/batch/publish", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["counts"]["successful"] == len(image_ids), result
    started = {item["image_id"]: item["publication_id"] for item in result["publications"]}
    return [started[image_id] for image_id in image_ids]


def publication(gateway: Gateway, publication_id: str) -> dict[str, Any]:
    response = gateway.get(f"/api/v1/publications/{publication_id}")
    assert response.status_code == 200, response.text
    return response.json()


def all_publications(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """Every publication the gateway holds, by id."""
    found: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        response = gateway.get("/api/v1/publications", params={"limit": 200, "page": page})
        assert response.status_code == 200, response.text
        body = response.json()
        found.update({item["publication_id"]: item for item in body["items"]})
        if page * body["per_page"] >= body["total"]:
            return found
        page += 1


def wait_final(
    gateway: Gateway, publication_ids: list[str], *, timeout: float = 120, interval: float = 0.5
) -> list[dict[str, Any]]:
    """Wait until every publication is final; them, in the order asked."""
    wanted = set(publication_ids)

    def done() -> dict[str, dict[str, Any]] | None:
        found = (
            all_publications(gateway)
            if len(wanted) > 1
            else {publication_ids[0]: publication(gateway, publication_ids[0])}
        )
        finished = {pid: item for pid, item in found.items() if pid in wanted}
        if len(finished) == len(wanted) and all(i["status"] in FINAL for i in finished.values()):
            return finished
        return None

    try:
        finished = wait_for(
            done, timeout=timeout, interval=interval, what=f"{len(wanted)} publications to end"
        )
    except AssertionError:
        statuses = Counter(
            item["status"] for pid, item in all_publications(gateway).items() if pid in wanted
        )
        raise AssertionError(f"publications still running: {dict(statuses)}") from None
    return [finished[pid] for pid in publication_ids]


def products_by_marker(emulator: EmulatorProcess) -> Counter[str]:
    """How many products in the emulator carry each publication marker tag."""
    return Counter(
        tag
        for product in emulator_products(emulator)
        for tag in product["tags"]
        if tag.startswith("podgw-")
    )


def assert_published_exactly_once(
    emulator: EmulatorProcess, publications: list[dict[str, Any]]
) -> None:
    """Every publication is published; the emulator holds one product per marker, none locked,
    each published once, and nothing else."""
    statuses = Counter(item["status"] for item in publications)
    assert statuses == {"published": len(publications)}, [
        (item["publication_id"], item["status"], item["error"])
        for item in publications
        if item["status"] != "published"
    ]
    markers = products_by_marker(emulator)
    assert markers == Counter({item["marker"]: 1 for item in publications})
    products = {product["id"]: product for product in emulator_products(emulator)}
    assert {item["printify_product_id"] for item in publications} == set(products)
    stats = emulator_stats(emulator)
    assert stats["locked_products"] == 0
    assert stats["products"] == len(publications)
    assert all(product["external"] and product["visible"] for product in products.values())
    assert stats["publishes"] == {product_id: 1 for product_id in products}
