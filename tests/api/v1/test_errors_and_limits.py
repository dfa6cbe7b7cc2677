"""Request ids, the JSON error envelope for routing errors, and per-tier rate limits."""

from __future__ import annotations

import re
import time

import pytest

from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from tests.conftest import make_settings
from tests.support import running_app

GENERATION_LIMIT = 2
READ_LIMIT = 5


# --- request ids and routing errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/health"),
        ("get", "/api/v1/me"),
        ("get", "/api/v1/nowhere"),
        ("post", "/api/v1/images/img_x/approve"),
        ("get", "/api/version"),
    ],
)
def test_every_response_carries_a_request_id(client, method, path):
    response = getattr(client, method)(path)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    if response.is_json and response.status_code >= 400:
        assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


def test_a_given_request_id_is_echoed(client, admin_headers):
    headers = {**admin_headers, "X-Request-ID": "zapier-run.42:step-3"}
    ok = client.get("/api/v1/me", headers=headers)
    assert ok.headers["X-Request-ID"] == "zapier-run.42:step-3"
    failed = client.get("/api/v1/images/img_nope", headers=headers)
    assert failed.headers["X-Request-ID"] == "zapier-run.42:step-3"
    assert failed.get_json()["request_id"] == "zapier-run.42:step-3"


@pytest.mark.parametrize(
    "given", ["has spaces", "x" * 129, "<script>", "semi;colon", "ü-nicode", "a/b"]
)
def test_an_invalid_request_id_is_replaced(client, given):
    response = client.get("/health", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] != given
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nowhere",
        "/api/v1/images/img_a/frobnicate",
        "/api/v1/",
        "/api/v1/images/img_a/file/x",
    ],
)
def test_unknown_api_paths_are_a_json_404(client, admin_headers, path):
    response = client.get(path, headers=admin_headers)
    assert response.status_code == 404
    assert response.is_json
    body = response.get_json()
    assert body["code"] == "NOT_FOUND"
    assert body["error"]
    assert body["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/images", "has_duplicates"),
        ("/images", "has_warnings"),
        ("/images", "risk"),
        ("/jobs", "status"),
        ("/publications", "status"),
        ("/images/img_x/file", "variant"),
    ],
)
def test_an_empty_typed_query_parameter_is_refused_not_read_as_any(
    client, admin_headers, version, path, parameter
):
    response = client.get(f"/api/v{version}{path}?{parameter}=", headers=admin_headers)
    assert response.status_code == 400
    body = response.get_json()
    named = body["details"]["fields"] if version == 1 else [e["field"] for e in body["errors"]]
    assert parameter in named


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    "path", ["/images/%2F/preview?template_id=tpl_x", "/images/%2F/file", "/images//approve"]
)
def test_an_id_that_is_a_slash_is_a_404_in_the_documented_shape_not_a_redirect(
    client, admin_headers, version, path
):
    method = client.post if path.endswith("approve") else client.get
    response = method(f"/api/v{version}{path}", headers=admin_headers)
    assert response.status_code == 404
    assert response.mimetype == ("application/json" if version == 1 else "application/problem+json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/me"),
        ("put", "/api/v1/generate"),
        ("get", "/api/v1/batch/approve"),
        ("patch", "/api/v1/jobs"),
    ],
)
def test_wrong_methods_are_a_json_405(client, admin_headers, method, path):
    response = getattr(client, method)(path, headers=admin_headers)
    assert response.status_code == 405
    assert response.is_json
    assert response.get_json()["request_id"]
    assert response.headers["Allow"]


# --- rate limits -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory):
    """An app of its own whose generation tier allows 2 requests an hour (reads: 5)."""
    settings = make_settings(
        tmp_path_factory.mktemp("limited"),
        RATE_LIMIT_GENERATION=GENERATION_LIMIT,
        RATE_LIMIT_READ=READ_LIMIT,
        RATE_LIMIT_APPROVAL=3,
    )
    with running_app(settings) as application:
        yield application


@pytest.fixture
def limited(limited_app):
    limited_app.extensions["rate_limiter"].reset()
    return limited_app.test_client()


@pytest.fixture
def key_for(limited_app):
    def make(plan):
        with limited_app.app_context():
            return accounts.create_key(
                db.session, f"{plan}-key", plan=plan, scopes=["read", "generate"], actor=SYSTEM
            ).secret

    return make


