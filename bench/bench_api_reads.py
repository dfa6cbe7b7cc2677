"""Reads per second of `GET /api/v2/images?limit=50` through the whole API path, against bare Flask.

Run `python -m bench.bench_api_reads [--images N] [--duration S] [--rounds R] [--connections C]
[--load-generator auto|wrk|python] [--redis-url URL]`. It starts, as `make run` does
(gunicorn.conf.py, 2 workers, gthread, no embedded job worker):

- ours: the gateway, rate limits on (`RATE_LIMIT_READ` so high that nothing is refused; counters in
  the machine's shared file, or in Redis with `--redis-url`), every request authenticated with an
  API key and metered; N image rows (default 2,000, the review-queue benchmark's realistic rows)
  inserted into its SQLite database;
- baseline: a bare Flask app (`baseline_app`, below) under the same gunicorn settings, answering
  the same 50 newest rows from the same database file with sqlite3, one connection per thread.

Each server gets a short warm-up, then C connections (default 32) for S seconds (default 10) in
all, split into R rounds (default 5) that alternate between the servers, the first of each round
swapped every time (ABBA), so a machine whose load drifts during the run weighs on both alike.
The load comes from `wrk` (`apt-get install wrk`), or, when wrk is not on PATH, from a Python
generator: one thread per connection, each a kept-alive `http.client` connection (it saturates
sooner, so its figures only compare within one run). wrk counts answers >= 400 as non-2xx (nothing
here redirects). `metered_requests` is the key's request count read from the database after the
gateway's clean shutdown. The ratio is ours / baseline; any non-2xx answer or socket error fails
the run (exit 1). The last line is JSON for machines.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis
import requests
from flask import Flask
from sqlalchemy import create_engine, insert

from bench.bench_image_pipeline import percentile
from bench.bench_review_queue import image_rows
from gateway.app.images.models import Image
from tests.e2e.harness import BIN, ROOT, Gateway, free_port, wait_for

PAGE = 50
PATH = f"/api/v2/images?limit={PAGE}"
BASELINE_PATH = "/images"
BASELINE_APP = "bench.bench_api_reads:baseline_app()"  # not __name__: that is __main__ here
ENV = {
    "RATE_LIMIT_ENABLED": "true",
    "RATE_LIMIT_READ": "10000000",
    "LOG_LEVEL": "WARNING",
    "PRINT_TARGETS_CACHE_SECONDS": "5",  # the default, which the test harness turns off
}
WARMUP_FRACTION = 0.2
TIMEOUT_S = 30
JSON_COLUMNS = ("params", "tags", "quality")
BASELINE_SQL = (
    "SELECT id, status, source, job_id, prompt, params, seed, backend, parent_id, title, "
    "description, tags, width, height, dpi, mime, file_size, sha256, quality, duplicate_count, "
    "reject_reason, review_note, reviewed_by, reviewed_at, created_at, updated_at "
    f"FROM images ORDER BY created_at DESC, id DESC LIMIT {PAGE}"
)
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "non_2xx": %d, "errors": %d, "p50_ms": %.3f, "p99_ms": %.3f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
"""


def baseline_app() -> Flask:
    """The floor: Flask + sqlite3 answering the 50 newest image rows of `BENCH_DATABASE` as JSON.

    Gunicorn builds it (`bench.bench_api_reads:baseline_app()`), so the database comes from the
    environment; each server thread keeps one connection, as a pool would.
    """
    database = os.environ["BENCH_DATABASE"]
    local = threading.local()
    app = Flask("baseline")

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "connection"):
            local.connection = sqlite3.connect(database)
            local.connection.row_factory = sqlite3.Row
        return local.connection

    @app.get(BASELINE_PATH)
    def images() -> dict:
        items = []
        for row in connection().execute(BASELINE_SQL):
            item = dict(row)
            for column in JSON_COLUMNS:
                item[column] = json.loads(item[column])
            items.append(item)
        return {"items": items}

    return app


