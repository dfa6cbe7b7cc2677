"""A short, bounded load test in the suite (the long runs and figures live in bench/bench_load.py):
Locust's mixed workload against 2 web + 2 worker processes, embedded and on PostgreSQL + Redis,
with zero errors, every job completed and every approval delivered by webhook exactly once."""

from __future__ import annotations

import argparse
import os

import pytest

from bench import bench_load
from tests.conftest import service_missing


@pytest.mark.parametrize("mode", ["embedded", "distributed"])
def test_a_mixed_load_completes_with_no_error_and_nothing_lost_or_doubled(mode):
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if mode == "distributed" and not (database_url and redis_url):
        service_missing("TEST_DATABASE_URL and TEST_REDIS_URL are needed for the distributed mode")
    args = argparse.Namespace(
        users=6, duration=8, seed_images=6, database_url=database_url, redis_url=redis_url
    )
    figures = bench_load.load_run(mode, args)
    assert figures["requests"] > 50
    assert figures["errors"] == 0, figures["failures"]
    assert figures["jobs_failed"] == 0
    webhooks = figures["webhooks"]
    assert webhooks["deliveries"] > 0
    assert webhooks["received_unique"] == webhooks["deliveries"]
    assert webhooks["received_duplicates"] == 0