def generate(client, key):
    return client.post(
        "/api/v1/generate",
        json={"prompt": "tiny badge", "width": 64, "height": 64, "seed": 1},
        headers={"X-API-Key": key},
    )


def test_a_free_key_over_the_generation_limit_gets_429(limited, key_for):
    key = key_for("free")
    accepted = [generate(limited, key) for _ in range(GENERATION_LIMIT)]
    assert [response.status_code for response in accepted] == [202] * GENERATION_LIMIT
    assert [r.headers["X-RateLimit-Remaining"] for r in accepted] == [
        str(GENERATION_LIMIT - n) for n in range(1, GENERATION_LIMIT + 1)
    ]
    refused = generate(limited, key)
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "RATE_LIMIT_EXCEEDED"
    assert body["details"]["tier"] == "generation"
    assert body["request_id"] == refused.headers["X-Request-ID"]
    headers = refused.headers
    retry_after = int(headers["Retry-After"])
    assert 1 <= retry_after <= 3600
    assert headers["X-RateLimit-Limit"] == str(GENERATION_LIMIT)
    assert headers["X-RateLimit-Remaining"] == "0"
    assert time.time() < int(headers["X-RateLimit-Reset"]) <= time.time() + 3601
    assert headers["RateLimit-Policy"] == f'"generation";q={GENERATION_LIMIT};w=3600'
    assert re.fullmatch(r'"generation";r=0;t=\d+', headers["RateLimit"])
    jobs = limited.get("/api/v1/jobs", headers={"X-API-Key": key}).get_json()["items"]
    assert len(jobs) == GENERATION_LIMIT


def test_successful_responses_carry_the_rate_headers(limited, key_for):
    response = limited.get("/api/v1/me", headers={"X-API-Key": key_for("free")})
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == str(READ_LIMIT)
    assert response.headers["X-RateLimit-Remaining"] == str(READ_LIMIT - 1)
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert response.headers["RateLimit-Policy"] == f'"read";q={READ_LIMIT};w=3600'
    assert response.headers["RateLimit"].startswith(f'"read";r={READ_LIMIT - 1};t=')


def test_plans_multiply_the_limit(limited, key_for):
    free = generate(limited, key_for("free"))
    pro_key = key_for("pro")
    pro = [generate(limited, pro_key) for _ in range(GENERATION_LIMIT + 1)]
    enterprise = generate(limited, key_for("enterprise"))
    assert free.headers["X-RateLimit-Limit"] == str(GENERATION_LIMIT)
    assert [response.status_code for response in pro] == [202] * (GENERATION_LIMIT + 1)
    assert pro[-1].headers["X-RateLimit-Limit"] == str(GENERATION_LIMIT * 10)
    assert pro[-1].headers["X-RateLimit-Remaining"] == str(GENERATION_LIMIT * 10 - 3)
    assert enterprise.headers["X-RateLimit-Limit"] == str(GENERATION_LIMIT * 100)


def test_tiers_are_counted_separately(limited, key_for):
    key = key_for("free")
    headers = {"X-API-Key": key}
    for _ in range(READ_LIMIT - 1):
        assert limited.get("/api/v1/me", headers=headers).status_code == 200
    first = generate(limited, key)
    assert first.status_code == 202
    assert first.headers["X-RateLimit-Remaining"] == str(GENERATION_LIMIT - 1)
    assert generate(limited, key).status_code == 202
    assert generate(limited, key).status_code == 429
    last_read = limited.get("/api/v1/me", headers=headers)
    assert last_read.status_code == 200
    assert last_read.headers["X-RateLimit-Remaining"] == "0"
    refused = limited.get("/api/v1/me", headers=headers)
    assert refused.status_code == 429
    assert refused.get_json()["details"]["tier"] == "read"


def test_keys_are_counted_separately(limited, key_for):
    spent = key_for("free")
    for _ in range(GENERATION_LIMIT):
        generate(limited, spent)
    assert generate(limited, spent).status_code == 429
    fresh = generate(limited, key_for("free"))
    assert fresh.status_code == 202
    assert fresh.headers["X-RateLimit-Remaining"] == str(GENERATION_LIMIT - 1)


def test_an_invalid_key_is_401_without_rate_headers(limited):
    response = generate(limited, "pod_00000000_notarealkeynotarealkey")
    assert response.status_code == 401
    assert "X-RateLimit-Limit" not in response.headers
