"""Printify API emulator: the v1 REST API of EXTERNAL_APIS.md section 1, on aiohttp.

Run `python -m tests.emulators.printify --port 0 [--token T] [--shop-id N] [--shop-title S]
[--global-limit N --global-window S] [--catalog-limit N --catalog-window S]
[--publish-limit N --publish-window S]`; it prints `LISTENING <port>` once bound and exits cleanly
on SIGTERM. All state lives in memory.

Every `/v1/...json` route needs `Authorization: Bearer <token>` (default `test-token`); every error,
unknown paths and 401 included, uses Printify's envelope
`{"status": "error", "code", "message", "errors": {"reason", "code"}}` (validation is 400/8150, a
PUT on a locked product 400/8252). The one shop is `--shop-id` (default 1001); other shop ids are
404. Products list all catalog variants of their blueprint and provider, the requested ones
enabled, as Printify does; mockup `src` URLs are served by the emulator. `publish.json` locks a
product (a locked one too) and sends `product:publish:started` to registered webhooks, signed with
`X-Pfy-Signature: sha256=<hex>` when they have a secret; `publishing_succeeded.json` and
`publishing_failed.json` unlock it; DELETE works on a locked product and sends `product:deleted`.

Catalog (`CATALOG`; `variants.json` hides out-of-stock variants unless `?show-out-of-stock=1`, but
creating a product with one is valid):
- blueprint 6 "Unisex Jersey Short Sleeve Tee", placeholders front and back 4500x5400, options
  color/size; variant id = 12100 + 10 * colour index + size index (sizes S, M, L, XL):
  provider 99 "Printify Choice": White 12100-12103, Black 12110-12113, Heather Grey 12120-12123;
  out of stock 12103 and 12123. Provider 29 "Monster Digital": White and Black only; out of
  stock 12111.
- blueprint 384 "Poster", front only, options size/paper (Matte): 45740 12x16 (3600x4800), 45742
  18x24 (5400x7200), 45744 24x36 (7200x10800). Provider 36 "Sensaria": all three, 45744 out of
  stock. Provider 48 "Print Pigeons": 45740 and 45742, 45740 out of stock.
- blueprint 77 "Unisex Heavy Blend Hooded Sweatshirt", front 4200x4800 and back 4500x5400,
  color/size; id = 32900 + 10 * colour index + size index (S, M, L): provider 99: Black
  32900-32902, Navy 32910-32912, 32912 out of stock. Provider 29: Black only, 32902 out of stock.
- blueprint 400 "Kiss-Cut Stickers", front only, option size, provider 99 only: 40000 3x3"
  (900x900) and 40001 4x4" (1200x1200, out of stock). Its small print files keep end-to-end
  publishing cheap.

Costs: every product answer states each variant's production `cost` (cents, from the catalog:
tees 11.50 at provider 99 and 10.90 at 29, XL 2.00 more; hoodies 22.50 / 21.90; posters 9.00,
13.00, 19.00; stickers 1.80 and 2.20). `shipping.json` has one profile per destination (`SHIPPING`:
US, for apparel CA, and REST_OF_THE_WORLD), each naming every variant the provider offers.

Rate limits: three sliding windows (global: every /v1 request; catalog: /v1/catalog/*; publish:
publish.json). A request takes its slots before auth is checked, so requests later answered 401,
404 or 400 count (Printify counts per account); a request answered 429 takes no slot.

Knobs (`POST /_emulator/config`; `{"reset": true}` also clears all state): the `Config` fields.
`faults` maps a scope (a route name in `ROUTES`, `catalog` for every catalog route, or `any`) to
`{fail_ratio, rate_limit_ratio, latency, hang, fail_nth, lost_responses, lost_response_ratio}`; a
route uses its own value, else its group's, else `any`'s. `fail_nth` (an int or a list) fails the
Nth call of the scope counted from when `faults` was set; `latency` delays the handling; `hang`
waits that many seconds and then answers 504 without any effect; a lost response commits the
change, then answers 502.
`status_override` maps a scope to a status answered instead of handling the request.

Control routes (no auth, no faults, no limits): `GET/POST /_emulator/config`, `GET
/_emulator/stats`, `GET /_emulator/products`, `GET /_emulator/requests?limit=N`, `GET
/_emulator/events`, mockups at `/_emulator/mockups/{product_id}/{n}.png` and upload previews at
`/_emulator/uploads/{upload_id}/preview`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import copy
import dataclasses
import hashlib
import hmac
import io
import json
import math
import os
import random
import signal
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from PIL import Image

TOKEN = "test-token"
SHOP_ID = 1001
SHOP_TITLE = "POD Gateway (emulator)"
MB = 1024 * 1024
MAX_PAGE_SIZE = 100
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MESSAGES = {
    400: "Validation failed.",
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    404: "Not Found.",
    405: "Method Not Allowed.",
    413: "Payload Too Large.",
    429: "Too Many Requests",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
TOPICS = frozenset(
    {
        "shop:disconnected",
        "product:deleted",
        "product:publish:started",
        "order:created",
        "order:updated",
        "order:sent-to-production",
        "order:shipment:created",
        "order:shipment:delivered",
    }
)
PUBLISH_FIELDS = {
    "title": "title",
    "description": "description",
    "images": "images",
    "variants": "variants",
    "tags": "tags",
    "keyFeatures": "key_features",
    "shipping_template": "shipping_template",
}
PRODUCT_FIELDS = ("title", "description", "tags", "variants", "print_areas")
FAULT_KEYS = frozenset(
    {
        "fail_ratio",
        "rate_limit_ratio",
        "latency",
        "hang",
        "fail_nth",
        "lost_responses",
        "lost_response_ratio",
    }
)
OPTION_NAMES = {"color": "Colors", "size": "Sizes", "paper": "Paper"}


def _location(city: str, region: str, country: str, zip_code: str) -> dict[str, str]:
    address = {"address1": "1 Print Way", "address2": "", "city": city, "region": region}
    return {**address, "country": country, "zip": zip_code}


PRINT_PROVIDERS: dict[int, dict[str, Any]] = {
    99: {
        "id": 99,
        "title": "Printify Choice",
        "location": _location("Dallas", "TX", "US", "75201"),
    },
    29: {"id": 29, "title": "Monster Digital", "location": _location("Mesa", "AZ", "US", "85210")},
    36: {"id": 36, "title": "Sensaria", "location": _location("Atlanta", "GA", "US", "30301")},
    48: {"id": 48, "title": "Print Pigeons", "location": _location("Riga", "", "LV", "LV-1010")},
}
TEE_PLACEHOLDERS = [
    {"position": "front", "width": 4500, "height": 5400},
    {"position": "back", "width": 4500, "height": 5400},
]
HOODIE_PLACEHOLDERS = [
    {"position": "front", "width": 4200, "height": 4800},
    {"position": "back", "width": 4500, "height": 5400},
]
POSTER_SIZES = [  # (variant id, size, width, height, cost)
    (45740, '12" x 16"', 3600, 4800, 900),
    (45742, '18" x 24"', 5400, 7200, 1300),
    (45744, '24" x 36"', 7200, 10800, 1900),
]
STICKER_SIZES = [  # (variant id, size, side in pixels, cost)
    (40000, '3" x 3"', 900, 180),
    (40001, '4" x 4"', 1200, 220),
]


def _apparel(
    first_id: int,
    colours: Sequence[str],
    sizes: Sequence[str],
    placeholders: list[dict[str, Any]],
    out_of_stock: set[int],
    cost: int,
    grams: int,
) -> list[dict[str, Any]]:
    """Variants `first_id + 10 * colour index + size index`; XL costs 2.00 more."""
    variants = []
    for c, colour in enumerate(colours):
        for s, size in enumerate(sizes):
            variant_id = first_id + 10 * c + s
            variants.append(
                {
                    "id": variant_id,
                    "title": f"{colour} / {size}",
                    "options": {"color": colour, "size": size},
                    "placeholders": copy.deepcopy(placeholders),
                    "in_stock": variant_id not in out_of_stock,
                    "cost": cost + (200 if size == "XL" else 0),
                    "grams": grams,
                }
            )
    return variants


def _posters(variant_ids: set[int], out_of_stock: set[int]) -> list[dict[str, Any]]:
    return [
        {
            "id": variant_id,
            "title": f"{size} / Matte",
            "options": {"size": size, "paper": "Matte"},
            "placeholders": [{"position": "front", "width": width, "height": height}],
            "in_stock": variant_id not in out_of_stock,
            "cost": cost,
            "grams": 100,
        }
        for variant_id, size, width, height, cost in POSTER_SIZES
        if variant_id in variant_ids
    ]


def _stickers(out_of_stock: set[int]) -> list[dict[str, Any]]:
    return [
        {
            "id": variant_id,
            "title": size,
            "options": {"size": size},
            "placeholders": [{"position": "front", "width": side, "height": side}],
            "in_stock": variant_id not in out_of_stock,
            "cost": cost,
            "grams": 10,
        }
        for variant_id, size, side, cost in STICKER_SIZES
    ]


def _blueprint(bid: int, title: str, brand: str, model: str) -> dict[str, Any]:
    images = [f"https://images.printify.com/blueprints/{bid}.png"]
    description = f"{title} by {brand}."
    return {
        "id": bid,
        "title": title,
        "description": description,
        "brand": brand,
        "model": model,
        "images": images,
    }


TEE_SIZES, HOODIE_SIZES = ("S", "M", "L", "XL"), ("S", "M", "L")
# blueprint id -> {"blueprint": public object, "providers": {provider id: [variants]}}; variants
# carry `in_stock`, `cost` (cents) and `grams` besides the public id/title/options/placeholders.
CATALOG: dict[int, dict[str, Any]] = {
    6: {
        "blueprint": _blueprint(6, "Unisex Jersey Short Sleeve Tee", "Bella+Canvas", "3001"),
        "providers": {
            99: _apparel(
                12100,
                ("White", "Black", "Heather Grey"),
                TEE_SIZES,
                TEE_PLACEHOLDERS,
                {12103, 12123},
                1150,
                142,
            ),
            29: _apparel(
                12100, ("White", "Black"), TEE_SIZES, TEE_PLACEHOLDERS, {12111}, 1090, 142
            ),
        },
    },
    384: {
        "blueprint": _blueprint(384, "Poster", "Generic brand", "Matte Vertical Poster"),
        "providers": {
            36: _posters({45740, 45742, 45744}, {45744}),
            48: _posters({45740, 45742}, {45740}),
        },
    },
    77: {
        "blueprint": _blueprint(77, "Unisex Heavy Blend Hooded Sweatshirt", "Gildan", "18500"),
        "providers": {
            99: _apparel(
                32900, ("Black", "Navy"), HOODIE_SIZES, HOODIE_PLACEHOLDERS, {32912}, 2250, 680
            ),
            29: _apparel(32900, ("Black",), HOODIE_SIZES, HOODIE_PLACEHOLDERS, {32902}, 2190, 680),
        },
    },
    400: {
        "blueprint": _blueprint(400, "Kiss-Cut Stickers", "Generic brand", "Kiss-Cut Sticker"),
        "providers": {99: _stickers({40001})},
    },
}


# blueprint id -> shipping profiles (countries, first item, additional item), cents in USD; every
# offered variant of the blueprint ships by each profile, as Printify's shipping.json lists them.
DEFAULT_SHIPPING = ((["US"], 475, 240), (["REST_OF_THE_WORLD"], 1000, 500))
SHIPPING: dict[int, tuple[tuple[list[str], int, int], ...]] = {
    6: ((["US"], 475, 240), (["CA"], 939, 439), (["REST_OF_THE_WORLD"], 1000, 500)),
    77: ((["US"], 849, 209), (["CA"], 1399, 699), (["REST_OF_THE_WORLD"], 1599, 799)),
    384: ((["US"], 599, 150), (["REST_OF_THE_WORLD"], 1299, 400)),
    400: ((["US"], 199, 19), (["REST_OF_THE_WORLD"], 399, 49)),
}


def _option_value_ids() -> dict[tuple[str, str], int]:
    """A stable id per (option, value), numbered in catalog order from 501."""
    ids: dict[tuple[str, str], int] = {}
    for entry in CATALOG.values():
        for variants in entry["providers"].values():
            for variant in variants:
                for item in variant["options"].items():
                    ids.setdefault(item, 501 + len(ids))
    return ids


OPTION_VALUE_IDS = _option_value_ids()
_SHOP, _PRODUCT = "/v1/shops/{shop}", "/v1/shops/{shop}/products/{pid}"
_BLUEPRINT = "/v1/catalog/blueprints/{bid}"
# (method, path, route name); each route is served by the emulator's method of the same name, and
# its name is what `faults`, `status_override` and the stats use.
API_ROUTES = (
    ("GET", "/v1/shops.json", "shops"),
    ("POST", "/v1/uploads/images.json", "upload"),
    ("GET", "/v1/uploads.json", "list_uploads"),
    ("GET", "/v1/uploads/{uid}.json", "get_upload"),
    ("POST", "/v1/uploads/{uid}/archive.json", "archive_upload"),
    ("GET", "/v1/catalog/blueprints.json", "catalog_blueprints"),
    ("GET", _BLUEPRINT + ".json", "catalog_blueprint"),
    ("GET", _BLUEPRINT + "/print_providers.json", "catalog_blueprint_providers"),
    ("GET", _BLUEPRINT + "/print_providers/{ppid}/variants.json", "catalog_variants"),
    ("GET", _BLUEPRINT + "/print_providers/{ppid}/shipping.json", "catalog_shipping"),
    ("GET", "/v1/catalog/print_providers.json", "catalog_providers"),
    ("GET", "/v1/catalog/print_providers/{ppid}.json", "catalog_provider"),
    ("GET", _SHOP + "/products.json", "list_products"),
    ("POST", _SHOP + "/products.json", "create_product"),
    ("GET", _PRODUCT + ".json", "get_product"),
    ("PUT", _PRODUCT + ".json", "update_product"),
    ("DELETE", _PRODUCT + ".json", "delete_product"),
    ("POST", _PRODUCT + "/publish.json", "publish"),
    ("POST", _PRODUCT + "/publishing_succeeded.json", "publishing_succeeded"),
    ("POST", _PRODUCT + "/publishing_failed.json", "publishing_failed"),
    ("POST", _PRODUCT + "/unpublish.json", "unpublish"),
    ("GET", _SHOP + "/webhooks.json", "list_webhooks"),
    ("POST", _SHOP + "/webhooks.json", "create_webhook"),
    ("PUT", _SHOP + "/webhooks/{wid}.json", "update_webhook"),
    ("DELETE", _SHOP + "/webhooks/{wid}.json", "delete_webhook"),
)
ROUTES = (*(name for _, _, name in API_ROUTES), "unknown")
SCOPES = frozenset({*ROUTES, "catalog", "any"})


@dataclass
class Config:
    """Every knob; durations are seconds."""

    global_limit: int = 600
    global_window: float = 60.0
    catalog_limit: int = 100
    catalog_window: float = 60.0
    publish_limit: int = 200
    publish_window: float = 1800.0
    send_retry_after: bool = True
    max_upload_bytes: int = 20 * MB
    url_fetch_timeout: float = 10.0
    url_upload_metadata: dict[str, Any] = field(
        default_factory=lambda: {
            "width": 4500,
            "height": 5400,
            "size": 2_500_000,
            "mime_type": "image/png",
        }
    )
    webhook_attempts: int = 3
    webhook_retry_interval: float = 0.5
    seed: int = 0
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    status_override: dict[str, int] = field(default_factory=dict)


@dataclass
class Product:
    """A product: its validated request (`spec`) and the state Printify keeps beside it."""

    id: str
    spec: dict[str, Any]
    created_at: str
    updated_at: str
    visible: bool = False
    is_locked: bool = False
    external: dict[str, str] | None = None


class Invalid(Exception):
    """A request failed validation; the message is Printify's `errors.reason` (400/8150)."""


