"""PrintifyClient against the Printify emulator running as a real process."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pybreaker
import pytest
import requests
from limits import parse
from limits.storage import MemoryStorage
from PIL import Image

from gateway.app.clients.http import RetryPolicy, Timeouts
from gateway.app.clients.pacing import CATALOG, GLOBAL, PUBLISH, Pacer
from gateway.app.clients.printify import PrintifyClient, PrintifyConfig
from gateway.app.clients.printify_dry_run import DryRunPrintify
from gateway.app.clients.printify_errors import (
    PrintifyConfigurationError,
    PrintifyLocked,
    PrintifyNotFound,
    PrintifyRateLimited,
    PrintifyUnavailable,
    PrintifyValidationError,
)
from tests.emulators.printify import SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess

FAST_RETRIES = RetryPolicy(attempts=4, max_elapsed=5, backoff_min=0.01, backoff_max=0.05)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.printify").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True)


def roomy_pacer() -> Pacer:
    budgets = {GLOBAL: parse("1000/second"), CATALOG: parse("1000/second")}
    return Pacer(MemoryStorage(), {**budgets, PUBLISH: parse("1000/second")})


def make_config(emulator: EmulatorProcess, **overrides: object) -> PrintifyConfig:
    options: dict = {
        "base_url": f"{emulator.url}/v1",
        "token": TOKEN,
        "shop_id": str(SHOP_ID),
        "timeouts": Timeouts(connect=2, read=2),
        "upload_timeouts": Timeouts(connect=2, read=5),
        "policy": FAST_RETRIES,
    }
    options.update(overrides)
    return PrintifyConfig(**options)


@pytest.fixture
def client(emulator: EmulatorProcess) -> PrintifyClient:
    return PrintifyClient(make_config(emulator), roomy_pacer(), None)


def stats(emulator: EmulatorProcess) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 255)).save(out, format="PNG")
    return out.getvalue()


def product_body(upload_id: str, *, variant_id: int = 12100, tags: list[str] | None = None) -> dict:
    return {
        "title": "Sunset tee",
        "description": "<p>retro</p>",
        "tags": tags or ["podgw-test"],
        "blueprint_id": 6,
        "print_provider_id": 99,
        "variants": [{"id": variant_id, "price": 2500, "is_enabled": True}],
        "print_areas": [
            {
                "variant_ids": [variant_id],
                "placeholders": [
                    {
                        "position": "front",
                        "images": [{"id": upload_id, "x": 0.5, "y": 0.5, "scale": 1, "angle": 0}],
                    }
                ],
            }
        ],
    }


def test_catalog_variants_include_out_of_stock_ones(client: PrintifyClient) -> None:
    variants = {item["id"] for item in client.variants(6, 99)["variants"]}
    assert {12103, 12123} <= variants
    assert {item["id"] for item in client.blueprints()} >= {6, 384}


def test_upload_then_create_publish_and_report_success(client: PrintifyClient) -> None:
    upload = client.upload_image("design.png", contents=png())
    assert (upload["width"], upload["height"]) == (64, 48)
    product = client.create_product(product_body(upload["id"]))
    client.publish(product["id"])
    assert client.get_product(product["id"])["is_locked"] is True
    client.publishing_succeeded(product["id"], "pub_1", "https://shop.example/p/1")
    final = client.get_product(product["id"])
    assert final["is_locked"] is False
    assert final["external"]["id"] == "pub_1"


def test_calls_through_the_circuit_breaker_run_side_by_side(emulator: EmulatorProcess) -> None:
    """The breaker guards each call without holding its lock through the exchange."""
    emulator.configure(faults={"any": {"latency": 0.5}})
    breaker = pybreaker.CircuitBreaker(fail_max=5)
    client = PrintifyClient(make_config(emulator), roomy_pacer(), lambda: breaker)
    threads = [threading.Thread(target=client.shops) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats(emulator)["requests"]["shops"] == 4
    assert stats(emulator)["max_in_flight"] == 4
    assert breaker.current_state == "closed"


def test_validation_error_carries_printifys_reason(client: PrintifyClient) -> None:
    upload = client.upload_image("design.png", contents=png())
    with pytest.raises(PrintifyValidationError) as caught:
        client.create_product(product_body(upload["id"], variant_id=999))
    assert caught.value.code == 8150
    assert "999" in (caught.value.reason or "")


def test_wrong_token_is_a_configuration_error_and_not_retried(emulator: EmulatorProcess) -> None:
    client = PrintifyClient(make_config(emulator, token="wrong"), roomy_pacer(), None)
    with pytest.raises(PrintifyConfigurationError, match="PRINTIFY_API_TOKEN"):
        client.blueprints()
    assert stats(emulator)["requests"]["catalog_blueprints"] == 1


def test_locked_product_edit_is_reported_as_locked(client: PrintifyClient) -> None:
    upload = client.upload_image("design.png", contents=png())
    product = client.create_product(product_body(upload["id"]))
    client.publish(product["id"])
    with pytest.raises(PrintifyLocked):
        client._exchange(
            "PUT", f"/shops/{SHOP_ID}/products/{product['id']}.json", json={"title": "New"}
        )


def test_unknown_product_is_not_found(client: PrintifyClient) -> None:
    with pytest.raises(PrintifyNotFound):
        client.get_product("0" * 24)


def test_idempotent_reads_are_retried_through_server_errors(
    client: PrintifyClient, emulator: EmulatorProcess
) -> None:
    emulator.configure(faults={"catalog_blueprints": {"fail_nth": [1, 2]}})
    assert client.blueprints()
    assert stats(emulator)["requests"]["catalog_blueprints"] == 3


def test_a_failed_create_is_ambiguous_and_not_retried(
    client: PrintifyClient, emulator: EmulatorProcess
) -> None:
    upload = client.upload_image("design.png", contents=png())
    emulator.configure(faults={"create_product": {"lost_responses": 1}})
    with pytest.raises(PrintifyUnavailable) as caught:
        client.create_product(product_body(upload["id"], tags=["podgw-lost"]))
    assert caught.value.ambiguous is True
    assert stats(emulator)["requests"]["create_product"] == 1
    found = client.find_product("podgw-lost")
    assert found is not None and "podgw-lost" in found["tags"]


def test_a_rate_limited_create_is_not_ambiguous(
    client: PrintifyClient, emulator: EmulatorProcess
) -> None:
    upload = client.upload_image("design.png", contents=png())
    emulator.configure(faults={"create_product": {"rate_limit_ratio": 1.0}})
    with pytest.raises(PrintifyRateLimited) as caught:
        client.create_product(product_body(upload["id"]))
    assert caught.value.ambiguous is False
    assert caught.value.retry_after is not None


def test_find_upload_pages_through_the_library(client: PrintifyClient) -> None:
    for index in range(3):
        client.upload_image(f"other-{index}.png", contents=png())
    client.upload_image("wanted.png", contents=png())
    assert client.find_upload("wanted.png")["file_name"] == "wanted.png"
    assert client.find_upload("missing.png") is None


def test_reporting_an_outcome_is_retried_because_repeating_it_is_harmless(
    client: PrintifyClient, emulator: EmulatorProcess
) -> None:
    upload = client.upload_image("design.png", contents=png())
    product = client.create_product(product_body(upload["id"]))
    client.publish(product["id"])
    emulator.configure(faults={"publishing_failed": {"fail_nth": 1}})
    client.publishing_failed(product["id"], "storefront refused")
    assert client.get_product(product["id"])["is_locked"] is False


def test_pacing_keeps_a_burst_inside_the_emulators_window(emulator: EmulatorProcess) -> None:
    emulator.configure(catalog_limit=5, catalog_window=1)
    budgets = {GLOBAL: parse("100/second"), CATALOG: parse("5/2 seconds")}
    pacer = Pacer(MemoryStorage(), {**budgets, PUBLISH: parse("10/second")})
    client = PrintifyClient(make_config(emulator), pacer, None)
    for _ in range(12):
        client.blueprints()
    assert stats(emulator)["rate_limited"] == 0


def test_dry_run_records_requests_and_sends_nothing(emulator: EmulatorProcess) -> None:
    client = DryRunPrintify(make_config(emulator), roomy_pacer())
    upload = client.upload_image("design.png", contents=png())
    product = client.create_product(product_body(upload["id"]))
    client.publish(product["id"])
    methods = [(item["method"], item["url"].rsplit("/", 1)[-1]) for item in client.recorded]
    assert methods == [
        ("POST", "images.json"),
        ("POST", "products.json"),
        ("POST", "publish.json"),
    ]
    assert client.recorded[0]["body"]["contents"].startswith("<base64")
    assert stats(emulator)["total"] == 0