@dataclass(frozen=True)
class Load:
    """What one load run saw."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds

    @staticmethod
    def combined(loads: list[Load]) -> Load:
        """Rounds taken together: their requests over their seconds; percentiles weighted by
        requests (an approximation: each round reports only its own)."""
        requests = sum(load.requests for load in loads)

        def weighted(name: str) -> float:
            return sum(getattr(load, name) * load.requests for load in loads) / max(requests, 1)

        return Load(
            requests=requests,
            seconds=sum(load.seconds for load in loads),
            p50_ms=weighted("p50_ms"),
            p99_ms=weighted("p99_ms"),
            non_2xx=sum(load.non_2xx for load in loads),
            errors=sum(load.errors for load in loads),
        )


def wrk_load(url: str, headers: dict[str, str], seconds: int, connections: int) -> Load:
    """`wrk` for `seconds` over `connections` kept-alive connections, two threads (two cores)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        command = [
            "wrk",
            f"--threads={min(2, connections)}",
            f"--connections={connections}",
            f"--duration={seconds}s",
            f"--timeout={TIMEOUT_S}s",
            f"--script={script.name}",
            *(f"--header={name}: {value}" for name, value in headers.items()),
            url,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    return Load(**json.loads(result.stdout.strip().splitlines()[-1]))


def python_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> Load:
    """The fallback generator: one thread per connection, each a kept-alive `http.client`."""
    parts = urlsplit(url)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    deadline = time.perf_counter() + seconds

    def client(_: int) -> tuple[list[float], int, int]:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_S)
        latencies: list[float] = []
        non_2xx = errors = 0
        while (start := time.perf_counter()) < deadline:
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()  # the next request reconnects
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            non_2xx += not 200 <= response.status < 300
        connection.close()
        return latencies, non_2xx, errors

    start = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        results = list(pool.map(client, range(connections)))
    elapsed = time.perf_counter() - start
    latencies = [value for values, _, _ in results for value in values]
    return Load(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 0.5) if latencies else 0.0,
        p99_ms=percentile(latencies, 0.99) if latencies else 0.0,
        non_2xx=sum(non_2xx for _, non_2xx, _ in results),
        errors=sum(errors for _, _, errors in results),
    )


def seed(database: Path, count: int) -> None:
    """Insert `count` realistic image rows (created over 90 days) in one transaction."""
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(insert(Image), list(image_rows(count)))
    engine.dispose()


def check_page(url: str, headers: dict[str, str]) -> None:
    """Fail unless `url` answers 200 with a page of `PAGE` items (so both serve the same work)."""
    response = requests.get(url, headers=headers, timeout=TIMEOUT_S)
    if response.status_code != 200 or len(response.json()["items"]) != PAGE:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")


@contextmanager
def baseline_server(workdir: Path, database: Path) -> Iterator[str]:
    """`baseline_app` under gunicorn.conf.py (2 workers, gthread); yields its base URL."""
    workdir.mkdir(parents=True)
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "EMBEDDED_WORKER": "0",
        "GATEWAY_STATE_DIR": str(workdir),
        "BENCH_DATABASE": str(database),
    }
    with open(workdir / "gunicorn.log", "ab") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", BASELINE_APP],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(server, url + BASELINE_PATH), timeout=60, what="baseline")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(server: subprocess.Popen[bytes], url: str) -> bool:
    if server.poll() is not None:
        raise SystemExit(f"the baseline server exited with {server.returncode}: see gunicorn.log")
    try:
        return requests.get(url, timeout=1).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def metered_requests(database: Path) -> int:
    """Requests counted against every API key, as the database holds them."""
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT COALESCE(SUM(request_count), 0) FROM api_keys"
        ).fetchone()[0]


