"""Prometheus metrics (contract section 9).

Counters and histograms are updated where things happen, in any process; with
PROMETHEUS_MULTIPROC_DIR set (gunicorn and workers set it) they are summed across processes at
scrape time. Gauges of shared state (queue depth, circuits) are read from the database at scrape
time, so every process reports the same truth.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

GENERATION_STARTED = Counter("pod_generation_started_total", "Generation jobs started")
GENERATION_COMPLETED = Counter("pod_generation_completed_total", "Generation jobs completed")
GENERATION_FAILED = Counter("pod_generation_failed_total", "Generation jobs failed", ["error_type"])
GENERATION_DURATION = Histogram(
    "pod_generation_duration_seconds",
    "Time from a worker taking a job to its images being stored",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
IMAGES_APPROVED = Counter("pod_images_approved_total", "Images approved")
IMAGES_REJECTED = Counter("pod_images_rejected_total", "Images rejected")
PRODUCTS_PUBLISHED = Counter("pod_products_published_total", "Products published", ["platform"])
PRODUCTS_FAILED = Counter(
    "pod_products_failed_total", "Publications that ended failed", ["platform", "error_type"]
)
PRINTIFY_REQUESTS = Counter(
    "pod_printify_requests_total",
    "Requests sent to Printify by outcome (ok, client_error, rate_limited, server_error, network)",
    ["outcome"],
)
API_REQUESTS = Counter(
    "pod_api_requests_total", "HTTP requests served", ["method", "endpoint", "status"]
)
API_DURATION = Histogram(
    "pod_api_request_duration_seconds",
    "HTTP request duration",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMIT_STORE_ERRORS = Counter(
    "pod_rate_limit_store_errors_total",
    "Requests let through uncounted because the rate-limit store was unreachable",
)
LOGIN_FAILURES = Counter("pod_login_failures_total", "Failed operator logins", ["outcome"])
WEBHOOK_DELIVERIES = Counter(
    "pod_webhook_deliveries_total", "Webhook delivery attempts", ["result"]
)
WEBHOOK_DELIVERY_DURATION = Histogram(
    "pod_webhook_delivery_duration_seconds",
    "Time from sending a webhook attempt to its answer (or failure)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)

GaugeReader = Callable[[], Iterable[GaugeMetricFamily]]


class SharedStateCollector(Collector):
    """Gauges computed at scrape time from shared state (the database)."""

    def __init__(self, read: GaugeReader) -> None:
        self._read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        yield from self._read()


def render(shared_state: GaugeReader) -> tuple[bytes, str]:
    """The exposition text: per-process metrics (summed when multiprocess) plus shared gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    shared = CollectorRegistry()
    shared.register(SharedStateCollector(shared_state))
    return generate_latest(registry) + generate_latest(shared), CONTENT_TYPE_LATEST
