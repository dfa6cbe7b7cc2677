"""The API keeps its word, proved through HTTP against gunicorn (two workers) as users meet it:
exact rate limits in every mode, a login throttle that cannot lock the operator out, idempotency by
meaning, scopes, v2 links, quotas, kept-alive polling, and client-caused failures that stay the
client's.
"""

from __future__ import annotations

import http.client
import io
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image
from requests.adapters import HTTPAdapter

from tests.conftest import artwork
from tests.e2e.harness import Gateway

PASSWORD = "operator password 1"
READ_LIMIT = 20


@pytest.fixture(scope="module")
def gateway(module_gateways) -> Gateway:
    """An embedded gateway (SQLite, no Redis) with a small free-plan read limit and image quota."""
    started = module_gateways(
        {"RATE_LIMIT_READ": str(READ_LIMIT), "QUOTA_FREE_IMAGES": "3"}, workers=0
    )
    started.flask("operators", "create", "rita", "--role", "admin", "--password", PASSWORD)
    return started


def new_key(gateway: Gateway, *, plan: str = "free", scopes: str = "read,generate") -> str:
    created = gateway.flask(
        "keys", "create", f"k-{time.monotonic_ns()}", "--plan", plan, "--scopes", scopes
    )
    return created.stdout.strip().splitlines()[-1]


def fresh_get(url: str, key: str) -> requests.Response:
    """One request on a connection of its own (no pooling across requests)."""
    return requests.get(url, headers={"X-API-Key": key, "Connection": "close"}, timeout=30)


# --- rate limits ---------------------------------------------------------------------------------


