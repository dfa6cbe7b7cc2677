"""Server time of 10,000-id batch approve, reject and delete through the real app.

Run `python -m bench.bench_batch [--ids N] [--runs N] [--database-url URL]`. For each database it
fills a fresh one with `runs x 2 x N` pending image rows, makes an API key with every scope, and
times in-process, through Flask's test client and the whole API path (auth, idempotency, rate
limit, validation, service, JSON answer):

- `POST /api/v2/batch/approve` of N pending ids, then `POST /api/v2/batch/delete` of those N;
- `POST /api/v2/batch/reject` of N other pending ids.

Each answer must report every id successful, and the outbox must hold one event per image plus one
`batch.completed` per request. SQLite always; PostgreSQL too when `--database-url` (or
BENCH_DATABASE_URL, else TEST_DATABASE_URL) names a server, in a throwaway database dropped at the
end. CPU seconds are this process's alone (they leave out PostgreSQL's server), a figure that a
busy machine disturbs less than the wall clock. `BEFORE_SECONDS` are the figures of the per-item
path this replaced (one savepoint, one UPDATE, one audit row and one outbox row per image),
measured at 10,000 ids on the same machine (under load from other work, as these runs are);
the JSON carries them and the speed-up. The last line is JSON for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, insert, select

from bench.bench_review_queue import BATCH, database, image_rows
from gateway.app import create_app
from gateway.app.accounts import service as accounts
from gateway.app.accounts.context import keyring
from gateway.app.audit.service import SYSTEM
from gateway.app.events.models import OutboxEvent
from gateway.app.extensions import db
from gateway.app.images.models import Image
from gateway.app.settings import Settings

ACTIONS = ("approve", "reject", "delete")
BEFORE_SECONDS: dict[str, dict[str, float]] = {
    "sqlite": {"approve": 19.93, "reject": 17.34, "delete": 24.05},
    "postgresql": {"approve": 44.72, "reject": 41.02, "delete": 67.07},
}


def load_pending(app: Flask, count: int) -> list[str]:
    """Insert `count` pending image rows; their ids, oldest first."""
    ids: list[str] = []
    rows = image_rows(count)
    with app.app_context():
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            for row in batch:
                row.update(status="pending", reject_reason=None, reviewed_by=None)
            db.session.execute(insert(Image), batch)
            ids.extend(row["id"] for row in batch)
        db.session.commit()
    return ids


def post(client: FlaskClient, key: str, action: str, body: dict[str, Any]) -> tuple[float, float]:
    """(wall, CPU) seconds one batch request takes; it must answer 200, every id successful."""
    headers = {"X-API-Key": key, "Idempotency-Key": secrets.token_hex(16)}
    start, cpu = time.perf_counter(), time.process_time()
    response = client.post(f"/api/v2/batch/{action}", json=body, headers=headers)
    elapsed = (time.perf_counter() - start, time.process_time() - cpu)
    assert response.status_code == 200, (action, response.status_code, response.get_data()[:300])
    counts = response.get_json()["counts"]
    assert counts["successful"] == len(body["image_ids"]), (action, counts)
    return elapsed


def run(url: str, workdir: Path, ids: int, runs: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per request of each action, `runs` times each, on the database at
    `url`."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        GATEWAY_STATE_DIR=str(workdir),
        GATEWAY_SECRET_KEY="bench-secret-key",
        GATEWAY_BASE_URL="http://gateway.bench",
        DATABASE_URL=url,
        LOG_LEVEL="WARNING",
    )
    app = create_app({"SETTINGS": settings, "QUEUE_IMMEDIATE": True})
    with app.app_context():
        upgrade()
        key = accounts.create_key(
            db.session, "bench", plan="enterprise", scopes=["read", "review", "admin"], actor=SYSTEM
        ).secret
    pending = load_pending(app, runs * 2 * ids)
    client = app.test_client()
    timings: dict[str, list[tuple[float, float]]] = {action: [] for action in ACTIONS}
    for run_index in range(runs):
        start = run_index * 2 * ids
        approved, rejected = pending[start : start + ids], pending[start + ids : start + 2 * ids]
        timings["approve"].append(post(client, key, "approve", {"image_ids": approved}))
        timings["reject"].append(
            post(client, key, "reject", {"image_ids": rejected, "reason": "low_quality"})
        )
        timings["delete"].append(post(client, key, "delete", {"image_ids": approved}))
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(OutboxEvent))
        db.session.remove()  # ends its IMMEDIATE transaction, which the flush would wait behind
        keyring().close()  # its last flush, while the database is still there
        db.engine.dispose()
    assert events == runs * (2 * ids + 3), f"{events} outbox events"
    return timings


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL server to run on as well as SQLite",
    )
    args = parser.parse_args(argv)
    servers = (
        {"sqlite": None, "postgresql": args.database_url} if args.database_url else {"sqlite": None}
    )
    figures: dict[str, dict[str, float]] = {}
    print(f"{args.ids:,} ids per request, median of {args.runs} runs")
    print(f"{'database':<12}{'action':<10}{'seconds':>9}{'CPU s':>8}{'ids/s':>10}{'before s':>10}")
    for engine, server in servers.items():
        with (
            tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp,
            database(Path(tmp), server) as (url, _, _),
        ):
            timings = run(url, Path(tmp), args.ids, args.runs)
        figures[engine] = {}
        for action in ACTIONS:
            seconds = statistics.median(wall for wall, _ in timings[action])
            cpu = statistics.median(cpu for _, cpu in timings[action])
            before = BEFORE_SECONDS.get(engine, {}).get(action)
            figures[engine][f"{action}_s"] = round(seconds, 4)
            figures[engine][f"{action}_cpu_s"] = round(cpu, 4)
            if before is not None and args.ids == 10_000:
                figures[engine][f"{action}_before_s"] = before
                figures[engine][f"{action}_speedup"] = round(before / seconds, 1)
            shown = f"{before:>10.2f}" if before is not None else f"{'-':>10}"
            print(
                f"{engine:<12}{action:<10}{seconds:>9.3f}{cpu:>8.3f}"
                f"{args.ids / seconds:>10,.0f}{shown}"
            )
    print(
        json.dumps(
            {"benchmark": "batch", "ids": args.ids, "runs": args.runs, **figures},
            sort_keys=False,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