def _error(
    status: int,
    reason: str | None = None,
    *,
    code: int | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Printify's error envelope."""
    code = code or status
    message = MESSAGES.get(status, "Error")
    body = {
        "status": "error",
        "code": code,
        "message": message,
        "errors": {"reason": reason or message, "code": code},
    }
    return web.json_response(body, status=status, headers=headers)


def _new_id() -> str:
    """A 24-hex id shaped like a Mongo ObjectId: seconds, then random bytes."""
    return f"{int(time.time()):08x}{os.urandom(8).hex()}"


def _now(zone: bool) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp}+00:00" if zone else stamp


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _png(width: int, height: int, key: str) -> bytes:
    """A small solid-colour PNG whose colour depends on `key`."""
    colour = tuple(hashlib.sha256(key.encode()).digest()[:3])
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def image_metadata(data: bytes) -> dict[str, Any]:
    """Width, height, size and MIME type of PNG or JPEG bytes; `Invalid` for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            kind, (width, height) = picture.format, picture.size
            picture.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid(f"file: The file is not a readable image ({exc}).") from exc
    if kind not in {"PNG", "JPEG"}:
        raise Invalid(f"file: Images must be PNG or JPEG, not {kind}.")
    return {"width": width, "height": height, "size": len(data), "mime_type": Image.MIME[kind]}


def paginate(items: list[Any], request: web.Request) -> dict[str, Any]:
    """Laravel's paginator envelope with Printify's relative `*_url` strings."""
    try:
        page = int(request.query.get("page", "1"))
        limit = int(request.query.get("limit", "10"))
    except ValueError as exc:
        raise Invalid("page: The page and limit must be integers.") from exc
    if page < 1:
        raise Invalid("page: The page must be at least 1.")
    limit = min(max(limit, 1), MAX_PAGE_SIZE)
    total = len(items)
    last = max(1, math.ceil(total / limit))
    start = (page - 1) * limit
    data = items[start : start + limit]
    return {
        "current_page": page,
        "data": data,
        "first_page_url": "/?page=1",
        "from": start + 1 if data else None,
        "last_page": last,
        "last_page_url": f"/?page={last}",
        "next_page_url": f"/?page={page + 1}" if page < last else None,
        "path": "/",
        "per_page": limit,
        "prev_page_url": f"/?page={page - 1}" if page > 1 else None,
        "to": start + len(data) if data else None,
        "total": total,
    }


def validate_product(payload: dict[str, Any], uploads: dict[str, dict]) -> dict[str, Any]:
    """The create body, checked against the catalog and the uploads, in request shape."""
    title, description = payload.get("title"), payload.get("description")
    if not isinstance(title, str) or not title.strip():
        raise Invalid("title: The title field is required.")
    if not isinstance(description, str):
        raise Invalid("description: The description field is required.")
    tags = payload.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise Invalid("tags: The tags must be a list of strings.")
    bid, ppid = payload.get("blueprint_id"), payload.get("print_provider_id")
    if not _is_int(bid) or bid not in CATALOG:
        raise Invalid(f"blueprint_id: blueprint {bid} does not exist")
    if not _is_int(ppid) or ppid not in CATALOG[bid]["providers"]:
        raise Invalid(f"print_provider_id: print provider {ppid} does not offer blueprint {bid}")
    offered = {variant["id"]: variant for variant in CATALOG[bid]["providers"][ppid]}
    variants = payload.get("variants")
    if not isinstance(variants, list) or not variants:
        raise Invalid("variants: The variants field is required.")
    chosen: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(variants):
        item = item if isinstance(item, dict) else {}
        vid, price, enabled = item.get("id"), item.get("price"), item.get("is_enabled", True)
        if not _is_int(vid) or vid not in offered:
            raise Invalid(
                f"variants.{i}.id: variant {vid} is not offered by provider {ppid} for blueprint {bid}"
            )
        if vid in chosen:
            raise Invalid(f"variants.{i}.id: variant {vid} is listed more than once")
        if not _is_int(price) or price < 0:
            raise Invalid(f"variants.{i}.price: The price must be a non-negative integer.")
        if not isinstance(enabled, bool):
            raise Invalid(f"variants.{i}.is_enabled: The is_enabled field must be a boolean.")
        chosen[vid] = {"id": vid, "price": price, "is_enabled": enabled}
    areas = payload.get("print_areas")
    if not isinstance(areas, list) or not areas:
        raise Invalid("print_areas: The print areas field is required.")
    placed: dict[int, int] = {}
    normal = [
        _validate_area(i, area, chosen, offered, uploads, placed) for i, area in enumerate(areas)
    ]
    return {
        "title": title,
        "description": description,
        "tags": list(tags),
        "blueprint_id": bid,
        "print_provider_id": ppid,
        "variants": list(chosen.values()),
        "print_areas": normal,
    }


def _validate_area(
    i: int,
    area: object,
    chosen: dict[int, dict],
    offered: dict[int, dict],
    uploads: dict[str, dict],
    placed: dict[int, int],
) -> dict[str, Any]:
    where = f"print_areas.{i}"
    area = area if isinstance(area, dict) else {}
    vids = area.get("variant_ids")
    if not isinstance(vids, list) or not vids:
        raise Invalid(f"{where}.variant_ids: The variant ids field is required.")
    for j, vid in enumerate(vids):
        if not _is_int(vid) or vid not in chosen:
            raise Invalid(
                f"{where}.variant_ids.{j}: variant {vid} is not in the product's variants"
            )
        if vid in placed:
            raise Invalid(f"{where}.variant_ids.{j}: variant {vid} is in print area {placed[vid]}")
        placed[vid] = i
    placeholders = area.get("placeholders")
    if not isinstance(placeholders, list) or not placeholders:
        raise Invalid(f"{where}.placeholders: The placeholders field is required.")
    normal = []
    for k, placeholder in enumerate(placeholders):
        here = f"{where}.placeholders.{k}"
        placeholder = placeholder if isinstance(placeholder, dict) else {}
        position = placeholder.get("position")
        for vid in vids:
            if position not in {p["position"] for p in offered[vid]["placeholders"]}:
                raise Invalid(
                    f"{here}.position: position {position!r} is not offered by variant {vid}"
                )
        images = placeholder.get("images")
        if not isinstance(images, list):
            raise Invalid(f"{here}.images: The images field is required.")
        checked = []
        for m, image in enumerate(images):
            image = image if isinstance(image, dict) else {}
            if not isinstance(image.get("id"), str) or image["id"] not in uploads:
                raise Invalid(f"{here}.images.{m}.id: upload {image.get('id')} does not exist")
            for key in ("x", "y", "scale", "angle"):
                if not _is_number(image.get(key)):
                    raise Invalid(f"{here}.images.{m}.{key}: The {key} must be a number.")
            checked.append({key: image[key] for key in ("id", "x", "y", "scale", "angle")})
        normal.append({"position": position, "images": checked})
    background = area.get("background", "#ffffff")
    return {"variant_ids": list(vids), "placeholders": normal, "background": background}


def product_view(product: Product, uploads: dict[str, dict], shop_id: int, base_url: str) -> dict:
    """The full Printify `Product` object."""
    spec = product.spec
    bid, ppid = spec["blueprint_id"], spec["print_provider_id"]
    offered = CATALOG[bid]["providers"][ppid]
    chosen = {variant["id"]: variant for variant in spec["variants"]}
    enabled = [vid for vid, variant in chosen.items() if variant["is_enabled"]]
    variants = []
    for variant in offered:
        mine = chosen.get(variant["id"])
        variants.append(
            {
                "id": variant["id"],
                "sku": f"{product.id[-10:].upper()}-{variant['id']}",
                "cost": variant["cost"],
                "price": mine["price"] if mine else math.ceil(variant["cost"] * 1.5),
                "title": variant["title"],
                "grams": variant["grams"],
                "is_enabled": bool(mine and mine["is_enabled"]),
                "is_default": bool(enabled) and variant["id"] == enabled[0],
                "is_available": variant["in_stock"],
                "is_printify_express_eligible": False,
                "options": [OPTION_VALUE_IDS[item] for item in variant["options"].items()],
            }
        )
    options = []
    for key in offered[0]["options"]:
        values = dict.fromkeys(variant["options"][key] for variant in offered)
        options.append(
            {
                "name": OPTION_NAMES.get(key, key.title()),
                "type": key,
                "values": [{"id": OPTION_VALUE_IDS[(key, v)], "title": v} for v in values],
            }
        )
    images: list[dict[str, Any]] = []
    for area in spec["print_areas"]:
        ids = [vid for vid in area["variant_ids"] if chosen[vid]["is_enabled"]]
        for placeholder in area["placeholders"]:
            if placeholder["images"] and ids:
                images.append(
                    {
                        "src": f"{base_url}/_emulator/mockups/{product.id}/{len(images)}.png",
                        "variant_ids": ids,
                        "position": placeholder["position"],
                        "is_default": not images,
                        "is_selected_for_publishing": True,
                    }
                )
    print_areas = [
        {
            **area,
            "placeholders": [
                {
                    "position": placeholder["position"],
                    "images": [_placed_image(image, uploads) for image in placeholder["images"]],
                }
                for placeholder in area["placeholders"]
            ],
        }
        for area in spec["print_areas"]
    ]
    view: dict[str, Any] = {
        "id": product.id,
        "title": spec["title"],
        "description": spec["description"],
        "tags": spec["tags"],
        "options": options,
        "variants": variants,
        "images": images,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "visible": product.visible,
        "is_locked": product.is_locked,
        "blueprint_id": bid,
        "print_provider_id": ppid,
        "user_id": 1,
        "shop_id": shop_id,
        "print_areas": print_areas,
        "sales_channel_properties": [],
        "is_printify_express_eligible": False,
        "is_printify_express_enabled": False,
    }
    if product.external is not None:
        view["external"] = product.external
    return view


def _placed_image(image: dict[str, Any], uploads: dict[str, dict]) -> dict[str, Any]:
    upload = uploads[image["id"]]
    return {
        "id": image["id"],
        "name": upload["file_name"],
        "type": upload["mime_type"],
        "height": upload["height"],
        "width": upload["width"],
        **{key: image[key] for key in ("x", "y", "scale", "angle")},
    }


class PrintifyEmulator:
    """One account with one shop: uploads, products, webhooks, limits and injected faults."""

    def __init__(self, *, token: str, shop_id: int, shop_title: str, defaults: Config) -> None:
        self.token = token
        self.shop_id = shop_id
        self.shop_title = shop_title
        self.defaults = defaults
        self.base_url = ""
        self.session: ClientSession | None = None
        self.deliveries: set[asyncio.Task[None]] = set()
        self.generation = 0
        self.in_flight = 0  # /v1 requests being handled now (a reset does not end them)
        self._reset()

    def _reset(self) -> None:
        for delivery in self.deliveries:
            delivery.cancel()
        self.generation += 1
        self.config = copy.deepcopy(self.defaults)
        self.rng = random.Random(self.config.seed)
        self.uploads: dict[str, dict[str, Any]] = {}
        self.upload_bytes: dict[str, bytes] = {}
        self.archived: set[str] = set()
        self.products: dict[str, Product] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.windows: dict[str, deque[float]] = defaultdict(deque)
        self.requests: Counter[str] = Counter()
        self.responses: dict[str, Counter[str]] = defaultdict(Counter)
        self.calls: Counter[str] = Counter()  # per fault scope, since `faults` was last set
        self.rate_limited: Counter[str] = Counter()
        self.publishes: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()
        self.log: deque[dict[str, Any]] = deque(maxlen=1000)
        self.events: deque[dict[str, Any]] = deque(maxlen=1000)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * MB, middlewares=[self.middleware])
        api = [
            web.route(method, path, getattr(self, name), name=name)
            for method, path, name in API_ROUTES
        ]
        control = [
            web.get("/_emulator/config", self.get_config),
            web.post("/_emulator/config", self.set_config),
            web.get("/_emulator/stats", self.stats),
            web.get("/_emulator/products", self.all_products),
            web.get("/_emulator/requests", self.request_log),
            web.get("/_emulator/events", self.event_log),
            web.get("/_emulator/mockups/{pid}/{n}.png", self.mockup),
            web.get("/_emulator/uploads/{uid}/preview", self.preview),
        ]
        app.add_routes(api + control)
        app.on_startup.append(self._start_session)
        app.on_cleanup.append(self._close)
        return app

    async def _start_session(self, _app: web.Application) -> None:
        self.session = ClientSession()

    async def _close(self, _app: web.Application) -> None:
        for delivery in self.deliveries:
            delivery.cancel()
        if self.session:
            await self.session.close()

    # ---- middleware: limits, faults, auth, the error envelope -----------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Answer every error in the envelope; /v1 requests also pass limits, faults and auth."""
        api = request.path.startswith("/v1/")
        route = (request.match_info.route.name or "unknown") if api else "control"
        if api:
            self.in_flight += 1
            self.counters["max_in_flight"] = max(self.counters["max_in_flight"], self.in_flight)
        try:
            if api:
                response = await self._serve(request, handler, route)
            else:
                response = await handler(request)
        except Invalid as exc:
            response = _error(400, str(exc), code=8150)
        except web.HTTPException as exc:
            response = _error(exc.status)
        finally:
            if api:
                self.in_flight -= 1
        if api:
            self.responses[route][str(response.status)] += 1
            self.log.append(
                {
                    "method": request.method,
                    "path": request.path_qs,
                    "route": route,
                    "status": response.status,
                    "time": time.time(),
                }
            )
        return response

    async def _serve(self, request: web.Request, handler: Any, route: str) -> web.StreamResponse:
        generation = self.generation
        scopes = self._scopes(route)
        self.requests[route] += 1
        self.calls.update(scopes)
        if latency := self._fault(scopes, "latency"):
            await asyncio.sleep(latency)
        if hang := self._fault(scopes, "hang"):
            await asyncio.sleep(hang)
            return _error(504)
        if generation != self.generation:
            return _error(503, "the emulator was reset while this request waited")
        if self._chance(self._fault(scopes, "rate_limit_ratio")):
            self.rate_limited["injected"] += 1
            return self._too_many_requests(1.0)
        wait = self._take_slots(request.path, route)
        if wait is not None:
            return self._too_many_requests(wait)
        status = next(
            (self.config.status_override[s] for s in scopes if s in self.config.status_override),
            None,
        )
        if status is not None:
            return _error(status)
        if self._nth(scopes):
            self.counters["injected_failures"] += 1
            return _error(500)
        if self._chance(self._fault(scopes, "fail_ratio")):
            self.counters["injected_failures"] += 1
            return _error(self.rng.choice((500, 502, 503)))
        if route == "unknown":
            exception = request.match_info.http_exception
            return _error(exception.status if exception else 404)
        if not self._authorized(request):
            return _error(401)
        if "shop" in request.match_info and request.match_info["shop"] != str(self.shop_id):
            return _error(404, "Shop not found.")
        response = await handler(request)
        if response.status < 400 and self._lose(scopes):
            self.counters["lost_responses"] += 1
            return _error(502)
        return response

    @staticmethod
    def _scopes(route: str) -> list[str]:
        group = ["catalog"] if route.startswith("catalog_") else []
        return [route, *group, "any"]

    def _fault(self, scopes: list[str], key: str) -> Any:
        for scope in scopes:
            spec = self.config.faults.get(scope, {})
            if key in spec:
                return spec[key]
        return None

    def _chance(self, ratio: float | None) -> bool:
        return bool(ratio) and self.rng.random() < float(ratio)  # type: ignore[arg-type]

    def _nth(self, scopes: list[str]) -> bool:
        for scope in scopes:
            nth = self.config.faults.get(scope, {}).get("fail_nth")
            wanted = nth if isinstance(nth, list) else [nth]
            if self.calls[scope] in wanted:
                return True
        return False

    def _lose(self, scopes: list[str]) -> bool:
        for scope in scopes:
            spec = self.config.faults.get(scope, {})
            if spec.get("lost_responses", 0) > 0:
                spec["lost_responses"] -= 1
                return True
        return self._chance(self._fault(scopes, "lost_response_ratio"))

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.token.encode()
        )

    def _take_slots(self, path: str, route: str) -> float | None:
        """Seconds until every applicable window has room, or None after taking a slot in each."""
        names = ["global"]
        if path.startswith("/v1/catalog/"):
            names.append("catalog")
        if route == "publish":
            names.append("publish")
        now = time.monotonic()
        waits = {}
        for name in names:
            limit = int(getattr(self.config, f"{name}_limit"))
            window = float(getattr(self.config, f"{name}_window"))
            hits = self.windows[name]
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                waits[name] = hits[-limit] + window - now if limit > 0 else window
        if waits:
            self.rate_limited.update(waits.keys())
            return max(waits.values())
        for name in names:
            self.windows[name].append(now)
        return None

    def _too_many_requests(self, wait: float) -> web.Response:
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        return _error(429, headers=headers if self.config.send_retry_after else None)

    # ---- shops and uploads ----------------------------------------------------------------------

    async def shops(self, _request: web.Request) -> web.Response:
        shop = {"id": self.shop_id, "title": self.shop_title, "sales_channel": "custom_integration"}
        return web.json_response([shop])

    async def upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        if len(body) > self.config.max_upload_bytes:
            return _error(413, f"The request body exceeds {self.config.max_upload_bytes} bytes.")
        payload = _parse_object(body)
        file_name, url, contents = (payload.get(k) for k in ("file_name", "url", "contents"))
        if not isinstance(file_name, str) or not file_name:
            raise Invalid("file_name: The file name field is required.")
        if (url is None) == (contents is None):
            raise Invalid("url: Exactly one of url or contents is required.")
        data: bytes | None = None
        if contents is not None:
            try:
                data = (
                    base64.b64decode(contents, validate=True) if isinstance(contents, str) else b""
                )
            except (binascii.Error, ValueError) as exc:
                raise Invalid("contents: The contents must be valid base64.") from exc
            if not data:
                raise Invalid("contents: The contents must be valid base64.")
        elif not isinstance(url, str) or urlsplit(url).scheme not in {"http", "https"}:
            raise Invalid("url: The url must be a valid URL.")
        elif urlsplit(url).hostname in LOOPBACK:
            data = await self._fetch(url)
        fabricated = dict(self.config.url_upload_metadata)
        metadata = image_metadata(data) if data is not None else fabricated
        upload_id = _new_id()
        self.uploads[upload_id] = {
            "id": upload_id,
            "file_name": file_name,
            "height": metadata["height"],
            "width": metadata["width"],
            "size": metadata["size"],
            "mime_type": metadata["mime_type"],
            "preview_url": f"{self.base_url}/_emulator/uploads/{upload_id}/preview",
            "upload_time": _now(zone=False),
        }
        if data is not None:
            self.upload_bytes[upload_id] = data
        return web.json_response(self.uploads[upload_id])

    async def _fetch(self, url: str) -> bytes:
        """Download a loopback URL as Printify would fetch a public one."""
        assert self.session is not None
        limit = self.config.max_upload_bytes
        try:
            timeout = ClientTimeout(total=self.config.url_fetch_timeout)
            async with self.session.get(url, timeout=timeout) as response:
                if response.status != 200:
                    raise Invalid(
                        f"url: The image could not be downloaded (HTTP {response.status})."
                    )
                data = bytearray()
                async for chunk in response.content.iter_any():
                    data += chunk
                    if len(data) > limit:
                        break
        except (ClientError, TimeoutError) as exc:
            raise Invalid(f"url: The image could not be downloaded ({exc!r}).") from exc
        if len(data) > limit:
            raise Invalid(f"url: The image is larger than {limit} bytes.")
        return bytes(data)

    async def list_uploads(self, request: web.Request) -> web.Response:
        listed = [u for uid, u in reversed(self.uploads.items()) if uid not in self.archived]
        return web.json_response(paginate(listed, request))

    async def get_upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["uid"])
        return web.json_response(upload) if upload else _error(404, "Upload not found.")

    async def archive_upload(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["uid"]
        if upload_id not in self.uploads:
            return _error(404, "Upload not found.")
        self.archived.add(upload_id)
        return web.json_response({})

    # ---- catalog --------------------------------------------------------------------------------

    async def catalog_blueprints(self, _request: web.Request) -> web.Response:
        return web.json_response([entry["blueprint"] for entry in CATALOG.values()])

    async def catalog_blueprint(self, request: web.Request) -> web.Response:
        entry = CATALOG.get(_int_param(request, "bid"))
        return (
            web.json_response(entry["blueprint"]) if entry else _error(404, "Blueprint not found.")
        )

    async def catalog_blueprint_providers(self, request: web.Request) -> web.Response:
        entry = CATALOG.get(_int_param(request, "bid"))
        if not entry:
            return _error(404, "Blueprint not found.")
        return web.json_response(
            [{"id": p, "title": PRINT_PROVIDERS[p]["title"]} for p in entry["providers"]]
        )

    def _offered(self, request: web.Request) -> list[dict[str, Any]] | None:
        entry = CATALOG.get(_int_param(request, "bid"))
        return entry["providers"].get(_int_param(request, "ppid")) if entry else None

    async def catalog_variants(self, request: web.Request) -> web.Response:
        offered = self._offered(request)
        if offered is None:
            return _error(404, "Print provider does not offer this blueprint.")
        show_all = request.query.get("show-out-of-stock") in {"1", "true"}
        public = ("id", "title", "options", "placeholders")
        listed = [
            {key: variant[key] for key in public}
            for variant in offered
            if show_all or variant["in_stock"]
        ]
        ppid = _int_param(request, "ppid")
        body = {"id": ppid, "title": PRINT_PROVIDERS[ppid]["title"], "variants": listed}
        return web.json_response(body)

    async def catalog_shipping(self, request: web.Request) -> web.Response:
        offered = self._offered(request)
        if offered is None:
            return _error(404, "Print provider does not offer this blueprint.")
        bid = _int_param(request, "bid")
        ids = [variant["id"] for variant in offered]
        profiles = [
            {
                "variant_ids": ids,
                "first_item": {"cost": first, "currency": "USD"},
                "additional_items": {"cost": more, "currency": "USD"},
                "countries": countries,
            }
            for countries, first, more in SHIPPING.get(bid, DEFAULT_SHIPPING)
        ]
        return web.json_response(
            {"handling_time": {"value": 3, "unit": "day"}, "profiles": profiles}
        )

    async def catalog_providers(self, _request: web.Request) -> web.Response:
        return web.json_response(list(PRINT_PROVIDERS.values()))

    async def catalog_provider(self, request: web.Request) -> web.Response:
        ppid = _int_param(request, "ppid")
        if ppid not in PRINT_PROVIDERS:
            return _error(404, "Print provider not found.")
        blueprints = [e["blueprint"] for e in CATALOG.values() if ppid in e["providers"]]
        return web.json_response({**PRINT_PROVIDERS[ppid], "blueprints": blueprints})

    # ---- products -------------------------------------------------------------------------------

    def _view(self, product: Product) -> dict[str, Any]:
        return product_view(product, self.uploads, self.shop_id, self.base_url)

    def _product(self, request: web.Request) -> Product | web.Response:
        product = self.products.get(request.match_info["pid"])
        return product if product else _error(404, "Product not found.")

    async def list_products(self, request: web.Request) -> web.Response:
        listed = [self._view(product) for product in reversed(self.products.values())]
        return web.json_response(paginate(listed, request))

    async def create_product(self, request: web.Request) -> web.Response:
        spec = validate_product(_parse_object(await request.read()), self.uploads)
        now = _now(zone=True)
        product = Product(id=_new_id(), spec=spec, created_at=now, updated_at=now)
        self.products[product.id] = product
        return web.json_response(self._view(product))

    async def get_product(self, request: web.Request) -> web.Response:
        product = self._product(request)
        return (
            product if isinstance(product, web.Response) else web.json_response(self._view(product))
        )

    async def update_product(self, request: web.Request) -> web.Response:
        product = self._product(request)
        if isinstance(product, web.Response):
            return product
        if product.is_locked:
            return _error(400, "Product is disabled for editing", code=8252)
        payload = _parse_object(await request.read())
        for key in ("blueprint_id", "print_provider_id"):
            if key in payload and payload[key] != product.spec[key]:
                raise Invalid(f"{key}: The {key} cannot be changed.")
        changes = {key: payload[key] for key in PRODUCT_FIELDS if key in payload}
        product.spec = validate_product({**product.spec, **changes}, self.uploads)
        product.updated_at = _now(zone=True)
        return web.json_response(self._view(product))

    async def delete_product(self, request: web.Request) -> web.Response:
        product = self._product(request)
        if isinstance(product, web.Response):
            return product
        del self.products[product.id]
        data = {"shop_id": self.shop_id}
        self._emit("product:deleted", {"id": product.id, "type": "product", "data": data})
        return web.json_response({})

    async def publish(self, request: web.Request) -> web.Response:
        product = self._product(request)
        if isinstance(product, web.Response):
            return product
        body = await request.read()
        payload = _parse_object(body) if body.strip() else {}
        for key, value in payload.items():
            if not isinstance(value, bool):
                raise Invalid(f"{key}: The {key} field must be true or false.")
        action = "create" if product.external is None else "update"
        product.is_locked = True
        self.publishes[product.id] += 1
        details = {event: payload.get(name, False) for name, event in PUBLISH_FIELDS.items()}
        data = {
            "shop_id": self.shop_id,
            "publish_details": details,
            "action": action,
            "out_of_stock_publishing": 0,
        }
        self._emit("product:publish:started", {"id": product.id, "type": "product", "data": data})
        return web.json_response({})

    async def publishing_succeeded(self, request: web.Request) -> web.Response:
        product = self._product(request)
        if isinstance(product, web.Response):
            return product
        external = _parse_object(await request.read()).get("external")
        if not isinstance(external, dict) or not all(
            isinstance(external.get(key), str) for key in ("id", "handle")
        ):
            raise Invalid("external: The external field needs string id and handle.")
        product.external = {"id": external["id"], "handle": external["handle"]}
        product.is_locked, product.visible = False, True
        return web.json_response({})

    async def publishing_failed(self, request: web.Request) -> web.Response:
        product = self._product(request)
        if isinstance(product, web.Response):
            return product
        if not isinstance(_parse_object(await request.read()).get("reason"), str):
            raise Invalid("reason: The reason field is required.")
        product.is_locked = False
        return web.json_response({})

    async def unpublish(self, request: web.Request) -> web.Response:
        product = self._product(request)
        if isinstance(product, web.Response):
            return product
        product.visible = False
        return web.json_response({})

    # ---- webhooks -------------------------------------------------------------------------------

    def _hook_view(self, hook: dict[str, Any]) -> dict[str, Any]:
        return {key: hook[key] for key in ("id", "topic", "url", "shop_id")}

    async def list_webhooks(self, _request: web.Request) -> web.Response:
        return web.json_response([self._hook_view(hook) for hook in self.webhooks.values()])

    async def create_webhook(self, request: web.Request) -> web.Response:
        payload = _parse_object(await request.read())
        topic, url, secret = payload.get("topic"), payload.get("url"), payload.get("secret")
        if topic not in TOPICS:
            raise Invalid("topic: The selected topic is invalid.")
        _check_url(url)
        if secret is not None and not isinstance(secret, str):
            raise Invalid("secret: The secret must be a string.")
        hook = {"id": _new_id(), "topic": topic, "url": url, "shop_id": str(self.shop_id)}
        self.webhooks[hook["id"]] = {**hook, "secret": secret}
        return web.json_response(hook)

    async def update_webhook(self, request: web.Request) -> web.Response:
        hook = self.webhooks.get(request.match_info["wid"])
        if hook is None:
            return _error(404, "Webhook not found.")
        url = _parse_object(await request.read()).get("url")
        _check_url(url)
        hook["url"] = url
        return web.json_response(self._hook_view(hook))

    async def delete_webhook(self, request: web.Request) -> web.Response:
        hook = self.webhooks.pop(request.match_info["wid"], None)
        return web.json_response({"id": hook["id"]}) if hook else _error(404, "Webhook not found.")

    def _emit(self, topic: str, resource: dict[str, Any]) -> None:
        """Send the event to every webhook on `topic`, in the background."""
        event = {
            "id": str(uuid.uuid4()),
            "type": topic,
            "created_at": _now(zone=True),
            "resource": resource,
        }
        for hook in self.webhooks.values():
            if hook["topic"] == topic:
                delivery = asyncio.get_running_loop().create_task(self._deliver(hook, event))
                self.deliveries.add(delivery)
                delivery.add_done_callback(self.deliveries.discard)

    async def _deliver(self, hook: dict[str, Any], event: dict[str, Any]) -> None:
        """POST the event, signed when the hook has a secret; retry a non-2xx answer."""
        assert self.session is not None
        body = json.dumps(event).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "Printify-Webhooks/emulator"}
        if hook["secret"]:
            digest = hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
            headers["X-Pfy-Signature"] = f"sha256={digest}"
        record = {"event": event, "url": hook["url"], "statuses": [], "delivered": False}
        self.events.append(record)
        for attempt in range(max(1, self.config.webhook_attempts)):
            if attempt:
                await asyncio.sleep(self.config.webhook_retry_interval)
            self.counters["webhook_attempts"] += 1
            try:
                timeout = ClientTimeout(total=10)
                async with self.session.post(
                    hook["url"], data=body, headers=headers, timeout=timeout
                ) as response:
                    record["statuses"].append(response.status)
                    if 200 <= response.status < 300:
                        record["delivered"] = True
                        self.counters["webhook_deliveries"] += 1
                        return
            except (ClientError, TimeoutError) as exc:
                record["statuses"].append(repr(exc))

    # ---- control ----------------------------------------------------------------------------

    async def get_config(self, _request: web.Request) -> web.Response:
        return web.json_response(dataclasses.asdict(self.config))

    async def set_config(self, request: web.Request) -> web.Response:
        knobs = await request.json()
        if not isinstance(knobs, dict):
            return _error(400, "config must be a JSON object")
        reset = knobs.pop("reset", False)
        for key, value in knobs.items():
            problem = _knob_problem(key, value)
            if problem:
                return _error(400, problem)
        if reset:
            self._reset()
        for key, value in copy.deepcopy(knobs).items():
            setattr(self.config, key, value)
            if key == "seed":
                self.rng = random.Random(value)
            if key == "faults":
                self.calls.clear()
        return web.json_response(dataclasses.asdict(self.config))

    async def stats(self, _request: web.Request) -> web.Response:
        statuses: Counter[str] = Counter()
        for counts in self.responses.values():
            statuses.update(counts)
        total = sum(statuses.values())
        errors = sum(n for status, n in statuses.items() if int(status) >= 400)
        now = time.monotonic()
        windows = {
            name: sum(1 for hit in self.windows[name] if hit > now - window)
            for name, window in (
                ("global", self.config.global_window),
                ("catalog", self.config.catalog_window),
                ("publish", self.config.publish_window),
            )
        }
        body = {
            "requests": dict(self.requests),
            "responses": {route: dict(counts) for route, counts in self.responses.items()},
            "statuses": dict(statuses),
            "total": total,
            "errors": errors,
            "errors_ratio": errors / total if total else 0.0,
            "rate_limited": statuses["429"],
            "rate_limited_by": dict(self.rate_limited),
            "window_hits": windows,
            "injected_failures": self.counters["injected_failures"],
            "lost_responses": self.counters["lost_responses"],
            "max_in_flight": self.counters["max_in_flight"],
            "products": len(self.products),
            "locked_products": sum(1 for p in self.products.values() if p.is_locked),
            "publishes": dict(self.publishes),
            "uploads": len(self.uploads),
            "archived_uploads": len(self.archived),
            "webhooks": len(self.webhooks),
            "webhook_attempts": self.counters["webhook_attempts"],
            "webhook_deliveries": self.counters["webhook_deliveries"],
        }
        return web.json_response(body)

    async def all_products(self, _request: web.Request) -> web.Response:
        listed = [
            {**self._view(product), "publish_count": self.publishes[product.id]}
            for product in reversed(self.products.values())
        ]
        return web.json_response(listed)

    async def request_log(self, request: web.Request) -> web.Response:
        try:
            limit = max(0, int(request.query.get("limit", "100")))
        except ValueError:
            return _error(400, "limit must be an integer")
        entries = list(self.log)
        return web.json_response(entries[-limit:] if limit else [])

    async def event_log(self, _request: web.Request) -> web.Response:
        return web.json_response(list(self.events))

    async def mockup(self, request: web.Request) -> web.Response:
        product = self.products.get(request.match_info["pid"])
        n = _int_param(request, "n")
        if product is None or n is None or not 0 <= n < len(self._view(product)["images"]):
            return _error(404, "Mockup not found.")
        return web.Response(body=_png(64, 64, f"{product.id}/{n}"), content_type="image/png")

    async def preview(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["uid"])
        if upload is None:
            return _error(404, "Upload not found.")
        data = self.upload_bytes.get(upload["id"]) or _png(32, 32, upload["id"])
        mime = upload["mime_type"] if upload["id"] in self.upload_bytes else "image/png"
        return web.Response(body=data, content_type=mime)


