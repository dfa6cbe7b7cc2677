"""Publish pacing: N publications against the Printify emulator's limits, with zero 429s.

Run `python -m bench.bench_publish_pacing [--publishes N] [--workers W]`. The emulator runs with
Printify's three windows scaled down to 5 s: global 200, publish 40, catalog 20 (Printify's
publish budget binds far harder than its global one, so here too: each publication makes four
calls, and 4 x 40 < 200). The gateway (embedded unless `--redis-url` is given, W worker processes)
paces itself a little under them (190, 38, 19 per 5 s). Designs (sticker print files, 1200x1200)
and the template are made first; the clock runs from the batch request to the last publication's
end, polled every 0.2 s.

The floor is what the publish limit alone allows: ceil(N / 40) - 1 full windows before the last
slot, N / 40 * 5 s as the brief's round figure. The ratio is the time taken over that floor. Any
429 answered by the emulator fails the run (exit 1), as does any publication not `published`.
The last line is JSON for machines.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import tempfile
import time
from pathlib import Path

import redis

from tests.conftest import emulator_stats
from tests.e2e.harness import Gateway
from tests.e2e.publishing import (
    approved_images,
    batch_publish,
    printify_env,
    sticker_template,
    wait_final,
)
from tests.emulators.process import EmulatorProcess

WINDOW = 5.0
LIMITS = {"global": 200, "publish": 40, "catalog": 20}
BUDGETS = {"global": 190, "publish": 38, "catalog": 19}


def emulator_args() -> list[str]:
    args = []
    for name, limit in LIMITS.items():
        args += [f"--{name}-limit", str(limit), f"--{name}-window", str(WINDOW)]
    return args


def gateway_env(emulator: EmulatorProcess, redis_url: str | None) -> dict[str, str]:
    env = printify_env(
        emulator,
        RATE_LIMIT_ENABLED="false",
        LOG_LEVEL="WARNING",
        **{f"PRINTIFY_RATE_{name.upper()}": f"{n}/5 seconds" for name, n in BUDGETS.items()},
    )
    if redis_url:
        env.update(REDIS_URL=redis_url, REDIS_PREFIX=f"podbench{secrets.token_hex(4)}")
    return env


def run(workdir: Path, publishes: int, workers: int, redis_url: str | None) -> dict[str, object]:
    emulator = EmulatorProcess("tests.emulators.printify", emulator_args()).start()
    gateway = Gateway(workdir / "gateway", gateway_env(emulator, redis_url))
    try:
        gateway.start(workers=workers)
        template = sticker_template(gateway)
        image_ids = approved_images(gateway, publishes, seed=1)
        emulator.configure(reset=True)  # count only the publishing, in fresh windows
        start = time.perf_counter()
        publication_ids = batch_publish(gateway, image_ids, template["id"])
        items = wait_final(gateway, publication_ids, timeout=600, interval=0.2)
        elapsed = time.perf_counter() - start
        stats = emulator_stats(emulator)
    finally:
        gateway.stop()
        emulator.stop()
        if redis_url:
            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(f"*{gateway.env_overrides['REDIS_PREFIX']}*"):
                client.delete(key)
    floor = publishes / LIMITS["publish"] * WINDOW
    return {
        "benchmark": "publish_pacing",
        "publishes": publishes,
        "workers": workers,
        "mode": "redis" if redis_url else "embedded",
        "seconds": round(elapsed, 2),
        "publishes_per_s": round(publishes / elapsed, 2),
        "floor_seconds": round(floor, 2),
        "strict_floor_seconds": (math.ceil(publishes / LIMITS["publish"]) - 1) * WINDOW,
        "ratio_to_floor": round(elapsed / floor, 2),
        "published": sum(item["status"] == "published" for item in items),
        "printify_requests": stats["total"],
        "rate_limited": stats["rate_limited"],
        "rate_limited_by": stats["rate_limited_by"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishes", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-url", help="shared pacing through Redis (distributed mode)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(Path(tmp), args.publishes, args.workers, args.redis_url)
    limits = ", ".join(f"{name} {n}/{WINDOW:g} s" for name, n in LIMITS.items())
    print(f"emulator limits: {limits}; gateway budgets 95 % of them; {args.workers} worker(s)")
    print(f"{'publishes':<28}{result['publishes']:>10}")
    print(f"{'total time (s)':<28}{result['seconds']:>10.1f}")
    print(f"{'publishes per second':<28}{result['publishes_per_s']:>10.2f}")
    print(f"{'floor from publish limit':<28}{result['floor_seconds']:>10.1f}")
    print(f"{'ratio to floor':<28}{result['ratio_to_floor']:>9.2f}x")
    print(f"{'429s from Printify':<28}{result['rate_limited']:>10}")
    print(json.dumps(result))
    ok = result["rate_limited"] == 0 and result["published"] == args.publishes
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
