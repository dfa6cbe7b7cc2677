"""Jobs per second through the whole job path, against a bare Huey round trip.

Run `python -m bench.bench_job_path [--jobs N]`. In one go it measures:

- baseline: a bare SqliteHuey task round trip (enqueue a no-op task, one consumer process with one
  thread, wait for its result), tasks per second;
- ours: `POST /api/v1/generate` (local backend, 256x256) against a real gateway (gunicorn) with one
  `flask worker` process with one thread, until every job is `completed`, jobs per second.

The ratio (baseline / ours) says how many bare queue round trips one gateway job costs; the
difference is the work a job really does (lease, render, validate, store, thumbnail, hash,
duplicate lookup, audit) plus HTTP. The last line is JSON for machines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from tests.e2e.harness import Gateway, wait_for

HUEY_MODULE = textwrap.dedent(
    """
    import time
    from huey import SqliteHuey
    huey = SqliteHuey("bench", filename=DATABASE)

    @huey.task()
    def noop(n):
        return n

    def produce(count):
        start = time.perf_counter()
        results = [noop(n) for n in range(count)]
        for result in results:
            result.get(blocking=True, timeout=60)
        return count / (time.perf_counter() - start)
    """
)


def bare_huey_rate(workdir: Path, count: int) -> float:
    """Tasks per second for a no-op SqliteHuey task with one consumer thread in its own process."""
    module = workdir / "huey_bench.py"
    module.write_text(f"DATABASE = {str(workdir / 'huey.db')!r}\n{HUEY_MODULE}")
    env = {"PYTHONPATH": str(workdir), "PATH": "/usr/bin:/bin"}
    consumer = subprocess.Popen(
        [sys.executable, "-m", "huey.bin.huey_consumer", "huey_bench.huey", "-w", "1", "-q"],
        cwd=workdir,
        env=env,
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", f"import huey_bench; print(huey_bench.produce({count}))"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(result.stdout.strip().splitlines()[-1])
    finally:
        consumer.terminate()
        consumer.wait(timeout=10)


def gateway_rate(workdir: Path, count: int) -> float:
    """Generation jobs per second through HTTP, one worker process with one thread."""
    gateway = Gateway(
        workdir / "gateway",
        {"WORKER_CONCURRENCY": "1", "LOG_LEVEL": "WARNING", "RATE_LIMIT_ENABLED": "false"},
    )
    gateway.start(workers=1)
    try:
        warmup = gateway.generate(prompt="warm up", width=256, height=256, seed=0)
        gateway.wait_job(warmup)
        start = time.perf_counter()
        job_ids = [
            gateway.generate(prompt=f"benchmark design {n}", width=256, height=256, seed=n + 1)
            for n in range(count)
        ]
        wait_for(
            lambda: (
                gateway.get("/api/v1/jobs", params={"status": "completed", "limit": 200})
                .json()["items"]
                .__len__()
                >= count + 1
            ),
            timeout=600,
            interval=0.05,
            what="all benchmark jobs",
        )
        elapsed = time.perf_counter() - start
        failed = [job_id for job_id in job_ids if gateway.job(job_id)["status"] != "completed"]
        if failed:
            raise SystemExit(f"{len(failed)} jobs did not complete")
        return count / elapsed
    finally:
        gateway.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        baseline = bare_huey_rate(workdir, args.jobs * 5)
        ours = gateway_rate(workdir, args.jobs)
    ratio = baseline / ours
    print(f"{'case':<52}{'per second':>12}")
    print(f"{'baseline: bare SqliteHuey no-op round trip':<52}{baseline:>12.1f}")
    print(f"{'ours: POST /generate -> completed (local, 256x256)':<52}{ours:>12.2f}")
    print(f"ratio (baseline / ours): {ratio:.1f} bare round trips per gateway job")
    print(
        json.dumps(
            {
                "benchmark": "job_path",
                "jobs": args.jobs,
                "baseline_per_s": round(baseline, 2),
                "ours_per_s": round(ours, 3),
                "ratio": round(ratio, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
