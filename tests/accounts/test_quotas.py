"""Monthly quotas per plan: counted with the work they pay for, exact, shown by /usage and /me."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.app.accounts import quotas
from tests.conftest import make_settings


def test_a_month_runs_from_its_first_moment_to_the_next_months(tmp_path):
    start, end = quotas.period_bounds(datetime(2026, 12, 6, 9, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_a_quota_of_zero_is_unlimited_and_operators_have_none(tmp_path):
    settings = make_settings(tmp_path, QUOTA_ENTERPRISE_IMAGES=0, QUOTA_FREE_IMAGES=7)
    assert quotas.allowance(settings, "key_1", "enterprise").limits["images"] is None
    assert quotas.allowance(settings, "key_1", "free").limits["images"] == 7
    assert quotas.allowance(settings, None, "enterprise") is None


@pytest.fixture
def free_key(app, make_key, monkeypatch):
    """A free key whose plan allows 3 images a month (settings are frozen: patched in place)."""
    monkeypatch.setitem(app.extensions["settings"].__dict__, "quota_free_images", 3)
    return {"X-API-Key": make_key(plan="free", scopes=["read", "generate"], name="quota")}


def test_generation_past_the_quota_is_429_quota_exceeded_and_counts_nothing(client, free_key):
    accepted = client.post(
        "/api/v1/generate", json={"prompt": "a", "batch_size": 2}, headers=free_key
    )
    assert accepted.status_code == 202
    refused = client.post(
        "/api/v1/generate", json={"prompt": "b", "batch_size": 2}, headers=free_key
    )
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "QUOTA_EXCEEDED"
    assert body["details"]["quota"] == 3
    assert body["details"]["resets_at"] == quotas.period_bounds()[1].isoformat().replace(
        "+00:00", "Z"
    )
    assert int(refused.headers["Retry-After"]) > 0
    usage = client.get("/api/v1/usage", headers=free_key).get_json()
    assert usage["used"]["images"] == 2
    assert usage["remaining"]["images"] == 1
    last = client.post("/api/v1/generate", json={"prompt": "c"}, headers=free_key)
    assert last.status_code == 202
    assert client.get("/api/v1/usage", headers=free_key).get_json()["remaining"]["images"] == 0


def test_usage_and_me_show_the_period_use_and_quotas(client, free_key):
    usage = client.get("/api/v2/usage", headers=free_key).get_json()
    assert usage["plan"] == "free"
    assert usage["used"] == {"images": 0, "products": 0}
    assert usage["quota"] == {"images": 3, "products": 50}
    start, end = quotas.period_bounds()
    assert usage["period"]["start"].startswith(start.date().isoformat())
    assert usage["period"]["end"].startswith(end.date().isoformat())
    me = client.get("/api/v1/me", headers=free_key).get_json()
    assert me["quotas"] == usage


def test_an_enterprise_key_is_unlimited_by_default(client, admin_headers):
    usage = client.get("/api/v1/usage", headers=admin_headers).get_json()
    assert usage["quota"] == {"images": None, "products": None}
    assert usage["remaining"] == {"images": None, "products": None}
