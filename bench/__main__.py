"""`make bench`: run every benchmark in turn and print its figures.

`BENCHMARKS` is the one register: `make bench` runs each benchmark with its defaults, and the smoke
test (tests/bench/test_smoke.py) runs each with its `smoke` arguments, so no benchmark is added
without a smoke run, and none breaks silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from bench import (
    bench_api_reads,
    bench_batch,
    bench_image_pipeline,
    bench_job_path,
    bench_load,
    bench_preview,
    bench_print_files,
    bench_publish_pacing,
    bench_review_queue,
    bench_webhooks,
)


@dataclass(frozen=True)
class Benchmark:
    title: str
    module: ModuleType
    smoke: tuple[str, ...]  # tiny parameters: enough to run every step and print the JSON line

    @property
    def name(self) -> str:
        """The module to run: `python -m <name>`."""
        return self.module.__name__


BENCHMARKS = (
    Benchmark("image pipeline (1024x1024 PNG)", bench_image_pipeline, ("--runs", "1")),
    Benchmark("job path (submit -> completed, one worker)", bench_job_path, ("--jobs", "2")),
    Benchmark(
        "webhook deliveries (to a local receiver, one and two workers)",
        bench_webhooks,
        ("--deliveries", "4", "--subscriptions", "2", "--cases", "two_workers"),
    ),
    Benchmark(
        "review queue page at 100,000 images",
        bench_review_queue,
        ("--images", "1000", "--runs", "2", "--deep-page", "3"),
    ),
    Benchmark(
        "batch approve, reject and delete of 10,000 ids (SQLite, and PostgreSQL when given)",
        bench_batch,
        ("--ids", "20", "--runs", "1"),
    ),
    Benchmark(
        "print files (1024x1024 -> 4500x5400 and 5400x7200 PNG @ 300 DPI)",
        bench_print_files,
        ("--runs", "1", "--canvas", "tee", "--scale", "0.1"),
    ),
    Benchmark(
        "mockup preview (1024 px WebP, cold and cached) against the tee's 4500x5400 print file",
        bench_preview,
        ("--runs", "1", "--scale", "0.1"),
    ),
    Benchmark(
        "publish pacing (250 publications against the emulator's limits)",
        bench_publish_pacing,
        ("--publishes", "2", "--workers", "1"),
    ),
    Benchmark(
        "API reads (GET /api/v2/images?limit=50, 32 connections, against bare Flask + sqlite3)",
        bench_api_reads,
        ("--images", "200", "--duration", "1", "--rounds", "1", "--connections", "8"),
    ),
    Benchmark(
        "load (Locust mixed workload, 2 web + 2 workers, embedded and PostgreSQL + Redis; scaling)",
        bench_load,
        (
            "--modes",
            "embedded",
            "--users",
            "2",
            "--duration",
            "2",
            "--seed-images",
            "1",
            "--scaling-jobs",
            "1",
            "--scaling-workers",
            "1",
        ),
    ),
)


def main() -> int:
    status = 0
    for benchmark in BENCHMARKS:
        print(f"\n== {benchmark.title} ==", flush=True)
        status |= benchmark.module.main([])
    return status


if __name__ == "__main__":
    raise SystemExit(main())
