"""Any JSON body, or anything sent as one, gets a parse or a documented 4xx: never a 5xx.

The body parsers (generation, edit, templates, webhooks, the shared field rules) are driven
directly, then every JSON endpoint of v1 and v2 through the test client.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import event, given
from hypothesis import strategies as st

from gateway.app import jsonbody
from gateway.app import validation as v
from gateway.app.errors import ValidationFailed
from gateway.app.generation import params
from gateway.app.publishing import templates
from gateway.app.webhooks import service as webhooks
from tests.conftest import make_settings
from tests.property.conftest import PROPERTY
from tests.property.contract import assert_documented, body_for, json_values, nested, raw_bodies

QUEUE_IMMEDIATE = False
SETTINGS = make_settings(Path("property-state-unused"))
NETWORKS = ("127.0.0.0/8",)
GENERATE = {"prompt": "a lighthouse at dusk", "width": 64, "height": 64, "seed": 7}
TEMPLATE = {
    "name": "Tee",
    "blueprint_id": 6,
    "print_provider_id": 99,
    "variants": [{"id": 12100, "price": 2499}],
    "placeholder": {"width": 300, "height": 360},
    "placement": {"x": 0.5, "y": 0.5, "scale": 1, "angle": 0},
    "position": "front",
    "title_template": "{title}",
    "description_template": "{description}",
    "tags": ["tee"],
}
WEBHOOK = {"url": "http://127.0.0.1:9/hook", "events": ["*"], "description": "d"}
PARSERS: dict[str, Any] = {
    "generate": lambda body: params.parse_generate(body, SETTINGS),
    "edit": lambda body: params.parse_edit(body, SETTINGS),
    "template": lambda body: templates.parse(v.require_object(body)),
    "webhook create": lambda body: webhooks.parse_create(body, NETWORKS),
    "webhook update": lambda body: webhooks.parse_update(body, NETWORKS),
    "image ids": v.ids,
    "tags": v.tags,
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
@PROPERTY
@given(body=st.one_of(json_values, raw_bodies))
def test_body_parsers_accept_or_refuse_with_validation_failed(parser: str, body: object) -> None:
    with contextlib.suppress(ValidationFailed):
        PARSERS[parser](body)


@PROPERTY
@given(text=st.one_of(json_values.map(json.dumps), raw_bodies))
def test_json_loads_parses_or_refuses_with_value_error(text: str) -> None:
    try:
        value = jsonbody.loads(text)
    except ValueError:
        return
    assert value == json.loads(text)


@pytest.mark.parametrize("depth", [jsonbody.MAX_JSON_DEPTH + 1, 1000, 200_000])
def test_json_loads_refuses_nesting_past_the_limit(depth: int) -> None:
    with pytest.raises(jsonbody.UnacceptableJSON, match="nested deeper"):
        jsonbody.loads(nested(depth, objects=False))


def test_json_loads_accepts_nesting_at_the_limit() -> None:
    assert jsonbody.loads(nested(jsonbody.MAX_JSON_DEPTH, objects=True))


@pytest.mark.parametrize(
    "text",
    [
        '{"seed": NaN}',
        "[Infinity]",
        "-Infinity",
        '{"a": "x\\u0000"}',
        '["\\udc00"]',
        '{"\\ud800": 1}',
    ],
)
def test_json_loads_refuses_non_finite_numbers_nul_and_lone_surrogates(text: str) -> None:
    with pytest.raises(jsonbody.UnacceptableJSON):
        jsonbody.loads(text)


def _endpoints(image_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("POST", "/api/v1/generate", GENERATE),
        ("POST", "/api/v2/generate", GENERATE),
        ("POST", "/api/v1/edit", {"image_id": image_id, "instruction": "invert"}),
        ("PATCH", f"/api/v1/images/{image_id}", {"title": "t", "tags": ["a"]}),
        ("PATCH", f"/api/v2/images/{image_id}", {"description": "d"}),
        ("POST", f"/api/v1/images/{image_id}/approve", {"note": "fine"}),
        ("POST", f"/api/v1/images/{image_id}/reject", {"reason": "other", "note": "n"}),
        ("POST", f"/api/v1/images/{image_id}/reset", {}),
        ("POST", f"/api/v1/images/{image_id}/publish", {"template_id": "tpl_missing"}),
        ("POST", "/api/v1/batch/approve", {"image_ids": [image_id]}),
        ("POST", "/api/v2/batch/reject", {"image_ids": [image_id], "reason": "other"}),
        ("POST", "/api/v1/batch/publish", {"image_ids": [image_id], "template_id": "tpl_x"}),
        ("POST", "/api/v1/batch/delete", {"image_ids": ["img_missing"]}),
        ("POST", "/api/v1/templates", TEMPLATE),
        ("PUT", "/api/v1/templates/tpl_missing", TEMPLATE),
        ("POST", "/api/v1/webhooks", WEBHOOK),
        ("PATCH", "/api/v2/webhooks/whk_missing", {"description": "d"}),
        ("POST", "/api/v1/jobs/job_missing/cancel", {}),
        ("POST", "/api/printify/webhooks", {"id": "e1", "type": "product:deleted", "resource": {}}),
    ]


@pytest.mark.parametrize("index", range(19))
@PROPERTY
@given(data=st.data())
def test_every_json_endpoint_answers_any_body_without_a_5xx(
    prop_app: Flask,
    api_headers: dict[str, str],
    uploaded_image: str,
    index: int,
    data: st.DataObject,
) -> None:
    method, path, base = _endpoints(uploaded_image)[index]
    body = data.draw(body_for(base), label="body")
    headers = {**api_headers, "Idempotency-Key": uuid.uuid4().hex}
    response = prop_app.test_client().open(
        path,
        method=method,
        headers=headers,
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    event(f"HTTP {response.status_code}")
    assert_documented(response, api=True)
    prop_app.extensions["rate_limiter"].reset()


@pytest.mark.parametrize("path", ["/api/v1/generate", "/api/v2/batch/approve"])
@pytest.mark.parametrize("depth", [100, 200_000])
def test_deeply_nested_body_is_a_400_naming_the_limit(
    prop_app: Flask, api_headers: dict[str, str], path: str, depth: int
) -> None:
    response = prop_app.test_client().post(
        path,
        headers={**api_headers, "Idempotency-Key": uuid.uuid4().hex},
        data=nested(depth, objects=True),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "nested deeper than" in response.get_data(as_text=True)
