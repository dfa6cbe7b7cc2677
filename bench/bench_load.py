"""Load test: a mixed workload with Locust against 2 web + 2 worker processes, and worker scaling.

Run `python -m bench.bench_load [--users 20] [--duration 30] [--modes embedded,distributed]`.
Everything stays on 127.0.0.1 and stops by itself. In one go it measures:

- per mode (`embedded`: SQLite, SQLite queue, local files; `distributed`: PostgreSQL + Redis, from
  `--database-url` / `--redis-url` or TEST_DATABASE_URL / TEST_REDIS_URL): Locust headless with the
  workload of `bench/locustfile.py` (reads, generations, approvals, batch approvals; every approval
  is a webhook delivery to a local receiver) against gunicorn with 2 web workers and 2 job worker
  processes. Throughput, p50/p95/p99, the error count (must be 0), memory (RSS) per process at start
  and end, and afterwards the consistency of what was done: every job final and none failed, every
  approval delivered to the subscriber exactly once by webhook-id;
- scaling (distributed when it runs, else embedded): completed local jobs per second with 1, 2 and
  4 worker processes draining the same number of queued jobs, from the first job's start to the
  last one's end.

The last line is JSON for machines; the exit code is 1 when the run saw an error.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import redis
import requests

from bench.bench_review_queue import database
from tests.e2e.harness import BIN, ROOT, Gateway, wait_for
from tests.e2e.webhooks import start_receiver

LOAD_ENV = {
    "RATE_LIMIT_GENERATION": "1000000",
    "RATE_LIMIT_APPROVAL": "1000000",
    "RATE_LIMIT_READ": "1000000",
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "LOG_LEVEL": "WARNING",
}
FINAL = {"completed", "failed", "cancelled"}


def memory_mb(gateway: Gateway) -> dict[str, float]:
    """Resident memory of the gunicorn master, each web worker and each job worker, in MB."""
    figures: dict[str, float] = {}
    if gateway.server is not None:
        master = psutil.Process(gateway.server.pid)
        figures["web_master"] = master.memory_info().rss / 2**20
        for index, child in enumerate(master.children()):
            figures[f"web_{index}"] = child.memory_info().rss / 2**20
    for index, worker in enumerate(gateway.workers):
        figures[f"worker_{index}"] = psutil.Process(worker.pid).memory_info().rss / 2**20
    return {name: round(value, 1) for name, value in figures.items()}


def run_locust(gateway: Gateway, workdir: Path, users: int, duration: int) -> dict[str, Any]:
    """Locust headless against `gateway`; the aggregated figures of its CSV summary."""
    prefix = workdir / "locust"
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{duration}s",
            "--host",
            gateway.url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
            "--stop-timeout",
            "10",
        ],
        cwd=ROOT,
        env={**os.environ, "POD_API_KEY": gateway.api_key},
        check=True,
        timeout=duration + 120,
        capture_output=True,
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    with open(f"{prefix}_failures.csv", newline="") as handle:
        failures = [
            f"{row['Method']} {row['Name']}: {row['Error']}" for row in csv.DictReader(handle)
        ]
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "failures": failures[:10],
    }


def drain(gateway: Gateway, timeout: float = 300) -> list[dict[str, Any]]:
    """Every job once they are all final."""

    def all_final() -> list[dict[str, Any]] | None:
        jobs, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = gateway.get("/api/v2/jobs", params=params).json()
            jobs += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        return jobs if all(job["status"] in FINAL for job in jobs) else None

    return wait_for(all_final, timeout=timeout, interval=1, what="the queue to drain")


def webhook_check(gateway: Gateway, receiver: Any, hook_id: str) -> dict[str, int]:
    """Approvals announced vs. delivered: every delivery done, each webhook-id received once."""

    def deliveries() -> list[dict[str, Any]]:
        found, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = gateway.get(f"/api/v2/webhooks/{hook_id}/deliveries", params=params).json()
            found += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return found

    settled = wait_for(
        lambda: (
            (found := deliveries()) and all(d["status"] == "succeeded" for d in found) and found
        ),
        timeout=120,
        interval=1,
        what="every webhook delivery to be delivered",
    )
    stats = requests.get(f"{receiver.url}/_emulator/stats", timeout=10).json()
    return {
        "deliveries": len(settled),
        "received_unique": stats["delivered"],
        "received_duplicates": stats["duplicates"],
    }


@contextmanager
def mode_gateway(
    mode: str, workdir: Path, args: argparse.Namespace, *, workers: int = 2
) -> Iterator[Gateway]:
    """2 web + `workers` worker processes in `mode`, stopped (and their database and Redis keys
    dropped) afterwards."""
    env = dict(LOAD_ENV)
    prefix = f"podload{secrets.token_hex(4)}"
    env["REDIS_PREFIX"] = prefix
    server = args.database_url if mode == "distributed" else None
    with database(workdir, server) as (url, _, _):
        if mode == "distributed":
            env.update({"DATABASE_URL": url, "REDIS_URL": args.redis_url})
        gateway = Gateway(workdir / "state", env, web_workers=2)
        try:
            yield gateway.start(workers=workers)
        finally:
            gateway.stop()
            if mode == "distributed":
                client = redis.Redis.from_url(args.redis_url)
                for key in client.scan_iter(f"*{prefix}*"):
                    client.delete(key)


def load_run(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-load-{mode}-") as tmp:
        workdir = Path(tmp)
        receiver = start_receiver(workdir)
        try:
            with mode_gateway(mode, workdir, args) as gateway:
                hook = gateway.post(
                    "/api/v1/webhooks",
                    json={"url": f"{receiver.url}/hooks/load", "events": ["image.approved"]},
                ).json()
                for n in range(args.seed_images):
                    gateway.generate(prompt=f"seed {n}", width=64, height=64)
                drain(gateway)
                memory_start = memory_mb(gateway)
                figures = run_locust(gateway, workdir, args.users, args.duration)
                jobs = drain(gateway)
                memory_end = memory_mb(gateway)
                figures.update(
                    {
                        "jobs": len(jobs),
                        "jobs_failed": sum(job["status"] != "completed" for job in jobs),
                        "webhooks": webhook_check(gateway, receiver, hook["id"]),
                        "memory_mb_start": memory_start,
                        "memory_mb_end": memory_end,
                    }
                )
        finally:
            receiver.stop()
    return figures


def scaling_run(workers: int, jobs: int, mode: str, args: argparse.Namespace) -> float:
    """Completed local jobs per second when `workers` processes drain `jobs` queued jobs, timed
    from the first job's start to the last one's end (the workers' own start-up left out)."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp,
        mode_gateway(mode, Path(tmp), args, workers=0) as gateway,
    ):
        job_ids = [
            gateway.generate(prompt=f"scale {n}", width=256, height=256, seed=n)
            for n in range(jobs)
        ]
        for _ in range(workers):
            gateway.start_worker()
        finished = [gateway.wait_job(job_id, timeout=600) for job_id in job_ids]
        assert all(job["status"] == "completed" for job in finished), "a scaling job failed"
        first = min(datetime.fromisoformat(job["started_at"]) for job in finished)
        last = max(datetime.fromisoformat(job["completed_at"]) for job in finished)
        return jobs / max((last - first).total_seconds(), 1e-3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per mode")
    parser.add_argument("--seed-images", type=int, default=20)
    parser.add_argument("--modes", default="embedded,distributed")
    parser.add_argument("--scaling-jobs", type=int, default=40, help="0 skips the scaling run")
    parser.add_argument("--scaling-workers", default="1,2,4")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL")
    )
    args = parser.parse_args(argv)
    modes = [mode for mode in args.modes.split(",") if mode]
    if "distributed" in modes and not (args.database_url and args.redis_url):
        print("distributed mode skipped: no --database-url/--redis-url (or TEST_* variables)")
        modes.remove("distributed")
    results: dict[str, Any] = {"users": args.users, "duration_s": args.duration}
    for mode in modes:
        figures = load_run(mode, args)
        results[mode] = figures
        print(
            f"{mode:<12} {figures['requests']:>6} requests  {figures['rps']:>7.1f} req/s  "
            f"p50 {figures['p50_ms']:.0f} ms  p95 {figures['p95_ms']:.0f} ms  "
            f"p99 {figures['p99_ms']:.0f} ms  errors {figures['errors']}  "
            f"jobs {figures['jobs']} (failed {figures['jobs_failed']})  "
            f"webhooks {figures['webhooks']['deliveries']} delivered"
        )
    if args.scaling_jobs:
        # Scaling out is the distributed mode's job; embedded SQLite has one writer at a time.
        scaling_mode = "distributed" if "distributed" in modes else "embedded"
        results["scaling_mode"] = scaling_mode
        rates = {
            int(count): round(scaling_run(int(count), args.scaling_jobs, scaling_mode, args), 2)
            for count in args.scaling_workers.split(",")
        }
        base = rates[min(rates)]
        results["scaling_jobs_per_s"] = rates
        results["scaling_ratio"] = {count: round(rate / base, 2) for count, rate in rates.items()}
        print(
            f"scaling ({scaling_mode}) workers  jobs/s  vs 1: "
            + ", ".join(f"{k}: {v} ({v / base:.2f}x)" for k, v in rates.items())
        )
    print(json.dumps(results))
    bad = [
        mode
        for mode in modes
        if results[mode]["errors"]
        or results[mode]["jobs_failed"]
        or results[mode]["webhooks"]["received_unique"] < results[mode]["webhooks"]["deliveries"]
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
