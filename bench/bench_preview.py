"""How long a mockup preview takes, cold and cached, against the print file of the same template.

Run `python -m bench.bench_preview [--runs N] [--scale F]`. It builds the image-pipeline
benchmark's 1024x1024 artwork-like PNG, stores it in a file storage, and times, interleaved in one
process, for the tee template (front print area 4500x5400 at 300 DPI, placement x 0.5, y 0.45,
scale 0.8, black):

- `render_print_file`: the print file Printify would get (the publishing worker's render);
- preview, cold: `mockups.preview` with the preview not cached (read the original, draw the
  silhouette, place the design with the print file's layout, encode WebP, keep it);
- preview, cached: `mockups.preview` again (one file read).

The ratios are each preview's median over the print file's. `--scale` shrinks the print canvas's
sides by F (the smoke run's small sizes; 1 = Printify's canvas); the preview is always
`PREVIEW_SIDE` square. The last line is JSON.
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

from bench.bench_image_pipeline import artwork, percentile
from gateway.app.imaging.storage import FileStorage
from gateway.app.publishing import colours, mockups, silhouettes
from gateway.app.publishing.printfiles import Placement, render_print_file

CANVAS = (4500, 5400)
PLACEMENT = Placement(x=0.5, y=0.45, scale=0.8)
WARMUP_RUNS = 1
SOURCE_KEY = "originals/bench/source.png"


def source_png() -> bytes:
    buffer = io.BytesIO()
    artwork().save(buffer, "PNG")
    return buffer.getvalue()


def tee_spec(canvas: tuple[int, int]) -> mockups.PreviewSpec:
    """The preview of the benchmark's tee template in black."""
    return mockups.PreviewSpec(
        sha256="b" * 64,
        original_key=SOURCE_KEY,
        variant_id=12110,
        position="front",
        canvas_width=canvas[0],
        canvas_height=canvas[1],
        placement=PLACEMENT,
        family=silhouettes.family_for("Unisex Jersey Short Sleeve Tee").name,
        colour=colours.colour_named("Black"),
    )


def cases(workdir: Path, data: bytes, canvas: tuple[int, int]) -> dict[str, Callable[[], int]]:
    """Each case as a call returning its output's size; the cold one empties the cache first."""
    storage = FileStorage(workdir / "images")
    storage.put(SOURCE_KEY, data, "image/png")
    cache = mockups.PreviewCache(workdir / "previews")
    spec = tee_spec(canvas)

    def print_file() -> int:
        return len(render_print_file(data, *canvas, PLACEMENT).data)

    def cold() -> int:
        cache.path_for(spec.key).unlink(missing_ok=True)
        return len(mockups.preview(cache, storage, spec))

    def cached() -> int:
        return len(mockups.preview(cache, storage, spec))

    return {"print file": print_file, "preview, cold": cold, "preview, cached": cached}


def measure(
    calls: dict[str, Callable[[], int]], runs: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Milliseconds per run of each case, interleaved so drift hits all alike, and each output's
    size (from the warm-up)."""
    sizes = {name: call() for name, call in calls.items() for _ in range(WARMUP_RUNS)}
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings, sizes


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="print canvas sides times F")
    args = parser.parse_args(argv)
    canvas = (round(CANVAS[0] * args.scale), round(CANVAS[1] * args.scale))
    data = source_png()
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as directory:
        timings, sizes = measure(cases(Path(directory), data, canvas), args.runs)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    side = mockups.PREVIEW_SIDE
    print(
        f"design: 1024x1024 PNG; print file {canvas[0]}x{canvas[1]} PNG, preview {side}x{side} "
        f"WebP; {args.runs} runs after {WARMUP_RUNS} warm-up run"
    )
    print(f"{'case':<18}{'median ms':>11}{'p90 ms':>9}{'output KB':>11}")
    for name, values in timings.items():
        print(
            f"{name:<18}{medians[name]:>11.1f}{percentile(values, 0.9):>9.1f}"
            f"{sizes[name] / 1e3:>11.1f}"
        )
    print_ms = medians["print file"]
    summary = {
        "benchmark": "preview",
        "runs": args.runs,
        "canvas": f"{canvas[0]}x{canvas[1]}",
        "preview_side": side,
        "print_file_median_ms": round(print_ms, 1),
        "preview_cold_median_ms": round(medians["preview, cold"], 1),
        "preview_cached_median_ms": round(medians["preview, cached"], 2),
        "preview_bytes": sizes["preview, cold"],
        "print_file_bytes": sizes["print file"],
        "ratio_cold": round(medians["preview, cold"] / print_ms, 3),
        "ratio_cached": round(medians["preview, cached"] / print_ms, 6),
    }
    print(f"ratio (preview cold / print file): {summary['ratio_cold']}")
    print(f"ratio (preview cached / print file): {summary['ratio_cached']}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