def _parse_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise Invalid("body: The request body must be valid JSON.") from exc
    if not isinstance(payload, dict):
        raise Invalid("body: The request body must be a JSON object.")
    return payload


def _check_url(url: object) -> None:
    if not isinstance(url, str) or urlsplit(url).scheme not in {"http", "https"}:
        raise Invalid("url: The url must be a valid URL.")


def _int_param(request: web.Request, name: str) -> int | None:
    try:
        return int(request.match_info[name])
    except ValueError:
        return None


def _knob_problem(key: str, value: object) -> str | None:
    """Why a knob value is refused, or None."""
    defaults = Config()
    if not hasattr(defaults, key):
        return f"unknown knob {key!r}"
    if key == "faults":
        return _faults_problem(value)
    if key == "status_override":
        ok = isinstance(value, dict) and all(
            scope in SCOPES and _is_int(status) and 400 <= status <= 599
            for scope, status in value.items()
        )
        return None if ok else "status_override maps a route to a status from 400 to 599"
    if key == "url_upload_metadata":
        ok = isinstance(value, dict) and set(value) == {"width", "height", "size", "mime_type"}
        return None if ok else "url_upload_metadata needs width, height, size and mime_type"
    current = getattr(defaults, key)
    if isinstance(current, bool):
        ok = isinstance(value, bool)
    elif isinstance(current, int):
        ok = _is_int(value) and value >= 0  # type: ignore[operator]
    else:
        ok = _is_number(value) and value >= 0  # type: ignore[operator]
    return None if ok else f"{key} has the wrong type or range"