def run(
    workdir: Path,
    images: int,
    seconds: int,
    connections: int,
    generator: str,
    redis_url: str | None,
    rounds: int = 1,
) -> dict:
    """Start both servers over one seeded database, load them in alternating rounds (`seconds`
    in all per server), return the figures."""
    load = wrk_load if generator == "wrk" else python_load
    warmup = max(0.2, seconds * WARMUP_FRACTION)
    env = dict(ENV)
    if redis_url:
        env.update(REDIS_URL=redis_url, REDIS_PREFIX=f"podbench{secrets.token_hex(4)}")
    gateway = Gateway(workdir / "gateway", env)
    database = gateway.state_dir / "gateway.db"  # the default DATABASE_URL
    try:
        gateway.start(workers=0)
        seed(database, images)
        auth = {"X-API-Key": gateway.api_key}
        with baseline_server(workdir / "baseline", database) as baseline_url:
            targets = {
                "bare": (baseline_url + BASELINE_PATH, {}),
                "gateway": (gateway.url + PATH, auth),
            }
            for url, headers in targets.values():
                check_page(url, headers)
                python_load(url, headers, warmup, connections)
            rounds_of: dict[str, list[Load]] = {name: [] for name in targets}
            for index in range(rounds):
                # Alternating which goes first (ABBA...) spreads a drifting machine load evenly.
                order = list(targets) if index % 2 == 0 else list(reversed(targets))
                for name in order:
                    url, headers = targets[name]
                    rounds_of[name].append(
                        load(url, headers, max(1, seconds // rounds), connections)
                    )
            results = {name: Load.combined(loads) for name, loads in rounds_of.items()}
    finally:
        gateway.stop()
        if redis_url:
            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(f"*{env['REDIS_PREFIX']}*"):
                client.delete(key)
    bare, ours = results["bare"], results["gateway"]
    return {
        "benchmark": "api_reads",
        "images": images,
        "connections": connections,
        "duration_s": seconds,
        "rounds": rounds,
        "load_generator": generator,
        "rate_limit_store": "redis" if redis_url else "machine file",
        "bare_per_s": round(bare.per_s, 1),
        "gateway_per_s": round(ours.per_s, 1),
        "ratio": round(ours.per_s / bare.per_s, 3),
        "bare_p50_ms": round(bare.p50_ms, 2),
        "bare_p99_ms": round(bare.p99_ms, 2),
        "gateway_p50_ms": round(ours.p50_ms, 2),
        "gateway_p99_ms": round(ours.p99_ms, 2),
        "bare_non_2xx": bare.non_2xx,
        "gateway_non_2xx": ours.non_2xx,
        "socket_errors": bare.errors + ours.errors,
        "gateway_requests": ours.requests,
        "metered_requests": metered_requests(database),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--redis-url", help="rate-limit counters in Redis (distributed mode)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating rounds the duration is split into"
    )
    args = parser.parse_args(argv)
    generator = args.load_generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
        if generator == "python":
            print("wrk is not on PATH (Debian: apt-get install wrk): using the Python generator")
    with tempfile.TemporaryDirectory(prefix="bench-api-reads-") as tmp:
        result = run(
            Path(tmp),
            args.images,
            args.duration,
            args.connections,
            generator,
            args.redis_url,
            max(1, args.rounds),
        )
    print(
        f"{args.images} images; {args.connections} connections for {args.duration} s each "
        f"in {result['rounds']} alternating rounds ({generator}); 2 gunicorn workers (gthread) "
        f"for both; rate limits in the {result['rate_limit_store']}"
    )
    print(f"{'case':<60}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name, title in {
        "bare": "baseline: Flask + sqlite3, same 50 rows",
        "gateway": f"ours: GET {PATH} (key, metered, limited)",
    }.items():
        print(
            f"{title:<60}{result[f'{name}_per_s']:>9.1f}{result[f'{name}_p50_ms']:>9.1f}"
            f"{result[f'{name}_p99_ms']:>9.1f}{result[f'{name}_non_2xx']:>9}"
        )
    print(f"ratio (ours / baseline): {result['ratio']:.3f}")
    print(json.dumps(result))
    failed = result["bare_non_2xx"] + result["gateway_non_2xx"] + result["socket_errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
