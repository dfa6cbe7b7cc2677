"""Operational views of the running gateway: status, readiness checks, shared-state gauges."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from typing import Any

import psutil
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text
from sqlalchemy.orm import Session

from gateway.app.circuit import STATE_NAMES, circuit_state
from gateway.app.generation import service as jobs
from gateway.app.generation.backends.registry import BackendRegistry
from gateway.app.generation.context import GenerationContext
from gateway.app.operations import workers
from gateway.app.publishing.context import PublishingContext
from gateway.app.queue import JobQueue

STARTED_AT = time.time()


def readiness(session: Session, queue: JobQueue, context: GenerationContext) -> dict[str, str]:
    """Each dependency's state: `ok` or the error that makes the gateway not ready (including no
    live job worker: accepted jobs would never run)."""
    checks: dict[str, str] = {}
    for name, probe in (
        ("database", lambda: session.execute(text("SELECT 1"))),
        ("queue", queue.check),
        ("storage", context.storage.check),
    ):
        try:
            probe()
            checks[name] = "ok"
        except Exception as error:
            checks[name] = f"error: {type(error).__name__}: {error}"[:300]
    if checks["database"] == "ok":
        checks["workers"] = workers.readiness(session, context.settings.worker_stale_seconds)
    session.rollback()
    return checks


def system_status(
    session: Session, registry: BackendRegistry, context: GenerationContext
) -> dict[str, Any]:
    counts = jobs.counts_by_status(session)
    disk = shutil.disk_usage(context.settings.state_dir)
    memory = psutil.virtual_memory()
    return {
        "uptime_seconds": round(time.time() - STARTED_AT, 1),
        "queue_depth": counts.get("pending", 0),
        "jobs_in_progress": counts.get("processing", 0),
        "jobs_by_status": counts,
        "workers": workers.summary(session, context.settings.worker_stale_seconds),
        "backends": registry.describe(probe=True),
        "system": {
            "cpu_percent": psutil.cpu_percent(interval=0.1),
            "cpu_count": psutil.cpu_count(),
            "memory": {
                "total": memory.total,
                "available": memory.available,
                "percent": memory.percent,
            },
            "disk": {
                "total": disk.total,
                "free": disk.free,
                "path": str(context.settings.state_dir),
            },
            "gpu": None,
        },
    }


def publishing_status(context: PublishingContext) -> dict[str, Any]:
    """Printify: live or dry-run only, its circuit, and the pacing budget left in each window."""
    client = context.client
    breaker = client.breaker if client else None
    return {
        "printify": "live" if client else "dry_run_only",
        "circuit": circuit_state(breaker) if breaker else None,
        "pacing_remaining": context.pacer.remaining(),
    }


def shared_gauges(
    session: Session, registry: BackendRegistry, publishing: PublishingContext
) -> Iterable[GaugeMetricFamily]:
    counts = jobs.counts_by_status(session)
    stale_after = publishing.settings.worker_stale_seconds
    alive = GaugeMetricFamily(
        "pod_workers_alive", f"Job workers with a heartbeat in the last {stale_after:g} s"
    )
    alive.add_metric([], workers.summary(session, stale_after)["alive"])
    session.rollback()
    depth = GaugeMetricFamily("pod_job_queue_depth", "Generation jobs waiting for a worker")
    depth.add_metric([], counts.get("pending", 0))
    running = GaugeMetricFamily("pod_jobs_in_progress", "Generation jobs running now")
    running.add_metric([], counts.get("processing", 0))
    circuits = GaugeMetricFamily(
        "pod_circuit_breaker_state",
        "Circuit state per service: 0 closed, 1 half-open, 2 open",
        labels=["service"],
    )
    for slot in registry.all():
        circuits.add_metric([slot.name], STATE_NAMES[slot.circuit.replace("_", "-")])
    breaker = publishing.client.breaker if publishing.client else None
    if breaker is not None:
        circuits.add_metric(["printify"], STATE_NAMES[circuit_state(breaker).replace("_", "-")])
    return [depth, running, circuits, alive]
