"""Webhook deliveries per second to a local receiver, against a bare `requests.post` loop.

Run `python -m bench.bench_webhooks [--deliveries N] [--subscriptions S] [--cases C ...]`. One
receiver process (`tests.emulators.receiver`, answering 200 at once) serves every case of the run.
Each case:

- queues domain events (`batch.completed`, from batch approvals of an id that does not exist: the
  cheapest event to make) on a real gateway (gunicorn) with no worker running, N / S of them for
  S subscriptions to every event, so that N deliveries are due;
- baseline, right then: a bare `requests.post` loop in this process sends N bodies of the same
  size to the same receiver, one after another, posts per second;
- ours: one (or two) `flask worker` processes start, fan the outbox out and deliver the N
  deliveries: signed, SSRF-checked, each attempt logged, one at a time and in order per
  subscription. The rate is taken at the receiver from the arrival a quarter of the way in to the
  last one, so the workers' start-up is not counted.

Cases: one worker and two workers over S subscriptions, and one worker with a single subscription
(one endpoint's deliveries go one at a time); `--cases` runs only some of them (each starts its
own gateway, so the smoke run takes one). The ratio (baseline / ours) says how many bare posts
one delivery costs. The last line is JSON for machines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.e2e.harness import Gateway, wait_for
from tests.emulators.process import EmulatorProcess

ENV = {
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "RATE_LIMIT_ENABLED": "false",
    "LOG_LEVEL": "WARNING",
}
SKIP = 0.25
# key: (title, subscriptions (None: all S of them), workers)
CASES: dict[str, tuple[str, int | None, int]] = {
    "one_worker": ("1 worker, {subs} subscriptions", None, 1),
    "two_workers": ("2 workers, {subs} subscriptions", None, 2),
    "one_subscription": ("1 worker, 1 subscription (in order)", 1, 1),
}


def _rate(stamps: list[float]) -> float:
    """Arrivals per second from the one `SKIP` of the way in to the last one."""
    stamps = sorted(stamps)
    first = int(len(stamps) * SKIP)
    return (len(stamps) - 1 - first) / (stamps[-1] - stamps[first])


def bare_post_rate(receiver: EmulatorProcess, count: int, body: bytes) -> float:
    """Posts per second for a bare `requests.post` loop with `body` to the receiver."""
    url = f"{receiver.url}/baseline"
    headers = {"Content-Type": "application/json"}
    start = time.perf_counter()
    for _ in range(count):
        requests.post(url, data=body, headers=headers, timeout=15).raise_for_status()
    return count / (time.perf_counter() - start)


def run_case(
    workdir: Path, receiver: EmulatorProcess, *, deliveries: int, subscriptions: int, workers: int
) -> tuple[float, float]:
    """(baseline posts per second, deliveries per second) for one case."""
    gateway = Gateway(workdir / f"gateway-{workers}w-{subscriptions}s", dict(ENV))
    gateway.start(workers=0)
    try:
        for n in range(subscriptions):
            response = gateway.post(
                "/api/v1/webhooks",
                json={"url": f"{receiver.url}/hook/{n}", "events": ["batch.completed"]},
            )
            response.raise_for_status()

        def queue_event(n: int) -> None:
            batch = {"image_ids": [f"img_bench_{n:06d}"]}
            gateway.post("/api/v1/batch/approve", json=batch).raise_for_status()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(queue_event, range(deliveries // subscriptions)))
        sample = gateway.get("/api/v1/webhooks/samples/batch.completed").json()[0]
        receiver.configure(reset=True)
        baseline = bare_post_rate(receiver, deliveries, json.dumps(sample).encode())

        receiver.configure(reset=True)
        for _ in range(workers):
            gateway.start_worker()
        wait_for(
            lambda: (
                requests.get(f"{receiver.url}/_emulator/stats", timeout=10).json()["accepted_total"]
                >= deliveries
            ),
            timeout=600,
            interval=0.2,
            what="every benchmark delivery",
        )
        records = requests.get(f"{receiver.url}/_emulator/requests", timeout=30).json()
        return baseline, _rate([record["at"] for record in records["requests"]])
    finally:
        gateway.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=800)
    parser.add_argument("--subscriptions", type=int, default=8)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    args = parser.parse_args(argv)
    deliveries, subs = args.deliveries, args.subscriptions
    cases = {
        key: (title.format(subs=subs), subscriptions or subs, workers)
        for key, (title, subscriptions, workers) in CASES.items()
        if key in args.cases
    }
    results: dict[str, tuple[float, float]] = {}
    receiver = EmulatorProcess("tests.emulators.receiver").start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for key, (_, subscriptions, workers) in cases.items():
                results[key] = run_case(
                    Path(tmp),
                    receiver,
                    deliveries=deliveries,
                    subscriptions=subscriptions,
                    workers=workers,
                )
    finally:
        receiver.stop()
    print(f"{'case':<44}{'baseline/s':>12}{'ours/s':>10}{'ratio':>9}")
    for key, (title, _, _) in cases.items():
        baseline, ours = results[key]
        print(f"{title:<44}{baseline:>12.1f}{ours:>10.1f}{baseline / ours:>8.1f}x")
    summary: dict[str, object] = {
        "benchmark": "webhooks",
        "deliveries": deliveries,
        "subscriptions": subs,
        "baseline_per_s": round(statistics.median(b for b, _ in results.values()), 1),
    }
    for key, (baseline, ours) in results.items():
        summary[f"{key}_per_s"] = round(ours, 1)
        summary[f"{key}_ratio"] = round(baseline / ours, 2)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
