"""Scale-out mode: PostgreSQL, the Redis-backed queue and rate limits, several workers."""

from __future__ import annotations

import signal

import pytest
import redis


@pytest.fixture(scope="module")
def distributed(module_gateways, make_postgres_database, redis_url):
    prefix = "poddist"
    env = {
        "DATABASE_URL": make_postgres_database(),
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": prefix,
        "RATE_LIMIT_GENERATION": "20",
    }
    gateway = module_gateways(env, workers=2)
    yield gateway
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_jobs_wait_on_the_redis_queue_and_run_across_two_workers_exactly_once(
    distributed, redis_url
):
    queue_key = "huey.redis.poddistjobs"
    client = redis.Redis.from_url(redis_url)
    for worker in list(distributed.workers):
        distributed.kill_worker(worker, signal.SIGTERM)
    distributed.workers.clear()

    job_ids = [
        distributed.generate(prompt=f"distributed design {n}", width=256, height=256, seed=n)
        for n in range(8)
    ]
    assert client.llen(queue_key) == 8
    assert {distributed.job(job_id)["status"] for job_id in job_ids} == {"pending"}

    distributed.start_worker()
    distributed.start_worker()
    jobs = [distributed.wait_job(job_id) for job_id in job_ids]

    assert [job["status"] for job in jobs] == ["completed"] * 8
    assert sum(len(job["image_ids"]) for job in jobs) == 8
    assert distributed.get("/api/v1/images", params={"limit": 50}).json()["total"] == 8
    assert client.llen(queue_key) == 0
    assert distributed.get("/ready").json()["checks"]["queue"] == "ok"


def test_rate_limits_are_shared_by_all_gunicorn_workers_through_redis(distributed):
    created = distributed.flask(
        "keys", "create", "limited", "--plan", "free", "--scopes", "read,generate"
    )
    key = created.stdout.strip().splitlines()[-1]
    statuses = []
    for _ in range(22):
        response = distributed.post(
            "/api/v1/generate",
            headers={"X-API-Key": key},
            json={"prompt": "limit probe", "width": 64, "height": 64},
        )
        statuses.append(response.status_code)
    assert statuses.count(202) == 20
    assert statuses[-1] == 429
