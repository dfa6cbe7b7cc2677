"""Webhook receiver emulator: records every delivery, verifies signatures and injects faults.

Run `python -m tests.emulators.receiver --port 0 [--journal PATH]`; it prints `LISTENING <port>` once
bound and exits cleanly on SIGTERM. Any method on any path is a delivery: the receiver records its
headers and body, checks the Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
`webhook-signature`) with the `standardwebhooks` package against every configured secret, checks the
simple `X-Webhook-Signature: sha256=<hex>` too, and answers as the fault knobs say.

Control endpoints:
- `POST /_emulator/config` sets knobs (the `Config` fields; `{"reset": true}` also forgets every
  recorded request);
- `GET /_emulator/requests?since=N` lists recorded requests from index N;
- `GET /_emulator/stats` counts them: total, unique webhook-ids, ids delivered (answered 2xx),
  verified and unverified signatures, answers per status.

With `--journal PATH` every answered request and every config change is appended to PATH as a JSON
line and replayed at start, so a stopped and restarted receiver (a real outage) still knows all it
saw and keeps its knobs (except `status_next_n`, which starts empty again).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass
class Config:
    """Every knob; durations are seconds."""

    secrets: list[str] = field(default_factory=list)
    fail_ratio: float = 0.0
    random_seed: int = 0
    status_next_n: dict[str, int] = field(default_factory=dict)
    retry_after: float | str | None = None
    down: bool = False
    slow: float = 0.0
    redirect_to: str | None = None
    ok_status: int = 200


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a `whsec_<base64>` secret, decoded as `standardwebhooks` does."""
    return base64.b64decode(secret.removeprefix("whsec_") + "==")


