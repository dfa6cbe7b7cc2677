"""v2's Swagger document: the same operations as v1, documented the v2 way."""

from __future__ import annotations

import json

import pytest

from tests.api.v1.test_docs import CONTRACT_OPERATIONS

CURSOR_LISTS = [
    "/images",
    "/jobs",
    "/publications",
    "/products",
    "/templates",
    "/webhooks",
    "/webhooks/{webhook_id}/deliveries",
]
KEY_REQUIRED = ["/generate", "/batch/approve", "/batch/reject", "/batch/delete", "/batch/publish"]


@pytest.fixture
def specs(client) -> dict[int, dict]:
    found = {}
    for version in (1, 2):
        response = client.get(f"/api/v{version}/swagger.json")
        assert response.status_code == 200
        found[version] = json.loads(response.data)
    return found


def test_v2_serves_every_operation_v1_does(specs):
    assert specs[2]["basePath"] == "/api/v2"
    for path, methods in CONTRACT_OPERATIONS.items():
        assert methods <= set(specs[2]["paths"][path]), path
    assert set(specs[2]["paths"]) == set(specs[1]["paths"])


@pytest.mark.parametrize("path", CURSOR_LISTS)
def test_lists_are_documented_as_cursor_pages_in_v2_and_page_numbers_in_v1(specs, path):
    v2 = specs[2]["paths"][path]["get"]
    schema = v2["responses"]["200"]["schema"]
    assert set(schema["properties"]) == {"items", "next_cursor"}
    item = schema["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert item in specs[2]["definitions"]
    names = {parameter["name"] for parameter in v2["parameters"]}
    assert "cursor" in names and "page" not in names
    v1 = specs[1]["paths"][path]["get"]
    assert "cursor" not in {parameter["name"] for parameter in v1.get("parameters", [])}
    assert not any(key.startswith("x-cursor") for key in v1)


@pytest.mark.parametrize("path", KEY_REQUIRED)
def test_idempotency_key_is_a_required_header_in_v2_only(specs, path):
    def key_parameter(version: int) -> dict:
        parameters = specs[version]["paths"][path]["post"]["parameters"]
        return next(p for p in parameters if p["name"] == "Idempotency-Key")

    assert key_parameter(2)["required"] is True
    assert key_parameter(2)["in"] == "header"
    assert key_parameter(1)["required"] is False


def test_v2_errors_are_documented_as_problem_details(specs):
    for path, methods in CONTRACT_OPERATIONS.items():
        for method in methods:
            for code, response in specs[2]["paths"][path][method]["responses"].items():
                if code[0] in "45":
                    assert response["schema"]["$ref"] == "#/definitions/Problem", (path, code)
    problem = specs[2]["definitions"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "instance", "code", "request_id", "errors"} <= set(
        problem
    )


def test_the_docs_page_offers_v2_first_and_v1(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert page.index("/api/v2/swagger.json") < page.index("/api/v1/swagger.json")


def test_the_version_list_has_v2_current_and_v1_deprecated_with_its_sunset(client):
    versions = {v["version"]: v for v in client.get("/api/version").get_json()["versions"]}
    assert versions["v2"]["status"] == "current"
    assert versions["v1"]["status"] == "deprecated"
    assert versions["v1"]["sunset"] == "2027-12-01"
