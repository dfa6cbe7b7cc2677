"""Postman v2.1 collections generated from the gateway's served OpenAPI documents.

`python -m sdk.postman` (or `make postman`) builds the app in-process, reads `/api/v1/swagger.json`
and `/api/v2/swagger.json` through its test client, and writes one collection per version to
`docs/postman/`. The output depends on the documents alone (defaults, not the environment; sorted
folders and requests; ids derived from names), so a test can regenerate it and compare.
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from gateway.app import create_app
from gateway.app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "postman"
VERSIONS = (1, 2)
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
BASE_URL = "http://127.0.0.1:8000"
METHODS = ("get", "post", "put", "patch", "delete")
MAX_DEPTH = 6


def output_path(version: int) -> Path:
    return OUTPUT / f"pod-gateway-v{version}.postman_collection.json"


def served_documents() -> dict[int, dict[str, Any]]:
    """Each version's OpenAPI document as the gateway serves it, from an app on default settings."""
    with tempfile.TemporaryDirectory(prefix="postman-") as state_dir:
        settings = Settings.model_construct(
            state_dir=Path(state_dir),
            secret_key="postman",
            embedded_worker=False,
            log_level="WARNING",
        )
        client = create_app({"SETTINGS": settings, "QUEUE_IMMEDIATE": True}).test_client()
        documents = {}
        for version in VERSIONS:
            response = client.get(f"/api/v{version}/swagger.json")
            if response.status_code != 200:
                raise RuntimeError(f"/api/v{version}/swagger.json answered {response.status_code}")
            documents[version] = response.get_json()
        return documents


def render(collection: dict[str, Any]) -> str:
    return json.dumps(collection, indent=2, ensure_ascii=False) + "\n"


def build_collection(spec: dict[str, Any]) -> dict[str, Any]:
    """A Postman v2.1 collection: one folder per tag, one request per operation."""
    folders: dict[str, list[tuple[tuple[str, int], dict[str, Any]]]] = {}
    for path, operations in spec["paths"].items():
        shared = operations.get("parameters", [])
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["default"])[0]
            item = _request_item(spec, path, method, operation, shared)
            folders.setdefault(tag, []).append(((path, METHODS.index(method)), item))
    tag_descriptions = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    title = spec["info"]["title"]
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"pod-gateway/{title}")),
            "name": title,
            "description": spec["info"].get("description", ""),
            "schema": SCHEMA,
        },
        "auth": {
            "type": "apikey",
            "apikey": [
                {"key": "key", "value": "X-API-Key", "type": "string"},
                {"key": "value", "value": "{{apiKey}}", "type": "string"},
                {"key": "in", "value": "header", "type": "string"},
            ],
        },
        "variable": [
            {"key": "baseUrl", "value": BASE_URL, "type": "string"},
            {"key": "apiKey", "value": "", "type": "string"},
        ],
        "item": [
            {
                "name": tag,
                "description": tag_descriptions.get(tag, ""),
                "item": [item for _, item in sorted(folders[tag], key=lambda pair: pair[0])],
            }
            for tag in sorted(folders)
        ],
    }


def _request_item(
    spec: dict[str, Any],
    path: str,
    method: str,
    operation: dict[str, Any],
    shared: list[dict[str, Any]],
) -> dict[str, Any]:
    own = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
    parameters = [p for p in shared if (p["name"], p["in"]) not in own]
    parameters += operation.get("parameters", [])
    by_place: dict[str, list[dict[str, Any]]] = {}
    for parameter in parameters:
        by_place.setdefault(parameter["in"], []).append(parameter)
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [_header(p) for p in by_place.get("header", [])],
        "url": _url(spec.get("basePath", ""), path, by_place),
        "description": _description(operation),
    }
    body = _body(spec, by_place)
    if body is not None:
        request["body"] = body
        if body["mode"] == "raw":
            request["header"].append({"key": "Content-Type", "value": "application/json"})
    if operation.get("security") == []:
        request["auth"] = {"type": "noauth"}
    return {"name": _name(operation, method, path), "request": request, "response": []}


def _name(operation: dict[str, Any], method: str, path: str) -> str:
    return str(operation.get("summary") or "").strip() or f"{method.upper()} {path}"


def _description(operation: dict[str, Any]) -> str:
    parts = [str(operation.get(key) or "").strip() for key in ("summary", "description")]
    return "\n\n".join(part for part in parts if part)


