"""The OpenAPI (Swagger 2.0) document, the Swagger UI page and the version list."""

from __future__ import annotations

import json
import re

import pytest

from gateway.app.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE

CONTRACT_OPERATIONS = {
    "/generate": {"post"},
    "/edit": {"post"},
    "/jobs": {"get"},
    "/jobs/{job_id}": {"get"},
    "/jobs/{job_id}/cancel": {"post"},
    "/images": {"get", "post"},
    "/images/{image_id}": {"get", "patch", "delete"},
    "/images/{image_id}/file": {"get"},
    "/images/{image_id}/approve": {"post"},
    "/images/{image_id}/reject": {"post"},
    "/images/{image_id}/upscale": {"post"},
    "/templates/{template_id}/readiness/{image_id}": {"get"},
    "/batch/approve": {"post"},
    "/batch/reject": {"post"},
    "/batch/delete": {"post"},
    "/me": {"get"},
    "/backends": {"get"},
    "/status": {"get"},
    "/cleanup": {"post"},
}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/swagger.json")
    assert response.status_code == 200
    return json.loads(response.data)


def test_the_spec_lists_every_contract_operation(spec):
    assert spec["swagger"] == "2.0"
    assert spec["basePath"] == "/api/v1"
    for path, methods in CONTRACT_OPERATIONS.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, set(spec["paths"][path]))


def test_the_spec_declares_api_key_authorisation(spec):
    definitions = spec["securityDefinitions"]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"} in [
        {k: v for k, v in scheme.items() if k in {"type", "in", "name"}}
        for scheme in definitions.values()
    ]
    generate = spec["paths"]["/generate"]["post"]
    schemes = {name for requirement in generate["security"] for name in requirement}
    assert schemes <= set(definitions)
    assert "apikey" in schemes


def test_documented_errors_use_the_error_model(spec):
    for path, methods in CONTRACT_OPERATIONS.items():
        for method in methods:
            responses = spec["paths"][path][method]["responses"]
            assert any(code.startswith("2") for code in responses), (path, method)
            for code, response in responses.items():
                if code.startswith("4") or code.startswith("5"):
                    assert response["schema"]["$ref"] == "#/definitions/Error", (path, code)
    assert {"error", "code", "details", "request_id"} <= set(
        spec["definitions"]["Error"]["properties"]
    )


def test_the_spec_needs_no_key(client):
    assert client.get("/api/v1/swagger.json").status_code == 200


def test_the_docs_page_serves_swagger_ui_for_the_spec(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "/api/v1/swagger.json" in page
    assert 'id="swagger-ui"' in page
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert client.get(asset).status_code == 200, asset


def test_the_version_list_names_v1(client):
    response = client.get("/api/version")
    assert response.status_code == 200
    versions = {entry["version"]: entry for entry in response.get_json()["versions"]}
    assert versions["v1"]["status"] in {"current", "supported", "deprecated"}
    for entry in versions.values():
        assert client.get(f"/api/{entry['version']}/swagger.json").status_code == 200


def test_every_list_documents_the_one_page_size_and_page_limit(client, admin_headers, spec):
    documented = {
        (parameter["name"], parameter.get("default"), parameter["minimum"], parameter["maximum"])
        for operations in spec["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["name"] in {"limit", "page"}
    }
    assert documented == {("limit", PAGE_SIZE, 1, MAX_PAGE_SIZE), ("page", None, 1, MAX_PAGE)}
    for path in ("/api/v1/images", "/api/v1/jobs", "/api/v1/publications", "/api/v1/products"):
        for query in (f"limit={MAX_PAGE_SIZE + 1}", f"page={MAX_PAGE + 1}"):
            if path == "/api/v1/jobs" and query.startswith("page"):
                continue
            response = client.get(f"{path}?{query}", headers=admin_headers)
            assert response.status_code == 400, (path, query)


def test_upscale_documents_its_factor_and_readiness_its_upscale_advice(spec):
    upscale = spec["paths"]["/images/{image_id}/upscale"]["post"]
    body = next(p for p in upscale["parameters"] if p["in"] == "body")
    request = spec["definitions"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert request["properties"]["factor"]["enum"] == [2, 4]
    assert request["required"] == ["factor"]
    assert {"202", "400", "404"} <= set(upscale["responses"])
    assert upscale["x-required-scope"] == "generate"
    readiness = spec["paths"]["/templates/{template_id}/readiness/{image_id}"]["get"]
    model = readiness["responses"]["200"]["schema"]["$ref"].rsplit("/", 1)[1]
    advice = spec["definitions"][model]["properties"]["upscale_for_print"]["$ref"]
    assert set(spec["definitions"][advice.rsplit("/", 1)[1]]["properties"]) == {
        "needed",
        "factor",
        "reachable",
        "allowed",
    }
