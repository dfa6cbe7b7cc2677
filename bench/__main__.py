"""`make bench`: run every benchmark in turn and print its figures."""

from __future__ import annotations

from bench import (
    bench_image_pipeline,
    bench_job_path,
    bench_print_files,
    bench_publish_pacing,
    bench_review_queue,
    bench_webhooks,
)

BENCHMARKS = (
    ("image pipeline (1024x1024 PNG)", bench_image_pipeline.main),
    ("job path (submit -> completed, one worker)", bench_job_path.main),
    ("webhook deliveries (to a local receiver, one and two workers)", bench_webhooks.main),
    ("review queue page at 100,000 images", bench_review_queue.main),
    ("print files (1024x1024 -> 4500x5400 and 5400x7200 PNG @ 300 DPI)", bench_print_files.main),
    ("publish pacing (250 publications against the emulator's limits)", bench_publish_pacing.main),
)


def main() -> int:
    status = 0
    for title, run in BENCHMARKS:
        print(f"\n== {title} ==", flush=True)
        status |= run([])
    return status


if __name__ == "__main__":
    raise SystemExit(main())