def _header(parameter: dict[str, Any]) -> dict[str, Any]:
    value = "{{$guid}}" if parameter["name"] == "Idempotency-Key" else _scalar(parameter)
    header = {"key": parameter["name"], "value": value, "description": _about(parameter)}
    if not parameter.get("required") and parameter["name"] != "Idempotency-Key":
        header["disabled"] = True
    return header


def _url(base_path: str, path: str, by_place: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    segments = [
        f":{segment[1:-1]}" if segment.startswith("{") else segment
        for segment in f"{base_path}{path}".strip("/").split("/")
    ]
    query = []
    for parameter in by_place.get("query", []):
        entry = {"key": parameter["name"], "value": _scalar(parameter)}
        entry["description"] = _about(parameter)
        if not parameter.get("required"):
            entry["disabled"] = True
        query.append(entry)
    enabled = [f"{q['key']}={q['value']}" for q in query if not q.get("disabled")]
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}/" + "/".join(segments) + ("?" + "&".join(enabled) if enabled else ""),
        "host": ["{{baseUrl}}"],
        "path": segments,
    }
    if query:
        url["query"] = query
    variables = [
        {"key": p["name"], "value": "", "description": _about(p)} for p in by_place.get("path", [])
    ]
    if variables:
        url["variable"] = variables
    return url


def _body(spec: dict[str, Any], by_place: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    if by_place.get("body"):
        sample = _example(spec, by_place["body"][0].get("schema", {}), 0)
        return {
            "mode": "raw",
            "raw": json.dumps(sample, indent=2, ensure_ascii=False),
            "options": {"raw": {"language": "json"}},
        }
    if by_place.get("formData"):
        fields = []
        for parameter in by_place["formData"]:
            field: dict[str, Any] = {"key": parameter["name"], "description": _about(parameter)}
            if parameter.get("type") == "file":
                field.update(type="file", src=[])
            else:
                field.update(type="text", value=_scalar(parameter))
            if not parameter.get("required"):
                field["disabled"] = True
            fields.append(field)
        return {"mode": "formdata", "formdata": fields}
    return None


def _about(parameter: dict[str, Any]) -> str:
    text = str(parameter.get("description") or "")
    return f"(required) {text}".strip() if parameter.get("required") else text


def _scalar(parameter: dict[str, Any]) -> str:
    for key in ("example", "default"):
        if key in parameter:
            value = parameter[key]
            return json.dumps(value) if isinstance(value, bool) else str(value)
    return ""


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with `$ref` followed and `allOf` parts merged into one object schema."""
    while "$ref" in schema:
        schema = spec["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" not in schema:
        return schema
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in [*(_resolve(spec, part) for part in schema["allOf"]), merged]:
        properties.update(part.get("properties", {}))
        required += [name for name in part.get("required", []) if name not in required]
        for key, value in part.items():
            merged.setdefault(key, value)
    merged["properties"], merged["required"] = properties, required
    return merged


def _has_sample(spec: dict[str, Any], schema: dict[str, Any], depth: int) -> bool:
    """Whether a property has something to show: an example, a default, or such a sub-field."""
    schema = _resolve(spec, schema)
    if "example" in schema or "default" in schema:
        return True
    if depth >= MAX_DEPTH:
        return False
    if schema.get("type") == "array":
        return _has_sample(spec, schema.get("items", {}), depth + 1)
    properties = schema.get("properties", {}).values()
    return any(_has_sample(spec, sub, depth + 1) for sub in properties)


def _example(spec: dict[str, Any], schema: dict[str, Any], depth: int) -> Any:
    """A request body from the schema: examples, else defaults; required fields always."""
    schema = _resolve(spec, schema)
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [] if depth >= MAX_DEPTH else [_example(spec, schema.get("items", {}), depth + 1)]
    if kind == "object" or "properties" in schema:
        if depth >= MAX_DEPTH:
            return {}
        required = set(schema.get("required", []))
        return {
            name: _example(spec, sub, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if name in required or _has_sample(spec, sub, depth + 1)
        }
    return {"integer": 0, "number": 0, "boolean": False}.get(str(kind), "")


def collections() -> dict[int, str]:
    """Each version's collection, rendered as it is committed."""
    return {version: render(build_collection(spec)) for version, spec in served_documents().items()}


def main() -> int:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for version, text in collections().items():
        path = output_path(version)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
