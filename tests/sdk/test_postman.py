"""The committed Postman collections (docs/postman) are what the served OpenAPI documents make."""

from __future__ import annotations

import json

from sdk import postman


def test_committed_collections_match_the_served_documents() -> None:
    for version, text in postman.collections().items():
        path = postman.output_path(version)
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        assert committed == text, (
            f"{path.relative_to(postman.ROOT)} is out of date with /api/v{version}/swagger.json: "
            "run `make postman` and commit the result"
        )


def test_a_collection_covers_every_operation_with_key_auth_and_fresh_idempotency_keys() -> None:
    spec = postman.served_documents()[2]
    collection = json.loads(postman.render(postman.build_collection(spec)))

    assert collection["info"]["schema"] == postman.SCHEMA
    assert {v["key"] for v in collection["variable"]} == {"baseUrl", "apiKey"}
    assert {"key": "value", "value": "{{apiKey}}", "type": "string"} in collection["auth"]["apikey"]
    assert [folder["name"] for folder in collection["item"]] == sorted(
        {op["tags"][0] for ops in spec["paths"].values() for op in ops.values() if "tags" in op}
    )
    requests = [item["request"] for folder in collection["item"] for item in folder["item"]]
    operations = [
        (m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m != "parameters"
    ]
    assert len(requests) == len(operations)
    keyed = []
    for request in requests:
        assert request["url"]["raw"].startswith("{{baseUrl}}/api/v2/")
        headers = {h["key"]: h["value"] for h in request["header"]}
        if "Idempotency-Key" in headers:
            assert headers["Idempotency-Key"] == "{{$guid}}"
            keyed.append(request["url"]["raw"].removeprefix("{{baseUrl}}/api/v2"))
    assert {"/generate", "/batch/approve", "/batch/reject", "/images/:image_id/approve"} <= {*keyed}
    generate = next(r for r in requests if r["url"]["raw"] == "{{baseUrl}}/api/v2/generate")
    assert json.loads(generate["body"]["raw"])["prompt"]
