"""Chaos: the network to PostgreSQL and Redis cut for 10 s mid-work, through TCP proxies between
the gateway and the machine's shared servers. Afterwards nothing is lost, nothing is doubled, the
database is consistent, and the gateway recovered without an operator."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
import redis
import requests
from sqlalchemy import make_url

from tests.e2e.harness import Gateway, wait_for
from tests.e2e.tcpproxy import TcpProxy

OUTAGE_SECONDS = 10


@pytest.fixture
def proxied(
    start_gateway, make_postgres_database, redis_url
) -> Iterator[tuple[Gateway, TcpProxy, TcpProxy]]:
    database = make_url(make_postgres_database())
    redis_target = make_url(redis_url)
    pg = TcpProxy(database.host or "127.0.0.1", database.port or 5432).start()
    rd = TcpProxy(redis_target.host or "127.0.0.1", redis_target.port or 6379).start()
    prefix = f"podchaos{secrets.token_hex(4)}"
    env = {
        "DATABASE_URL": database.set(host="127.0.0.1", port=pg.port).render_as_string(
            hide_password=False
        ),
        "REDIS_URL": f"redis://127.0.0.1:{rd.port}/{redis_target.database or 0}",
        "REDIS_PREFIX": prefix,
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_STALE_SECONDS": "3",
    }
    gateway = start_gateway(env, workers=2)
    try:
        yield gateway, pg, rd
    finally:
        gateway.stop()  # while its database is still reachable: a clean stop needs it
        pg.stop()
        rd.stop()
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def submit(gateway: Gateway, key: str, prompt: str) -> requests.Response:
    return requests.post(
        f"{gateway.url}/api/v2/generate",
        json={"prompt": prompt, "width": 128, "height": 128},
        headers={"X-API-Key": gateway.api_key, "Idempotency-Key": key},
        timeout=60,
    )


def test_postgres_and_redis_cut_for_ten_seconds_mid_work_loses_and_doubles_nothing(proxied):
    gateway, pg, rd = proxied
    job_ids = [submit(gateway, f"before-{n}", f"chaos {n}").json()["job_id"] for n in range(8)]
    wait_for(
        lambda: any(gateway.job(job_id)["status"] == "completed" for job_id in job_ids),
        timeout=120,
        what="work to be under way",
    )

    pg.cut()
    rd.cut()
    cut_at = time.monotonic()
    during = submit(gateway, "during-the-outage", "chaos during")
    assert during.status_code >= 500  # the service is down, not the request wrong
    ready = requests.get(f"{gateway.url}/ready", timeout=60)
    assert ready.status_code == 503
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
    pg.restore()
    rd.restore()

    # The client retries its refused call with the same key once the service is back.
    retried = wait_for(
        lambda: (
            (answer := submit(gateway, "during-the-outage", "chaos during")).status_code == 202
            and answer
        ),
        timeout=120,
        interval=1,
        what="the gateway to take requests again",
    )
    job_ids.append(retried.json()["job_id"])
    again = submit(gateway, "during-the-outage", "chaos during")
    assert again.json()["job_id"] == retried.json()["job_id"]

    jobs = [gateway.wait_job(job_id, timeout=180) for job_id in job_ids]
    assert [job["status"] for job in jobs] == ["completed"] * 9
    image_ids = [image_id for job in jobs for image_id in job["image_ids"]]
    assert len(image_ids) == len(set(image_ids)) == 9
    listed = gateway.get("/api/v2/images", params={"limit": 200}).json()["items"]
    assert sorted(image["id"] for image in listed) == sorted(image_ids)
    all_jobs = gateway.get("/api/v2/jobs", params={"limit": 200}).json()["items"]
    assert sorted(job["job_id"] for job in all_jobs) == sorted(job_ids)
    wait_for(lambda: gateway.get("/ready").status_code == 200, timeout=60, what="ready again")
    assert pg.connections > 1 and rd.connections > 1  # the gateway reconnected by itself