def simple_signature(secret: str, body: bytes) -> str:
    """The `X-Webhook-Signature` value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret_bytes(secret), body, hashlib.sha256).hexdigest()


def _knob_problem(key: str, value: object) -> str | None:
    defaults = Config()
    if not hasattr(defaults, key):
        return f"unknown knob {key!r}"
    number = isinstance(value, int | float) and not isinstance(value, bool)
    checks = {
        "secrets": isinstance(value, list) and all(isinstance(s, str) for s in value),
        "fail_ratio": number and 0 <= float(value) <= 1,  # type: ignore[arg-type]
        "random_seed": isinstance(value, int) and not isinstance(value, bool),
        "status_next_n": isinstance(value, dict)
        and all(str(k).isdigit() and isinstance(n, int) for k, n in value.items()),
        "retry_after": value is None or number or isinstance(value, str),
        "down": isinstance(value, bool),
        "slow": number and float(value) >= 0,  # type: ignore[arg-type]
        "redirect_to": value is None or isinstance(value, str),
        "ok_status": isinstance(value, int) and 200 <= value < 300,
    }
    return None if checks[key] else f"{key} has the wrong type or range"


class Receiver:
    """The recorded requests, the knobs and the answers they produce."""

    def __init__(self, journal: Path | None = None) -> None:
        self.journal = journal
        self.config = Config()
        self.rng = random.Random(0)
        self.records: list[dict[str, Any]] = []
        if journal and journal.exists():
            self._replay(journal)

    def _replay(self, journal: Path) -> None:
        for line in journal.read_text().splitlines():
            entry = json.loads(line)
            if entry["kind"] == "config":
                self._apply(entry["knobs"])
            elif entry["kind"] == "reset":
                self._reset()
            else:
                self.records.append(entry["request"])
        self.config.status_next_n = {}  # what was left of them is not journaled

    def _write(self, entry: dict[str, Any]) -> None:
        if self.journal:
            with self.journal.open("a") as out:
                out.write(json.dumps(entry) + "\n")

    def _reset(self) -> None:
        self.config = Config()
        self.rng = random.Random(0)
        self.records = []

    def _apply(self, knobs: dict[str, Any]) -> None:
        if knobs.pop("reset", False):
            self._reset()
        for key, value in knobs.items():
            setattr(self.config, key, value)
            if key == "random_seed":
                self.rng = random.Random(value)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.add_routes(
            [
                web.post("/_emulator/config", self.set_config),
                web.get("/_emulator/config", self.get_config),
                web.get("/_emulator/requests", self.requests),
                web.get("/_emulator/stats", self.stats),
                web.route("*", "/{tail:.*}", self.deliver),
            ]
        )
        return app

    # ---- deliveries -------------------------------------------------------------------------

    async def deliver(self, request: web.Request) -> web.StreamResponse:
        """Record the request, then answer as the knobs say (slow first, then the faults)."""
        body = await request.read()
        record = self._record(request, body)
        cfg = self.config
        if cfg.down:
            return self._answer(request, record, web.Response(status=503, text="down"))
        if cfg.slow:
            await asyncio.sleep(cfg.slow)
        if cfg.redirect_to:
            answer: web.Response = web.Response(status=302, headers={"Location": cfg.redirect_to})
        elif (status := self._take_status()) is not None:
            answer = web.Response(status=status, text=f"injected {status}")
            if status in RETRY_AFTER_STATUSES and cfg.retry_after is not None:
                answer.headers["Retry-After"] = str(cfg.retry_after)
        elif cfg.fail_ratio and self.rng.random() < cfg.fail_ratio:
            answer = web.Response(status=500, text="injected failure")
        else:
            answer = web.Response(status=cfg.ok_status, text="ok")
        return self._answer(request, record, answer)

    def _record(self, request: web.Request, body: bytes) -> dict[str, Any]:
        headers = {name.lower(): value for name, value in request.headers.items()}
        record: dict[str, Any] = {
            "index": len(self.records),
            "at": time.time(),
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": headers,
            "body": body.decode(errors="replace"),
            "webhook_id": headers.get("webhook-id"),
            "event_type": headers.get("x-webhook-event"),
            "state": "pending",
            "status": None,
            **self._verify(headers, body),
        }
        self.records.append(record)
        return record

    def _verify(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """Which configured secrets verify the request, by both signature schemes."""
        if not self.config.secrets:
            return {"verified": None, "verified_with": [], "simple_verified": None}
        verified_with, errors = [], []
        for index, secret in enumerate(self.config.secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified_with.append(index)
            except (WebhookVerificationError, ValueError, binascii.Error) as exc:
                errors.append(str(exc))
        offered = headers.get("x-webhook-signature", "").replace(",", " ").split()
        simple = any(
            hmac.compare_digest(simple_signature(secret, body), value)
            for secret in self.config.secrets
            for value in offered
        )
        return {
            "verified": bool(verified_with),
            "verified_with": verified_with,
            "verify_errors": errors,
            "simple_verified": simple,
        }

    def _take_status(self) -> int | None:
        for code, remaining in self.config.status_next_n.items():
            if remaining > 0:
                self.config.status_next_n[code] = remaining - 1
                return int(code)
        return None

    def _answer(
        self, request: web.Request, record: dict[str, Any], answer: web.Response
    ) -> web.Response:
        """Note the answer, or that the client hung up before it (a killed sender)."""
        gone = request.transport is None or request.transport.is_closing()
        record["state"] = "client_gone" if gone else "answered"
        record["status"] = None if gone else answer.status
        self._write({"kind": "request", "request": record})
        return answer

    # ---- control ----------------------------------------------------------------------------

    async def set_config(self, request: web.Request) -> web.Response:
        knobs = await request.json()
        if not isinstance(knobs, dict):
            return web.json_response({"error": "config must be a JSON object"}, status=400)
        for key, value in knobs.items():
            problem = None if key == "reset" else _knob_problem(key, value)
            if problem:
                return web.json_response({"error": problem}, status=400)
        self._write({"kind": "config", "knobs": dict(knobs)})
        self._apply(knobs)
        return web.json_response(dataclasses.asdict(self.config))

    async def get_config(self, _request: web.Request) -> web.Response:
        return web.json_response(dataclasses.asdict(self.config))

    async def requests(self, request: web.Request) -> web.Response:
        try:
            since = max(0, int(request.query.get("since", "0")))
        except ValueError:
            return web.json_response({"error": "since must be an integer"}, status=400)
        return web.json_response(
            {"requests": self.records[since:], "next": len(self.records)},
            dumps=lambda value: json.dumps(value, default=str),
        )

    async def stats(self, _request: web.Request) -> web.Response:
        records = self.records
        ids = [r["webhook_id"] for r in records if r["webhook_id"]]
        delivered = {r["webhook_id"] for r in records if _accepted(r) and r["webhook_id"]}
        body = {
            "total": len(records),
            "unique": len(set(ids)),
            "duplicates": len(ids) - len(set(ids)),
            "delivered": len(delivered),
            "accepted_total": sum(1 for r in records if _accepted(r)),
            "in_flight": sum(1 for r in records if r["state"] == "pending"),
            "client_gone": sum(1 for r in records if r["state"] == "client_gone"),
            "verified": sum(1 for r in records if r["verified"] is True),
            "unverified": sum(1 for r in records if r["verified"] is False),
            "simple_unverified": sum(1 for r in records if r["simple_verified"] is False),
            "statuses": dict(Counter(str(r["status"]) for r in records)),
            "paths": dict(Counter(r["path"] for r in records)),
        }
        return web.json_response(body)


def _accepted(record: dict[str, Any]) -> bool:
    return record["state"] == "answered" and 200 <= record["status"] < 300


async def serve(host: str, port: int, receiver: Receiver) -> None:
    runner = web.AppRunner(receiver.app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"LISTENING {runner.addresses[0][1]}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--journal", type=Path, help="JSON lines kept across restarts")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, Receiver(args.journal)))


if __name__ == "__main__":
    main()
