"""How much the image pipeline costs over the least Pillow must do to make a thumbnail.

Run `python -m bench.bench_image_pipeline [--runs N] [--format png|jpeg|webp]`. It builds one
1024x1024 artwork-like image and times, interleaved in the same process:

- baseline: Pillow's bare open + thumbnail((512, 512)) + save as WebP;
- `process_image` alone;
- `process_image` + `FileStorage.put` of the original and the thumbnail (into a temp dir).

It prints a table of medians and 90th percentiles, the ratio ours / baseline, and finally one
JSON line for machines.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from gateway.app.imaging.pipeline import process_image
from gateway.app.imaging.storage import FileStorage, original_key, thumbnail_key
from gateway.app.imaging.validation import ImageLimits

SIZE = 1024
WARMUP_RUNS = 2
LIMITS = ImageLimits(max_bytes=10 * 1024 * 1024, max_dimension=8192)
SAVE_OPTIONS = {"png": {}, "jpeg": {"quality": 92}, "webp": {"quality": 90}}


def artwork(size: int = SIZE, seed: int = 42) -> Image.Image:
    """A generated-art look-alike: soft colour fields, blurred shapes, and fine grain."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(0, 1, size, dtype=np.float32)
    x, y = np.meshgrid(axis, axis)
    layers = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.5, 3, size=3)
        layers.append(np.sin(2 * np.pi * (fx * x + fy * y) + phase) * 0.5 + 0.5)
    base = Image.fromarray((np.stack(layers, axis=-1) * 255).astype(np.uint8))
    shapes = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(shapes)
    for _ in range(40):
        x0, y0 = rng.integers(0, size, size=2)
        radius = int(rng.integers(size // 40, size // 6))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        draw.ellipse((x0 - radius, y0 - radius, x0 + radius, y0 + radius), fill=colour)
    mixed = Image.blend(base, shapes.filter(ImageFilter.GaussianBlur(6)), 0.55)
    grain = rng.normal(0, 6, size=(size, size, 3))
    return Image.fromarray(np.clip(np.asarray(mixed) + grain, 0, 255).astype(np.uint8))


def encoded_artwork(fmt: str) -> bytes:
    """The benchmark image encoded as `fmt`."""
    buffer = io.BytesIO()
    artwork().save(buffer, fmt.upper(), **SAVE_OPTIONS[fmt])
    return buffer.getvalue()


def baseline(data: bytes) -> None:
    """The floor: decode, shrink to 512 px and encode a WebP, with Pillow's defaults."""
    image = Image.open(io.BytesIO(data))
    image.thumbnail((512, 512))
    image.save(io.BytesIO(), "WEBP")


def pipeline_only(data: bytes) -> None:
    """`process_image` with the default limits and print settings."""
    process_image(data, LIMITS)


def pipeline_and_store(storage: FileStorage) -> Callable[[bytes], None]:
    """`process_image`, then both files written atomically to `storage`."""

    def run(data: bytes) -> None:
        result = process_image(data, LIMITS)
        storage.put(original_key(result.sha256, result.extension), result.original, result.mime)
        storage.put(thumbnail_key(result.sha256), result.thumbnail, "image/webp")

    return run


def measure(cases: dict[str, Callable[[bytes], None]], data: bytes, runs: int) -> dict:
    """Milliseconds per run for each case, with the cases interleaved so drift hits all alike."""
    for case in cases.values():
        for _ in range(WARMUP_RUNS):
            case(data)
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            start = time.perf_counter()
            case(data)
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--format", choices=sorted(SAVE_OPTIONS), default="png")
    args = parser.parse_args(argv)
    data = encoded_artwork(args.format)
    with tempfile.TemporaryDirectory(prefix="bench-imaging-") as directory:
        cases = {
            "baseline: open + thumbnail + WebP": baseline,
            "process_image": pipeline_only,
            "process_image + 2 x FileStorage.put": pipeline_and_store(FileStorage(Path(directory))),
        }
        timings = measure(cases, data, args.runs)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    baseline_ms, pipeline_ms, stored_ms = medians.values()
    ratio = stored_ms / baseline_ms

    print(
        f"image: {SIZE}x{SIZE} {args.format.upper()}, {len(data) / 1e6:.2f} MB; "
        f"{args.runs} runs after {WARMUP_RUNS} warm-up runs"
    )
    print(f"{'case':<40}{'median ms':>11}{'p90 ms':>9}")
    for name, values in timings.items():
        print(f"{name:<40}{medians[name]:>11.1f}{percentile(values, 0.9):>9.1f}")
    print(f"ratio (ours / baseline): {ratio:.2f}")
    print(
        json.dumps(
            {
                "benchmark": "image_pipeline",
                "format": args.format,
                "image_bytes": len(data),
                "runs": args.runs,
                "baseline_median_ms": round(baseline_ms, 2),
                "pipeline_median_ms": round(pipeline_ms, 2),
                "pipeline_and_store_median_ms": round(stored_ms, 2),
                "ratio": round(ratio, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
