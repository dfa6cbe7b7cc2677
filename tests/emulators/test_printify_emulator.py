"""The Printify emulator behaves like Printify's v1 API (EXTERNAL_APIS.md section 1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from PIL import Image

from tests.emulators.printify import CATALOG, SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEX24 = re.compile(r"^[0-9a-f]{24}$")
PRODUCT_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$")
UPLOAD_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
SECRET = "printify-webhook-secret"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.printify").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True, webhook_retry_interval=0.05)


@pytest.fixture
def api(emulator: EmulatorProcess) -> str:
    return f"{emulator.url}/v1"


@pytest.fixture
def shop(api: str) -> str:
    return f"{api}/shops/{SHOP_ID}"


def call(method: str, url: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, url, headers=AUTH, timeout=10, **kwargs)


def assert_envelope(response: requests.Response, status: int, code: int | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == body["errors"]["code"] == (code or status)
    assert body["message"] and body["errors"]["reason"]
    return body


def png(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(buffer, fmt)
    return buffer.getvalue()


def upload(api: str, data: bytes | None = None, file_name: str = "art.png") -> dict:
    contents = base64.b64encode(data or png(40, 30)).decode()
    response = call(
        "POST", f"{api}/uploads/images.json", json={"file_name": file_name, "contents": contents}
    )
    assert response.status_code == 200, response.text
    return response.json()


def tee(upload_id: str, **overrides: Any) -> dict[str, Any]:
    image = {"id": upload_id, "x": 0.5, "y": 0.5, "scale": 1.0, "angle": 0}
    body = {
        "title": "Emulator tee",
        "description": "<p>Soft.</p>",
        "tags": ["emulator"],
        "blueprint_id": 6,
        "print_provider_id": 99,
        "variants": [
            {"id": 12100, "price": 2500, "is_enabled": True},
            {"id": 12101, "price": 2600},
        ],
        "print_areas": [
            {
                "variant_ids": [12100, 12101],
                "placeholders": [{"position": "front", "images": [image]}],
            }
        ],
    }
    return {**body, **overrides}


def create(shop: str, body: dict[str, Any]) -> dict:
    response = call("POST", f"{shop}/products.json", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def control(emulator: EmulatorProcess, name: str) -> Any:
    return requests.get(f"{emulator.url}/_emulator/{name}", timeout=5).json()


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


# ---- auth, paths, shops -------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer wrong", TOKEN, f"Basic {TOKEN}"])
def test_missing_or_wrong_token_is_401_envelope(api: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{api}/shops.json", headers=headers, timeout=5)
    assert_envelope(response, 401)


@pytest.mark.parametrize(
    "path", ["/v1/nothing.json", "/v1/shops/1001/products", "/v1/shops/999/products.json", "/x"]
)
def test_unknown_path_or_shop_is_404_envelope(emulator: EmulatorProcess, path: str) -> None:
    assert_envelope(call("GET", f"{emulator.url}{path}"), 404)


def test_shops_lists_the_one_custom_integration_shop(api: str) -> None:
    response = call("GET", f"{api}/shops.json")
    assert response.json() == [
        {"id": SHOP_ID, "title": "POD Gateway (emulator)", "sales_channel": "custom_integration"}
    ]


def test_cli_options_set_token_shop_and_limits_and_sigterm_exits_cleanly() -> None:
    args = ["--token", "other", "--shop-id", "7", "--global-limit", "2", "--global-window", "60"]
    process = EmulatorProcess("tests.emulators.printify", args).start()
    try:

        def get(path: str) -> requests.Response:
            headers = {"Authorization": "Bearer other"}
            return requests.get(f"{process.url}/v1/{path}", headers=headers, timeout=5)

        assert get("shops.json").json()[0]["id"] == 7
        assert get("shops/7/products.json").status_code == 200
        assert_envelope(get("shops.json"), 429)
        assert process.configure(reset=True)["global_limit"] == 2
    finally:
        process.stop()
    assert process.process is not None and process.process.returncode == 0


# ---- catalog ------------------------------------------------------------------------------------


def test_variants_hide_out_of_stock_unless_asked(api: str) -> None:
    url = f"{api}/catalog/blueprints/6/print_providers/99/variants.json"
    listed = call("GET", url).json()
    everything = call("GET", url, params={"show-out-of-stock": 1}).json()
    assert listed["id"] == 99 and listed["title"] == "Printify Choice"
    in_stock = {v["id"] for v in listed["variants"]}
    assert {v["id"] for v in everything["variants"]} - in_stock == {12103, 12123}
    assert len(everything["variants"]) == len(CATALOG[6]["providers"][99]) == 12
    first = listed["variants"][0]
    assert first == {
        "id": 12100,
        "title": "White / S",
        "options": {"color": "White", "size": "S"},
        "placeholders": [
            {"position": "front", "width": 4500, "height": 5400},
            {"position": "back", "width": 4500, "height": 5400},
        ],
    }


def test_catalog_lists_blueprints_providers_and_provider_locations(api: str) -> None:
    blueprints = call("GET", f"{api}/catalog/blueprints.json").json()
    assert {b["id"] for b in blueprints} == {6, 384, 77, 400}
    assert call("GET", f"{api}/catalog/blueprints/384.json").json()["title"] == "Poster"
    providers = call("GET", f"{api}/catalog/blueprints/384/print_providers.json").json()
    assert [p["id"] for p in providers] == [36, 48]
    provider = call("GET", f"{api}/catalog/print_providers/36.json").json()
    assert provider["location"]["country"] == "US"
    poster = call("GET", f"{api}/catalog/blueprints/384/print_providers/36/variants.json").json()
    assert poster["variants"][1]["placeholders"] == [
        {"position": "front", "width": 5400, "height": 7200}
    ]
    shipping = call("GET", f"{api}/catalog/blueprints/6/print_providers/29/shipping.json").json()
    assert shipping["profiles"][0]["first_item"]["currency"] == "USD"
    assert_envelope(
        call("GET", f"{api}/catalog/blueprints/384/print_providers/99/variants.json"), 404
    )
    assert_envelope(call("GET", f"{api}/catalog/blueprints/5.json"), 404)


def test_sticker_blueprint_has_small_front_print_areas_and_one_out_of_stock_variant(
    api: str, shop: str
) -> None:
    assert call("GET", f"{api}/catalog/blueprints/400.json").json()["title"] == "Kiss-Cut Stickers"
    providers = call("GET", f"{api}/catalog/blueprints/400/print_providers.json").json()
    assert providers == [{"id": 99, "title": "Printify Choice"}]
    url = f"{api}/catalog/blueprints/400/print_providers/99/variants.json"
    assert [v["id"] for v in call("GET", url).json()["variants"]] == [40000]
    everything = call("GET", url, params={"show-out-of-stock": 1}).json()["variants"]
    assert [(v["id"], v["title"], v["placeholders"]) for v in everything] == [
        (40000, '3" x 3"', [{"position": "front", "width": 900, "height": 900}]),
        (40001, '4" x 4"', [{"position": "front", "width": 1200, "height": 1200}]),
    ]
    art = upload(api)["id"]
    image = {"id": art, "x": 0.5, "y": 0.5, "scale": 1, "angle": 0}
    sticker = tee(
        art,
        blueprint_id=400,
        variants=[{"id": 40000, "price": 400}, {"id": 40001, "price": 500}],
        print_areas=[
            {
                "variant_ids": [40000, 40001],
                "placeholders": [{"position": "front", "images": [image]}],
            }
        ],
    )
    product = create(shop, sticker)
    assert [(v["id"], v["is_available"]) for v in product["variants"]] == [
        (40000, True),
        (40001, False),
    ]
    assert [o["type"] for o in product["options"]] == ["size"]
    sticker["print_areas"][0]["placeholders"][0]["position"] = "back"
    assert_envelope(call("POST", f"{shop}/products.json", json=sticker), 400, 8150)


# ---- uploads ------------------------------------------------------------------------------------


def test_upload_by_contents_reads_dimensions_from_the_bytes(api: str) -> None:
    data = png(123, 45, "JPEG")
    body = upload(api, data, "photo.jpg")
    assert HEX24.match(body["id"]) and UPLOAD_TIME.match(body["upload_time"])
    assert (body["width"], body["height"], body["size"]) == (123, 45, len(data))
    assert (body["file_name"], body["mime_type"]) == ("photo.jpg", "image/jpeg")
    assert requests.get(body["preview_url"], timeout=5).content == data
    assert call("GET", f"{api}/uploads/{body['id']}.json").json() == body


@pytest.mark.parametrize(
    "payload",
    [
        {"file_name": "a.png", "contents": "not base64!"},
        {"file_name": "a.png", "contents": base64.b64encode(b"plain text").decode()},
        {"file_name": "a.png", "contents": base64.b64encode(png(2, 2)).decode(), "url": "http://x"},
        {"file_name": "a.png"},
        {"contents": base64.b64encode(png(2, 2)).decode()},
    ],
    ids=["invalid-base64", "not-an-image", "both", "neither", "no-file-name"],
)
def test_bad_upload_is_400_8150(api: str, payload: dict) -> None:
    assert_envelope(call("POST", f"{api}/uploads/images.json", json=payload), 400, 8150)


def test_upload_over_max_upload_bytes_is_413(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(max_upload_bytes=1000)
    assert_envelope(call("POST", f"{api}/uploads/images.json", json={"c": "x" * 1000}), 413)
    assert control(emulator, "stats")["uploads"] == 0


def test_upload_by_url_fetches_loopback_and_fabricates_for_public_hosts(api: str) -> None:
    source = upload(api, png(64, 32))
    fetched = call(
        "POST",
        f"{api}/uploads/images.json",
        json={"file_name": "u.png", "url": source["preview_url"]},
    ).json()
    assert (fetched["width"], fetched["height"], fetched["size"]) == (64, 32, source["size"])
    public = call(
        "POST",
        f"{api}/uploads/images.json",
        json={"file_name": "p.png", "url": "https://cdn.example.com/p.png"},
    ).json()
    assert (public["width"], public["height"]) == (4500, 5400)
    missing = {"file_name": "m.png", "url": source["preview_url"].replace(source["id"], "0" * 24)}
    assert_envelope(call("POST", f"{api}/uploads/images.json", json=missing), 400, 8150)


def test_upload_by_url_reads_a_large_file_to_its_end(api: str) -> None:
    noisy = Image.frombytes("RGB", (700, 700), (bytes(range(256)) * 5743)[: 700 * 700 * 3])
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG", compress_level=0)
    source = upload(api, buffer.getvalue())
    assert source["size"] > 1_000_000  # arrives in many chunks
    fetched = call(
        "POST",
        f"{api}/uploads/images.json",
        json={"file_name": "big.png", "url": source["preview_url"]},
    )
    assert fetched.status_code == 200, fetched.text
    assert (fetched.json()["size"], fetched.json()["width"]) == (source["size"], 700)


def test_uploads_are_paginated_newest_first_and_archive_hides_them(api: str) -> None:
    ids = [upload(api, file_name=f"{n}.png")["id"] for n in range(3)]
    first = call("GET", f"{api}/uploads.json", params={"limit": 2}).json()
    assert [u["id"] for u in first["data"]] == [ids[2], ids[1]]
    assert (first["next_page_url"], first["last_page"], first["total"]) == ("/?page=2", 2, 3)
    second = call("GET", f"{api}/uploads.json", params={"limit": 2, "page": 2}).json()
    assert [u["id"] for u in second["data"]] == [ids[0]]
    assert call("POST", f"{api}/uploads/{ids[0]}/archive.json").json() == {}
    assert call("GET", f"{api}/uploads.json").json()["total"] == 2
    assert call("GET", f"{api}/uploads/{ids[0]}.json").status_code == 200


# ---- products -----------------------------------------------------------------------------------


def test_products_list_uses_the_laravel_envelope_default_10_and_clamps_to_100(
    api: str, shop: str
) -> None:
    art = upload(api)["id"]
    ids = [create(shop, tee(art, title=f"tee {n}"))["id"] for n in range(12)]
    page = call("GET", f"{shop}/products.json").json()
    assert [p["id"] for p in page["data"]] == ids[::-1][:10]
    assert {key: value for key, value in page.items() if key != "data"} == {
        "current_page": 1,
        "first_page_url": "/?page=1",
        "from": 1,
        "last_page": 2,
        "last_page_url": "/?page=2",
        "next_page_url": "/?page=2",
        "path": "/",
        "per_page": 10,
        "prev_page_url": None,
        "to": 10,
        "total": 12,
    }
    last = call("GET", f"{shop}/products.json", params={"page": 2}).json()
    assert (last["from"], last["to"], last["next_page_url"]) == (11, 12, None)
    assert last["prev_page_url"] == "/?page=1"
    assert call("GET", f"{shop}/products.json", params={"limit": 500}).json()["per_page"] == 100


def test_create_product_returns_the_full_product(api: str, shop: str) -> None:
    art = upload(api, png(80, 96))
    product = create(shop, tee(art["id"]))
    assert HEX24.match(product["id"]) and PRODUCT_TIME.match(product["created_at"])
    assert (product["blueprint_id"], product["print_provider_id"]) == (6, 99)
    assert (product["shop_id"], product["tags"], product["visible"]) == (
        SHOP_ID,
        ["emulator"],
        False,
    )
    assert product["is_locked"] is False and "external" not in product
    variants = {v["id"]: v for v in product["variants"]}
    assert len(variants) == 12  # every variant the provider offers; the requested ones enabled
    assert {vid for vid, v in variants.items() if v["is_enabled"]} == {12100, 12101}
    assert variants[12101]["price"] == 2600 and variants[12100]["is_default"]
    assert variants[12103]["is_available"] is False
    assert {"sku", "cost", "title", "grams", "options"} <= set(variants[12100])
    assert [o["type"] for o in product["options"]] == ["color", "size"]
    image = product["print_areas"][0]["placeholders"][0]["images"][0]
    assert (image["id"], image["name"], image["width"], image["height"]) == (
        art["id"],
        "art.png",
        80,
        96,
    )
    mockup = product["images"][0]
    assert mockup["position"] == "front" and mockup["variant_ids"] == [12100, 12101]
    picture = requests.get(mockup["src"], timeout=5)
    assert picture.headers["Content-Type"] == "image/png"
    assert call("GET", f"{shop}/products/{product['id']}.json").json() == product


def test_create_product_with_variant_outside_catalog_is_8150(api: str, shop: str) -> None:
    body = tee(upload(api)["id"], variants=[{"id": 999, "price": 100}])
    response = call("POST", f"{shop}/products.json", json=body)
    reason = assert_envelope(response, 400, 8150)["errors"]["reason"]
    assert reason == "variants.0.id: variant 999 is not offered by provider 99 for blueprint 6"


def _without(key: str) -> Callable[[dict], None]:
    return lambda body: body.pop(key)


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def change(body: dict) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_without("title"), "title: "),
        (_without("description"), "description: "),
        (_set("blueprint_id", 5), "blueprint_id: blueprint 5 does not exist"),
        (_set("print_provider_id", 36), "print_provider_id: print provider 36 does not offer"),
        (_set("variants.0.id", 12120), "variants.0.id: variant 12120 is not offered"),
        (_set("variants.0.price", -1), "variants.0.price: "),
        (_set("variants.1.price", 25.5), "variants.1.price: "),
        (_set("variants.0.price", "2500"), "variants.0.price: "),
        (_set("print_areas.0.placeholders.0.position", "sleeve"), "print_areas.0.placeholders.0"),
        (_set("print_areas.0.placeholders.0.images.0.id", "f" * 24), "print_areas.0.placeholders"),
        (_set("print_areas.0.variant_ids", [12100, 12110]), "print_areas.0.variant_ids.1: "),
    ],
    ids=[
        "no-title",
        "no-description",
        "unknown-blueprint",
        "provider-without-blueprint",
        "variant-of-other-provider",
        "negative-price",
        "float-price",
        "string-price",
        "position-not-a-placeholder",
        "unknown-upload",
        "print-area-variant-not-in-variants",
    ],
)
def test_invalid_create_is_8150_and_creates_nothing(
    emulator: EmulatorProcess, api: str, shop: str, change: Callable[[dict], None], reason: str
) -> None:
    body = tee(upload(api)["id"], print_provider_id=29)
    change(body)
    error = assert_envelope(call("POST", f"{shop}/products.json", json=body), 400, 8150)
    assert error["errors"]["reason"].startswith(reason)
    assert control(emulator, "stats")["products"] == 0


def test_out_of_stock_variant_is_valid_but_a_missing_position_is_not(api: str, shop: str) -> None:
    art = upload(api)["id"]
    areas = [{"variant_ids": [12103], "placeholders": [{"position": "back", "images": []}]}]
    product = create(shop, tee(art, variants=[{"id": 12103, "price": 2900}], print_areas=areas))
    chosen = next(v for v in product["variants"] if v["id"] == 12103)
    assert chosen["is_enabled"] and not chosen["is_available"]
    image = {"id": art, "x": 0.5, "y": 0.5, "scale": 1, "angle": 0}
    poster = {
        **tee(art, blueprint_id=384, print_provider_id=36),
        "variants": [{"id": 45742, "price": 3000}],
        "print_areas": [
            {"variant_ids": [45742], "placeholders": [{"position": "back", "images": [image]}]}
        ],
    }
    reason = assert_envelope(call("POST", f"{shop}/products.json", json=poster), 400, 8150)
    assert reason["errors"]["reason"] == (
        "print_areas.0.placeholders.0.position: position 'back' is not offered by variant 45742"
    )


def test_publish_locks_the_product_until_publishing_succeeded(
    emulator: EmulatorProcess, api: str, shop: str
) -> None:
    product = create(shop, tee(upload(api)["id"]))
    url = f"{shop}/products/{product['id']}"
    flags = {"title": True, "description": True, "images": True, "variants": True, "tags": True}
    assert call("POST", f"{url}/publish.json", json=flags).json() == {}
    assert call("GET", f"{url}.json").json()["is_locked"] is True
    locked = assert_envelope(call("PUT", f"{url}.json", json={"title": "new"}), 400, 8252)
    assert locked["errors"]["reason"] == "Product is disabled for editing"
    assert call("POST", f"{url}/publish.json", json=flags).status_code == 200
    stats = control(emulator, "stats")
    assert (stats["locked_products"], stats["publishes"]) == (1, {product["id"]: 2})
    external = {"id": "shopify-1", "handle": "https://store.example/products/tee"}
    done = call("POST", f"{url}/publishing_succeeded.json", json={"external": external})
    assert done.json() == {}
    unlocked = call("GET", f"{url}.json").json()
    assert (unlocked["is_locked"], unlocked["visible"], unlocked["external"]) == (
        False,
        True,
        external,
    )
    edited = call("PUT", f"{url}.json", json={"title": "new", "tags": ["x"]}).json()
    assert (edited["title"], edited["tags"], edited["external"]) == ("new", ["x"], external)
    listed = control(emulator, "products")
    assert [(p["id"], p["is_locked"], p["publish_count"]) for p in listed] == [
        (product["id"], False, 2)
    ]


def test_publishing_failed_unlocks_unpublish_hides_and_delete_works_when_locked(
    emulator: EmulatorProcess, api: str, shop: str
) -> None:
    art = upload(api)["id"]
    first, second = (create(shop, tee(art))["id"] for _ in range(2))
    call("POST", f"{shop}/products/{first}/publish.json", json={"title": True})
    failed = call("POST", f"{shop}/products/{first}/publishing_failed.json", json={"reason": "x"})
    assert failed.json() == {}
    product = call("GET", f"{shop}/products/{first}.json").json()
    assert not product["is_locked"] and "external" not in product
    assert call("POST", f"{shop}/products/{first}/unpublish.json").json() == {}
    assert call("GET", f"{shop}/products/{first}.json").json()["visible"] is False
    call("POST", f"{shop}/products/{second}/publish.json", json={})
    assert call("DELETE", f"{shop}/products/{second}.json").json() == {}
    assert_envelope(call("GET", f"{shop}/products/{second}.json"), 404)
    assert control(emulator, "stats")["products"] == 1


# ---- rate limits ------------------------------------------------------------------------------


def test_global_limit_answers_429_with_retry_after_and_429s_take_no_slot(
    emulator: EmulatorProcess, api: str
) -> None:
    emulator.configure(global_limit=3, global_window=1)
    assert [call("GET", f"{api}/shops.json").status_code for _ in range(3)] == [200] * 3
    filled = time.monotonic()
    for _ in range(3):
        limited = call("GET", f"{api}/shops.json")
        assert assert_envelope(limited, 429)["message"] == "Too Many Requests"
        assert limited.headers["Retry-After"] == "1"
    time.sleep(max(0.0, 1.05 - (time.monotonic() - filled)))
    statuses = [call("GET", f"{api}/shops.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    stats = control(emulator, "stats")
    assert stats["rate_limited"] == stats["rate_limited_by"]["global"] == 4
    assert stats["requests"]["shops"] == 10


def test_requests_rejected_for_auth_take_a_global_slot(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(global_limit=2, global_window=60)
    assert requests.get(f"{api}/shops.json", timeout=5).status_code == 401
    assert call("GET", f"{api}/shops.json").status_code == 200
    assert_envelope(call("GET", f"{api}/shops.json"), 429)


def test_catalog_limit_applies_to_catalog_routes_only(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(catalog_limit=2, catalog_window=2)
    for _ in range(2):
        assert call("GET", f"{api}/catalog/blueprints.json").status_code == 200
    limited = call("GET", f"{api}/catalog/blueprints/6/print_providers.json")
    assert_envelope(limited, 429)
    assert limited.headers["Retry-After"] in {"1", "2"}
    assert call("GET", f"{api}/shops.json").status_code == 200
    assert control(emulator, "stats")["rate_limited_by"] == {"catalog": 1}


def test_publish_limit_applies_to_publish_only_and_retry_after_can_be_off(
    emulator: EmulatorProcess, api: str, shop: str
) -> None:
    emulator.configure(publish_limit=1, publish_window=30, send_retry_after=False)
    product = create(shop, tee(upload(api)["id"]))["id"]
    assert call("POST", f"{shop}/products/{product}/publish.json", json={}).status_code == 200
    limited = call("POST", f"{shop}/products/{product}/publish.json", json={})
    assert_envelope(limited, 429)
    assert "Retry-After" not in limited.headers
    assert call("GET", f"{shop}/products/{product}.json").status_code == 200
    assert control(emulator, "stats")["publishes"] == {product: 1}


# ---- faults -----------------------------------------------------------------------------------


def test_lost_response_commits_the_product_then_answers_502(
    emulator: EmulatorProcess, api: str, shop: str
) -> None:
    art = upload(api)["id"]
    emulator.configure(faults={"create_product": {"lost_responses": 1}})
    assert_envelope(call("POST", f"{shop}/products.json", json=tee(art)), 502)
    assert len(control(emulator, "products")) == 1
    create(shop, tee(art))
    stats = control(emulator, "stats")
    assert (stats["products"], stats["lost_responses"]) == (2, 1)


def test_fail_nth_fails_only_that_call_of_the_route(emulator: EmulatorProcess, api: str) -> None:
    call("GET", f"{api}/shops.json")
    emulator.configure(faults={"shops": {"fail_nth": 2}, "catalog": {"fail_nth": [1]}})
    statuses = [call("GET", f"{api}/shops.json").status_code for _ in range(3)]
    assert statuses == [200, 500, 200]
    assert call("GET", f"{api}/catalog/blueprints.json").status_code == 500
    assert call("GET", f"{api}/catalog/blueprints.json").status_code == 200


def test_fail_ratio_uses_the_seed_and_status_override_forces_a_status(
    emulator: EmulatorProcess, api: str, shop: str
) -> None:
    def statuses() -> list[int]:
        emulator.configure(seed=7, faults={"any": {"fail_ratio": 0.5}})
        return [call("GET", f"{api}/shops.json").status_code for _ in range(12)]

    first = statuses()
    assert first == statuses()
    assert set(first) - {200} and set(first) - {200} <= {500, 502, 503} and 200 in first
    emulator.configure(faults={}, status_override={"create_product": 403})
    assert_envelope(call("POST", f"{shop}/products.json", json={}), 403)


def test_rate_limit_ratio_injects_429s(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(faults={"any": {"rate_limit_ratio": 1}})
    limited = call("GET", f"{api}/shops.json")
    assert_envelope(limited, 429)
    assert limited.headers["Retry-After"] == "1"
    assert control(emulator, "stats")["rate_limited_by"] == {"injected": 1}


def test_hang_times_the_client_out_without_any_effect(
    emulator: EmulatorProcess, api: str, shop: str
) -> None:
    art = upload(api)["id"]
    emulator.configure(faults={"create_product": {"hang": 1.0}})
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{shop}/products.json", json=tee(art), headers=AUTH, timeout=0.2)
    emulator.configure(faults={"create_product": {"latency": 0.05}})
    create(shop, tee(art))
    assert control(emulator, "stats")["products"] == 1


def test_config_rejects_unknown_knobs_and_bad_faults(emulator: EmulatorProcess) -> None:
    for knobs in (
        {"nope": 1},
        {"global_limit": "x"},
        {"faults": {"nowhere": {"fail_ratio": 1}}},
        {"faults": {"any": {"fail_ratio": 2}}},
        {"faults": {"any": {"explode": True}}},
        {"status_override": {"publish": 200}},
    ):
        response = requests.post(f"{emulator.url}/_emulator/config", json=knobs, timeout=5)
        assert_envelope(response, 400)


# ---- webhooks ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def receiver() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.receiver").start()
    yield process
    process.stop()


def test_webhooks_can_be_registered_listed_updated_and_deleted(shop: str) -> None:
    body = {"topic": "product:publish:started", "url": "https://hooks.example/a", "secret": "s"}
    hook = call("POST", f"{shop}/webhooks.json", json=body).json()
    assert HEX24.match(hook["id"]) and "secret" not in hook
    assert (hook["topic"], hook["url"], hook["shop_id"]) == (
        body["topic"],
        body["url"],
        str(SHOP_ID),
    )
    assert call("GET", f"{shop}/webhooks.json").json() == [hook]
    moved = call("PUT", f"{shop}/webhooks/{hook['id']}.json", json={"url": "https://b.example"})
    assert moved.json()["url"] == "https://b.example"
    assert call("DELETE", f"{shop}/webhooks/{hook['id']}.json").json() == {"id": hook["id"]}
    assert call("GET", f"{shop}/webhooks.json").json() == []
    bad = call("POST", f"{shop}/webhooks.json", json={"topic": "product:exploded", "url": "x"})
    assert_envelope(bad, 400, 8150)


def test_publish_sends_signed_started_event_and_retries_a_non_2xx(
    emulator: EmulatorProcess, receiver: EmulatorProcess, api: str, shop: str
) -> None:
    receiver.configure(reset=True, status_next_n={"500": 1})
    topic = "product:publish:started"
    signed = {"topic": topic, "url": f"{receiver.url}/signed", "secret": SECRET}
    call("POST", f"{shop}/webhooks.json", json=signed)
    call("POST", f"{shop}/webhooks.json", json={"topic": topic, "url": f"{receiver.url}/plain"})
    product = create(shop, tee(upload(api)["id"]))["id"]
    flags = {"title": True, "keyFeatures": True}
    call("POST", f"{shop}/products/{product}/publish.json", json=flags)

    def answered() -> list[dict]:
        records = requests.get(f"{receiver.url}/_emulator/requests", timeout=5).json()["requests"]
        done = [r for r in records if r["status"] == 200]
        return records if len(done) == 2 else []

    records = wait_for(answered)
    by_path: dict[str, list[dict]] = {}
    for record in records:
        by_path.setdefault(record["path"], []).append(record)
    assert sorted(len(attempts) for attempts in by_path.values()) == [1, 2]
    delivered = by_path["/signed"][-1]
    raw = delivered["body"].encode()
    expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert delivered["headers"]["x-pfy-signature"] == expected
    assert "x-pfy-signature" not in by_path["/plain"][-1]["headers"]
    event = json.loads(raw)
    assert event["type"] == topic and event["resource"]["id"] == product
    data = event["resource"]["data"]
    assert (data["shop_id"], data["action"]) == (SHOP_ID, "create")
    assert data["publish_details"]["key_features"] is True
    assert data["publish_details"]["description"] is False
    assert PRODUCT_TIME.match(event["created_at"])

    def delivered() -> list[dict]:
        events = control(emulator, "events")
        return events if all(event["delivered"] for event in events) else []

    assert [len(event["statuses"]) for event in wait_for(delivered)] in ([1, 2], [2, 1])


def test_deleting_a_product_sends_a_signed_deleted_event(
    receiver: EmulatorProcess, api: str, shop: str
) -> None:
    receiver.configure(reset=True)
    hook = {"topic": "product:deleted", "url": f"{receiver.url}/deleted", "secret": SECRET}
    call("POST", f"{shop}/webhooks.json", json=hook)
    product = create(shop, tee(upload(api)["id"]))["id"]
    call("DELETE", f"{shop}/products/{product}.json")

    def answered() -> list[dict]:
        return requests.get(f"{receiver.url}/_emulator/requests", timeout=5).json()["requests"]

    (delivered,) = wait_for(answered)
    raw = delivered["body"].encode()
    expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert delivered["headers"]["x-pfy-signature"] == expected
    event = json.loads(raw)
    assert (event["type"], event["resource"]["id"]) == ("product:deleted", product)
    assert event["resource"]["data"]["shop_id"] == SHOP_ID


# ---- costs and shipping (what the gateway's pricing learns from) -------------------------------


def test_product_answers_state_every_variant_cost_as_the_catalog_prices_it(
    api: str, shop: str
) -> None:
    first = create(shop, tee(upload(api)["id"]))
    again = create(shop, tee(upload(api)["id"]))
    offered = {variant["id"]: variant["cost"] for variant in CATALOG[6]["providers"][99]}
    costs = {variant["id"]: variant["cost"] for variant in first["variants"]}
    assert costs == offered
    assert costs[12100] == 1150 and costs[12113] == 1350  # XL costs 2.00 more
    assert {v["id"]: v["cost"] for v in again["variants"]} == costs  # deterministic


@pytest.mark.parametrize("bid, ppid", [(6, 99), (6, 29), (77, 99), (384, 36), (400, 99)])
def test_shipping_names_every_offered_variant_for_us_and_the_rest_of_the_world(
    api: str, bid: int, ppid: int
) -> None:
    body = call("GET", f"{api}/catalog/blueprints/{bid}/print_providers/{ppid}/shipping.json")
    assert body.status_code == 200, body.text
    shipping = body.json()
    assert shipping["handling_time"] == {"value": 3, "unit": "day"}
    offered = {variant["id"] for variant in CATALOG[bid]["providers"][ppid]}
    by_country = {tuple(p["countries"]): p for p in shipping["profiles"]}
    for country in (("US",), ("REST_OF_THE_WORLD",)):
        profile = by_country[country]
        assert set(profile["variant_ids"]) == offered
        assert profile["first_item"]["currency"] == "USD"
        assert profile["first_item"]["cost"] >= profile["additional_items"]["cost"] > 0
    assert (
        by_country[("US",)]["first_item"]["cost"]
        < by_country[("REST_OF_THE_WORLD",)]["first_item"]["cost"]
    )


def test_shipping_of_a_pair_the_provider_does_not_print_is_404(api: str) -> None:
    response = call("GET", f"{api}/catalog/blueprints/384/print_providers/99/shipping.json")
    assert_envelope(response, 404)


def test_shipping_counts_against_the_catalog_limit(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(catalog_limit=1, catalog_window=2)
    path = f"{api}/catalog/blueprints/6/print_providers/99/shipping.json"
    assert call("GET", path).status_code == 200
    limited = call("GET", path)
    assert_envelope(limited, 429)
    assert limited.headers["Retry-After"] in {"1", "2"}


def test_deleting_a_draft_is_recorded_and_it_is_gone(
    emulator: EmulatorProcess, api: str, shop: str
) -> None:
    product = create(shop, tee(upload(api)["id"]))["id"]
    assert call("DELETE", f"{shop}/products/{product}.json").json() == {}
    assert_envelope(call("GET", f"{shop}/products/{product}.json"), 404)
    deletes = [
        entry
        for entry in control(emulator, "requests")
        if entry["route"] == "delete_product" and product in entry["path"]
    ]
    assert [entry["status"] for entry in deletes] == [200]