def _faults_problem(value: object) -> str | None:
    if not isinstance(value, dict):
        return "faults maps a route to its faults"
    for scope, spec in value.items():
        if scope not in SCOPES:
            return f"unknown fault scope {scope!r}; use one of {sorted(SCOPES)}"
        if not isinstance(spec, dict) or set(spec) - FAULT_KEYS:
            return f"faults.{scope} takes only {sorted(FAULT_KEYS)}"
        for key, item in spec.items():
            if key == "fail_nth":
                items = item if isinstance(item, list) else [item]
                ok = all(_is_int(n) and n >= 1 for n in items)
            elif key == "lost_responses":
                ok = _is_int(item) and item >= 0
            elif key.endswith("ratio"):
                ok = _is_number(item) and 0 <= item <= 1
            else:
                ok = _is_number(item) and item >= 0
            if not ok:
                return f"faults.{scope}.{key} has the wrong type or range"
    return None


async def serve(host: str, port: int, emulator: PrintifyEmulator) -> None:
    runner = web.AppRunner(emulator.app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    emulator.base_url = f"http://{host}:{bound}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"LISTENING {bound}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--shop-id", type=int, default=SHOP_ID)
    parser.add_argument("--shop-title", default=SHOP_TITLE)
    defaults = Config()
    for name in ("global", "catalog", "publish"):
        limit, window = f"{name}_limit", f"{name}_window"
        parser.add_argument(f"--{name}-limit", type=int, default=getattr(defaults, limit))
        parser.add_argument(f"--{name}-window", type=float, default=getattr(defaults, window))
    args = parser.parse_args()
    limits = {
        f"{name}_{part}": getattr(args, f"{name}_{part}")
        for name in ("global", "catalog", "publish")
        for part in ("limit", "window")
    }
    emulator = PrintifyEmulator(
        token=args.token,
        shop_id=args.shop_id,
        shop_title=args.shop_title,
        defaults=Config(**limits),
    )
    asyncio.run(serve(args.host, args.port, emulator))


if __name__ == "__main__":
    main()
