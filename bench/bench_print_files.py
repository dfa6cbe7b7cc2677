"""How long a Printify print file takes to prepare, against libvips' own `vips resize`.

Run `python -m bench.bench_print_files [--runs N] [--canvas tee|poster|both] [--scale F]`. It
builds one 1024x1024 artwork-like PNG (the image-pipeline benchmark's) and times, interleaved in
the same process, for each canvas (tee front 4500x5400, poster 5400x7200, both at 300 DPI):

- baseline `vips resize` CLI, if `vips` is on PATH: the same PNG resized to the design's size
  (as wide as the canvas) and saved as PNG, a new process each run;
- baseline pyvips in-process: `resize` + `pngsave` to memory, the same operations without the
  process start and file I/O;
- `render_print_file`: the design placed on the transparent RGBA canvas, PNG with pHYs.

Both baselines save with the same zlib level and row filter as the print files
(`PNG_COMPRESSION`, `PNG_FILTER`), so only the work differs: ours writes an alpha band and the
canvas rows the design does not cover. The ratio is against the CLI when it is there, else the
in-process baseline; the ratio against the in-process one is printed too. `--scale` shrinks both
canvas sides by F (the smoke run's small sizes; 1 = Printify's canvases). The last line is JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyvips

from bench.bench_image_pipeline import artwork, percentile
from gateway.app.publishing.printfiles import (
    PNG_COMPRESSION,
    PNG_FILTER,
    Placement,
    readiness,
    render_print_file,
)

CANVASES = {"tee": (4500, 5400), "poster": (5400, 7200)}
WARMUP_RUNS = 1
PNG_OPTIONS = {"compression": PNG_COMPRESSION, "filter": PNG_FILTER}


def source_png() -> bytes:
    """The benchmark design: a 1024x1024 artwork-like RGB PNG."""
    buffer = io.BytesIO()
    artwork().save(buffer, "PNG")
    return buffer.getvalue()


def cli_baseline(vips: str, source: Path, scale: float, output: Path) -> Callable[[bytes], int]:
    """`vips resize source output.png[options] scale` in a new process; returns the file size."""
    options = ",".join(f"{name}={value}" for name, value in PNG_OPTIONS.items())
    command = [vips, "resize", str(source), f"{output}[{options}]", repr(scale)]

    def run(_data: bytes) -> int:
        subprocess.run(command, check=True, capture_output=True)
        return output.stat().st_size

    return run


def pyvips_baseline(scale: float) -> Callable[[bytes], int]:
    """pyvips `resize` + `pngsave` to memory; returns the PNG's size."""

    def run(data: bytes) -> int:
        image = pyvips.Image.new_from_buffer(data, "")
        return len(image.resize(scale).write_to_buffer(".png", **PNG_OPTIONS))

    return run


def print_file(width: int, height: int) -> Callable[[bytes], int]:
    """`render_print_file` with the default, centred placement; returns the PNG's size."""

    def run(data: bytes) -> int:
        return len(render_print_file(data, width, height, Placement()).data)

    return run


def measure(
    cases: dict[str, Callable[[bytes], int]], data: bytes, runs: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Milliseconds per run for each case, interleaved so drift hits all alike, and the size of
    each case's output (from its warm-up run)."""
    sizes = {}
    for name, case in cases.items():
        for _ in range(WARMUP_RUNS):
            sizes[name] = case(data)
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            start = time.perf_counter()
            case(data)
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings, sizes


def vips_cli() -> tuple[str, str] | None:
    """The `vips` command on PATH and its version, or None."""
    vips = shutil.which("vips")
    if vips is None:
        return None
    version = subprocess.run([vips, "--version"], check=True, capture_output=True, text=True)
    return vips, version.stdout.strip()


def bench_canvas(
    name: str, data: bytes, runs: int, workdir: Path, cli: str | None, scale: float
) -> dict:
    """Time the baselines and the print file on one canvas, its sides times `scale`; print its
    table, return its figures."""
    width, height = (round(side * scale) for side in CANVASES[name])
    design_width = readiness(1024, 1024, width, height, Placement()).design_width_px
    resize = design_width / 1024
    cases: dict[str, Callable[[bytes], int]] = {}
    if cli:
        source = workdir / "source.png"
        source.write_bytes(data)
        cases["baseline: vips resize (CLI)"] = cli_baseline(
            cli, source, resize, workdir / f"{name}.png"
        )
    cases["baseline: pyvips resize + pngsave"] = pyvips_baseline(resize)
    cases["render_print_file"] = print_file(width, height)
    timings, sizes = measure(cases, data, runs)
    medians = {case_name: statistics.median(values) for case_name, values in timings.items()}
    baseline_name = next(iter(cases))
    ours_ms = medians["render_print_file"]
    in_process_ms = medians["baseline: pyvips resize + pngsave"]

    print(
        f"\n{name}: 1024x1024 -> design {design_width}x{design_width} "
        f"on a {width}x{height} canvas @ 300 DPI"
    )
    print(f"{'case':<36}{'median ms':>11}{'p90 ms':>9}{'output MB':>11}")
    for case_name, values in timings.items():
        print(
            f"{case_name:<36}{medians[case_name]:>11.1f}{percentile(values, 0.9):>9.1f}"
            f"{sizes[case_name] / 1e6:>11.1f}"
        )
    print(
        f"ratio (ours / {baseline_name.removeprefix('baseline: ')}): {ours_ms / medians[baseline_name]:.2f}"
    )
    if cli:
        print(f"ratio (ours / pyvips in-process): {ours_ms / in_process_ms:.2f}")
    return {
        "canvas": f"{width}x{height}",
        "design": f"{design_width}x{design_width}",
        "baseline": "vips_cli" if cli else "pyvips",
        "baseline_median_ms": round(medians[baseline_name], 1),
        "pyvips_baseline_median_ms": round(in_process_ms, 1),
        "print_file_median_ms": round(ours_ms, 1),
        "print_file_bytes": sizes["render_print_file"],
        "ratio": round(ours_ms / medians[baseline_name], 3),
        "ratio_vs_pyvips": round(ours_ms / in_process_ms, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables and JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--canvas", choices=[*CANVASES, "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="canvas sides times F")
    args = parser.parse_args(argv)
    data = source_png()
    found = vips_cli()
    cli, cli_version = found if found else (None, None)
    library = ".".join(str(pyvips.version(part)) for part in range(3))
    print(
        f"design: 1024x1024 PNG, {len(data) / 1e6:.2f} MB; {args.runs} runs after {WARMUP_RUNS} warm-up run; "
        f"PNG compression {PNG_COMPRESSION}, filter {PNG_FILTER} for every case"
    )
    print(f"pyvips libvips {library}; baseline: {cli_version or 'pyvips in-process (no vips CLI)'}")
    names = list(CANVASES) if args.canvas == "both" else [args.canvas]
    with tempfile.TemporaryDirectory(prefix="bench-printfiles-") as directory:
        results = [
            bench_canvas(name, data, args.runs, Path(directory), cli, args.scale) for name in names
        ]
    print(json.dumps({"benchmark": "print_files", "runs": args.runs, "canvases": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
