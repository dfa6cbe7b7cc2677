"""Every registered benchmark runs with its tiny `smoke` arguments and prints its one JSON line.

No figure is asserted (tests never assert on wall-clock time): the point is that a refactor cannot
break a benchmark without a failing test. Each runs as `make bench` runs it, in its own process
(`python -m bench.<name>`), in a session of its own so a timeout stops its servers too. Most of a
smoke run is processes starting, so two run at once (the machine's two cores).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS, Benchmark

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 240
AT_ONCE = 2


@dataclass(frozen=True)
class SmokeRun:
    returncode: int | None  # None: killed after TIMEOUT_S
    stdout: str
    stderr: str


def smoke_run(benchmark: Benchmark) -> SmokeRun:
    """Run `python -m <benchmark> <smoke args>`; kill its whole session past `TIMEOUT_S`."""
    process = subprocess.Popen(
        [sys.executable, "-m", benchmark.name, *benchmark.smoke],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        return SmokeRun(None, stdout, stderr)
    return SmokeRun(process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def smoke_runs() -> Iterator[dict[str, Future[SmokeRun]]]:
    """Every benchmark's smoke run, started `AT_ONCE` at a time when the module starts."""
    with ThreadPoolExecutor(AT_ONCE) as pool:
        yield {benchmark.name: pool.submit(smoke_run, benchmark) for benchmark in BENCHMARKS}


def test_every_benchmark_is_registered() -> None:
    files = {f"bench.{path.stem}" for path in (ROOT / "bench").glob("bench_*.py")}
    assert files == {benchmark.name for benchmark in BENCHMARKS}


@pytest.mark.parametrize("benchmark", BENCHMARKS, ids=lambda benchmark: benchmark.name)
def test_smoke_run(benchmark: Benchmark, smoke_runs: dict[str, Future[SmokeRun]]) -> None:
    run = smoke_runs[benchmark.name].result()
    output = f"{run.stdout}\n{run.stderr[-4000:]}"
    assert run.returncode is not None, f"ran past {TIMEOUT_S} s:\n{output}"
    assert run.returncode == 0, output
    summaries = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1, output
    assert isinstance(json.loads(summaries[0]), dict)
