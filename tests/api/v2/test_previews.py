"""Mockup previews through v2: the same picture and cache as v1, errors as problem+json."""

from __future__ import annotations

import pytest

from tests.api.v1.test_previews import decoded, preview_url
from tests.api.v1.test_publishing import OFFLINE_TEMPLATE
from tests.api.v2.conftest import upload


@pytest.fixture
def ids(client, admin_headers) -> tuple[str, str]:
    image_id = upload(client, admin_headers)["id"]
    template = client.post("/api/v2/templates", headers=admin_headers, json=OFFLINE_TEMPLATE)
    assert template.status_code == 201, template.get_json()
    return image_id, template.get_json()["id"]


def test_v2_serves_the_same_preview_as_v1_and_revalidates_it(client, admin_headers, ids):
    image_id, template_id = ids
    v2 = client.get(preview_url(image_id, template_id, version=2), headers=admin_headers)
    v1 = client.get(preview_url(image_id, template_id), headers=admin_headers)
    assert v2.status_code == 200
    assert v2.mimetype == "image/webp"
    assert max(decoded(v2.data).size) <= 1024
    assert (v2.data, v2.headers["ETag"]) == (v1.data, v1.headers["ETag"])
    again = client.get(
        preview_url(image_id, template_id, version=2),
        headers={**admin_headers, "If-None-Match": v2.headers["ETag"]},
    )
    assert again.status_code == 304


def test_a_variant_outside_the_template_is_a_problem_naming_it(client, admin_headers, ids):
    image_id, template_id = ids
    response = client.get(
        preview_url(image_id, template_id, version=2, variant_id=424242), headers=admin_headers
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert [error["field"] for error in problem["errors"]] == ["variant_id"]


@pytest.mark.parametrize(("which", "value"), [("image", "img_gone"), ("template", "tpl_gone")])
def test_an_unknown_image_or_template_is_a_404_problem(client, admin_headers, ids, which, value):
    image_id, template_id = ids
    url = preview_url(
        value if which == "image" else image_id,
        value if which == "template" else template_id,
        version=2,
    )
    response = client.get(url, headers=admin_headers)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_missing_template_id_is_a_problem_naming_it(client, admin_headers, ids):
    image_id, _ = ids
    response = client.get(f"/api/v2/images/{image_id}/preview", headers=admin_headers)
    assert response.status_code == 400
    assert [error["field"] for error in response.get_json()["errors"]] == ["template_id"]