def test_limit_plus_five_calls_across_two_workers_accept_exactly_the_limit(start_gateway, mode_env):
    limited = start_gateway({**mode_env, "RATE_LIMIT_READ": str(READ_LIMIT)}, workers=0)
    key = new_key(limited)
    url = f"{limited.url}/api/v2/images"
    one_by_one = [fresh_get(url, key) for _ in range(READ_LIMIT // 2)]
    assert [a.status_code for a in one_by_one] == [200] * (READ_LIMIT // 2)
    remaining = [int(a.headers["X-RateLimit-Remaining"]) for a in one_by_one]
    assert remaining == list(range(READ_LIMIT - 1, READ_LIMIT // 2 - 1, -1)), "it jumped back"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: fresh_get(url, key), range(READ_LIMIT // 2 + 5)))
    accepted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert (len(accepted), len(refused)) == (READ_LIMIT // 2, 5)
    assert all(0 <= int(a.headers["X-RateLimit-Remaining"]) < READ_LIMIT // 2 for a in accepted)
    assert all(int(a.headers["Retry-After"]) > 0 for a in refused)
    assert {a.json()["code"] for a in refused} == {"RATE_LIMIT_EXCEEDED"}


# --- login throttle ------------------------------------------------------------------------------


class SourceAddressAdapter(HTTPAdapter):
    """Connect from a given loopback address, so one machine can play two clients."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]


def login_from(gateway: Gateway, address: str, password: str) -> requests.Response:
    browser = requests.Session()
    browser.mount("http://", SourceAddressAdapter(address))
    page = browser.get(f"{gateway.url}/login", timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token, "the login page carries no CSRF token"
    return browser.post(
        f"{gateway.url}/login",
        data={"username": "rita", "password": password, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )


def test_bad_passwords_from_one_address_never_stop_the_operator_logging_in_from_another(
    gateway,
):
    outcomes = [login_from(gateway, "127.0.0.2", "guess").status_code for _ in range(8)]
    assert outcomes[:5] == [401] * 5
    assert set(outcomes[5:]) == {429}
    assert login_from(gateway, "127.0.0.2", PASSWORD).status_code == 429
    welcome = login_from(gateway, "127.0.0.1", PASSWORD)
    assert welcome.status_code == 302
    assert welcome.headers["Location"].endswith("/review")


# --- idempotency, scopes, links, quotas ----------------------------------------------------------


def test_the_same_json_in_other_whitespace_and_order_replays_through_gunicorn(gateway):
    key = new_key(gateway, plan="enterprise")
    headers = {
        "X-API-Key": key,
        "Idempotency-Key": "same-meaning",
        "Content-Type": "application/json",
    }
    first = requests.post(
        f"{gateway.url}/api/v2/generate",
        data='{"prompt":"a fox","seed":7}',
        headers=headers,
        timeout=30,
    )
    again = requests.post(
        f"{gateway.url}/api/v2/generate",
        data='{\n  "seed": 7,\n  "prompt": "a fox"\n}',
        headers=headers,
        timeout=30,
    )
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["job_id"] == first.json()["job_id"]


def test_a_read_only_key_cannot_create_or_list_webhook_subscriptions(gateway):
    key = new_key(gateway, scopes="read")
    created = requests.post(
        f"{gateway.url}/api/v2/webhooks",
        json={"url": "https://hooks.example.com/in", "events": ["*"]},
        headers={"X-API-Key": key},
        timeout=30,
    )
    assert created.status_code == 403
    assert created.json()["code"] == "FORBIDDEN"
    assert created.headers["Content-Type"].startswith("application/problem+json")
    listed = requests.get(f"{gateway.url}/api/v2/webhooks", headers={"X-API-Key": key}, timeout=30)
    assert listed.status_code == 403


def test_v2_answers_link_into_v2(gateway):
    key = new_key(gateway, plan="enterprise", scopes="read,generate")
    uploaded = requests.post(
        f"{gateway.url}/api/v2/images",
        files={"file": ("a.png", artwork(96, 96), "image/png")},
        headers={"X-API-Key": key},
        timeout=30,
    ).json()
    for url in uploaded["urls"].values():
        assert url.startswith(f"{gateway.url}/api/v2/images/{uploaded['id']}/file")
    thumbnail = requests.get(uploaded["urls"]["thumbnail"], headers={"X-API-Key": key}, timeout=30)
    assert thumbnail.status_code == 200
    assert thumbnail.headers["Content-Type"] == "image/webp"
    job = requests.post(
        f"{gateway.url}/api/v2/generate",
        json={"prompt": "links"},
        headers={"X-API-Key": key, "Idempotency-Key": "links-1"},
        timeout=30,
    ).json()
    assert job["status_url"] == f"{gateway.url}/api/v2/jobs/{job['job_id']}"


def test_generation_past_the_monthly_quota_is_429_until_it_resets(gateway):
    key = new_key(gateway)
    headers = {"X-API-Key": key}
    accepted = requests.post(
        f"{gateway.url}/api/v1/generate",
        json={"prompt": "q", "batch_size": 3},
        headers=headers,
        timeout=30,
    )
    assert accepted.status_code == 202
    refused = requests.post(
        f"{gateway.url}/api/v1/generate", json={"prompt": "q"}, headers=headers, timeout=30
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "QUOTA_EXCEEDED"
    assert int(refused.headers["Retry-After"]) > 0
    usage = requests.get(f"{gateway.url}/api/v2/usage", headers=headers, timeout=30).json()
    assert usage["used"]["images"] == 3
    assert usage["remaining"]["images"] == 0
    assert refused.json()["details"]["resets_at"] == usage["period"]["end"]


# --- connections ---------------------------------------------------------------------------------


def test_a_client_polling_every_few_seconds_keeps_its_connection(gateway):
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    try:
        connection.request("GET", "/health")
        assert connection.getresponse().read()
        socket_before = connection.sock
        time.sleep(3)  # longer than gunicorn's own 2 s keep-alive
        connection.request("GET", "/health")
        answer = connection.getresponse()
        assert answer.status == 200
        answer.read()
        assert connection.sock is socket_before, "the server closed the kept-alive connection"
    finally:
        connection.close()


# --- jobs that fail for their own reasons --------------------------------------------------------


def tiny_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def test_client_caused_failures_never_open_the_local_circuit(start_gateway):
    fresh = start_gateway({"CIRCUIT_FAIL_MAX": "3"}, workers=1)
    uploaded = fresh.post("/api/v1/images", files={"file": ("tiny.png", tiny_png(4), "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    for _ in range(6):
        edit = fresh.post(
            "/api/v1/edit", json={"image_id": uploaded.json()["id"], "instruction": "add a border"}
        )
        # The request's own fault: refused at once, or its job fails; never the backend's.
        assert edit.status_code in (202, 400), edit.text
        if edit.status_code == 202:
            assert fresh.wait_job(edit.json()["job_id"])["status"] == "failed"
    [local] = [b for b in fresh.get("/api/v1/backends").json() if b["name"] == "local"]
    assert local["circuit"] == "closed"
    job = fresh.wait_job(fresh.generate(prompt="still working", width=128, height=128))
    assert job["status"] == "completed"


def test_an_edit_whose_source_is_deleted_before_it_runs_fails_once_with_not_found(start_gateway):
    fresh = start_gateway(workers=0)
    uploaded = fresh.post(
        "/api/v1/images", files={"file": ("design.png", artwork(128, 128), "image/png")}
    ).json()
    edit = fresh.post(
        "/api/v1/edit", json={"image_id": uploaded["id"], "instruction": "add a border"}
    )
    assert edit.status_code == 202
    assert fresh.request("DELETE", f"/api/v1/images/{uploaded['id']}").status_code == 204
    fresh.start_worker()
    job = fresh.wait_job(edit.json()["job_id"])
    assert job["status"] == "failed"
    assert job["error"]["code"] == "NOT_FOUND"
    time.sleep(2)  # a worker that retried the task would bump attempts or change the job
    assert fresh.job(job["job_id"]) == job


# --- inputs at the edges of their type -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"prompt": "a", "seed": NaN}',
        '{"prompt": "\\ud800"}',
        '{"prompt": "nul \\u0000 inside"}',
        '{"prompt": "big", "width": 1' + "0" * 400 + "}",
    ],
    ids=["nested-100k", "nan", "lone-surrogate", "nul", "huge-number"],
)
def test_malformed_json_is_a_clear_400_never_a_500(gateway, body):
    key = new_key(gateway, plan="enterprise")
    for version in ("v1", "v2"):
        answer = requests.post(
            f"{gateway.url}/api/{version}/generate",
            data=body,
            headers={
                "X-API-Key": key,
                "Content-Type": "application/json",
                "Idempotency-Key": f"edge-{version}-{len(body)}",
            },
            timeout=30,
        )
        assert answer.status_code == 400, (version, answer.status_code, answer.text[:300])
        assert answer.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01&to=9999-12-31",
        "to=9999-12-31",
        "from=10000-01-01",
        "after=0001-01-01T00:00+14:00",
    ],
)
def test_review_queue_filters_at_the_ends_of_the_calendar_never_crash(gateway, query):
    browser = requests.Session()
    page = browser.get(f"{gateway.url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    browser.post(
        f"{gateway.url}/login",
        data={"username": "rita", "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
    )
    answer = browser.get(f"{gateway.url}/review?{query}", timeout=30)
    assert answer.status_code in (200, 400), (query, answer.status_code)
