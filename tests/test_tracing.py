"""Tracing and error reporting: OpenTelemetry spans through the SDK's in-memory exporter (and its real
OTLP/HTTP exporter against a local collector), Sentry events through a capturing transport, and
neither SDK loaded when unset."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from flask import Flask
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import ValidationError
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gateway.app import tracing
from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.generation import runner
from gateway.app.generation.models import GenerationJob
from gateway.app.settings import Settings
from tests.conftest import ALL_SCOPES, make_settings
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID
from tests.support import build_app, close_app

ROOT = Path(__file__).resolve().parents[1]
UNUSED_COLLECTOR = "http://127.0.0.1:9"  # never dialled: the tests hand in their own exporter


def build(tmp_path: Path, config: dict[str, Any], **settings: object) -> Flask:
    return build_app(make_settings(tmp_path / "state", **settings), **config)


def api_key(app: Flask) -> str:
    with app.app_context():
        return accounts.create_key(
            db.session, "tracing", plan="enterprise", scopes=ALL_SCOPES, actor=SYSTEM
        ).secret


@pytest.fixture(scope="module")
def runpod() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.runpod").start()
    yield process
    process.stop()


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    exporter: InMemorySpanExporter,
    runpod: EmulatorProcess,
) -> Iterator[Flask]:
    """An app traced into `exporter`, generating on the RunPod emulator; on SQLite unless a test
    asks for `postgresql`."""
    runpod.configure(reset=True, queue_delay=0.02, execution_time=0.05)
    database: dict[str, object] = {}
    if getattr(request, "param", "sqlite") == "postgresql":
        database["DATABASE_URL"] = request.getfixturevalue("make_postgres_database")()
    app = build(
        tmp_path,
        {"SPAN_EXPORTER": exporter},
        OTEL_EXPORTER_OTLP_ENDPOINT=UNUSED_COLLECTOR,
        GENERATION_BACKEND="runpod",
        RUNPOD_BASE_URL=f"{runpod.url}/v2",
        RUNPOD_API_KEY=API_KEY,
        RUNPOD_ENDPOINT_ID=ENDPOINT_ID,
        RUNPOD_POLL_INTERVAL_SECONDS=0.02,
        **database,
    )
    exporter.clear()  # the migrations' statements
    yield app
    tracing.stop_tracing()
    close_app(app)


def named(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def test_a_request_is_a_server_span_of_pod_gateway_and_probes_are_not_traced(
    traced: Flask, exporter: InMemorySpanExporter
) -> None:
    client = traced.test_client()
    assert client.get("/health").status_code == 200
    # Other apps of the test process run background SQL (usage flushes) into the same exporter.
    assert [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER] == []
    key = api_key(traced)
    assert client.get("/api/v1/images", headers={"X-API-Key": key}).status_code == 200
    request = named(list(exporter.get_finished_spans()), "GET /api/v1/images")
    assert request.kind is SpanKind.SERVER
    assert request.attributes["http.route"] == "/api/v1/images"
    assert request.resource.attributes["service.name"] == "pod-gateway"


@pytest.mark.parametrize("traced", ["sqlite", "postgresql"], indirect=True)
def test_sql_statements_are_client_spans_inside_the_request(
    traced: Flask, exporter: InMemorySpanExporter
) -> None:
    key = api_key(traced)
    exporter.clear()
    traced.test_client().get("/api/v1/images", headers={"X-API-Key": key})
    spans = list(exporter.get_finished_spans())
    request = named(spans, "GET /api/v1/images")
    # Only this request's trace: other apps of the test process run background SQL (usage
    # flushes) into the same exporter.
    sql = [
        span
        for span in spans
        if "db.system.name" in span.attributes and span.context.trace_id == request.context.trace_id
    ]
    assert sql, [span.name for span in spans]
    for span in sql:
        assert span.kind is SpanKind.CLIENT
        assert span.attributes["db.system.name"] == traced.extensions["generation"].engine.name
        assert span.context.trace_id == request.context.trace_id
    selects = [span for span in sql if span.name == "SELECT"]
    assert any("FROM images" in span.attributes["db.query.text"] for span in selects)

    exporter.clear()
    with traced.app_context(), pytest.raises(DBAPIError):
        db.session.execute(text("SELECT * FROM no_such_table"))
    failed = [
        span
        for span in exporter.get_finished_spans()
        if "no_such_table" in span.attributes.get("db.query.text", "")
    ]
    assert [span.status.status_code for span in failed] == [StatusCode.ERROR]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_generate_the_worker_and_the_backend_call_are_one_trace(
    traced: Flask, exporter: InMemorySpanExporter, version: str
) -> None:
    headers = {"X-API-Key": api_key(traced), "Idempotency-Key": secrets.token_hex(8)}
    response = traced.test_client().post(
        f"/api/{version}/generate",
        json={"prompt": "a traced fox", "width": 256, "height": 256, "seed": 3},
        headers=headers,
    )
    assert response.status_code == 202
    spans = list(exporter.get_finished_spans())
    request = named(spans, f"POST /api/{version}/generate")
    worker = named(spans, "generation.run")
    backend = named(spans, "generation.backend")
    outbound = [
        span for span in spans if span.kind is SpanKind.CLIENT and span.name in {"GET", "POST"}
    ]
    assert {span.context.trace_id for span in [request, worker, backend, *outbound]} == {
        request.context.trace_id
    }
    assert worker.kind is SpanKind.CONSUMER
    assert worker.attributes["gateway.job.id"] == response.get_json()["job_id"]
    assert parent_of(worker) == request.context.span_id
    assert parent_of(backend) == worker.context.span_id
    assert backend.attributes["gateway.backend"] == "runpod"
    # The RunPod calls: submit, then polls, each an HTTP client span under the backend call.
    assert outbound and all(parent_of(span) == backend.context.span_id for span in outbound)
    submit = next(span for span in outbound if span.name == "POST").attributes
    # The instrumentation's default HTTP attribute names (OTEL_SEMCONV_STABILITY_OPT_IN=http for
    # the stable ones).
    runpod_url = traced.extensions["settings"].runpod_base_url
    assert submit.get("url.full", submit.get("http.url")) == f"{runpod_url}/{ENDPOINT_ID}/run"
    assert submit.get("http.response.status_code", submit.get("http.status_code")) == 200


def test_the_job_row_carries_the_trace_to_a_worker_in_another_process(
    traced: Flask, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(traced.extensions["queue"], "enqueue", lambda name, *args: None)
    response = traced.test_client().post(
        "/api/v1/generate",
        json={"prompt": "queued, not run", "width": 256, "height": 256},
        headers={"X-API-Key": api_key(traced)},
    )
    job_id = response.get_json()["job_id"]
    request = named(list(exporter.get_finished_spans()), "POST /api/v1/generate")
    with traced.app_context():
        stored = db.session.get(GenerationJob, job_id).trace_context
    trace_id, span_id = stored["traceparent"].split("-")[1:3]
    assert (int(trace_id, 16), int(span_id, 16)) == (
        request.context.trace_id,
        request.context.span_id,
    )

    # The worker process: its own tracing identity, no request in sight, only the job's row.
    worker_exporter = InMemorySpanExporter()
    traced.config["SPAN_EXPORTER"] = worker_exporter
    tracing.init_worker(traced)
    with traced.app_context():
        runner.run_generation(db.session, traced.extensions["generation"], job_id)
        assert db.session.get(GenerationJob, job_id).status == "completed"
    spans = list(worker_exporter.get_finished_spans())
    worker = named(spans, "generation.run")
    assert worker.resource.attributes["service.name"] == "pod-gateway-worker"
    assert worker.context.trace_id == request.context.trace_id
    assert parent_of(worker) == request.context.span_id
    assert named(spans, "generation.backend").context.trace_id == request.context.trace_id


class Collector(BaseHTTPRequestHandler):
    """A stand-in OTLP/HTTP collector: keeps every export request it is sent."""

    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_without_an_injected_exporter_spans_go_over_otlp_http_to_the_endpoint(
    tmp_path: Path,
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Collector.received.clear()
    app = build(tmp_path, {}, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{server.server_port}/")
    try:
        assert app.test_client().get("/api/version").status_code == 200
        tracing.stop_tracing()  # flushes the batch
    finally:
        server.shutdown()
        close_app(app)
    assert Collector.received, "nothing exported"
    path, content_type, body = Collector.received[0]
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    export = ExportTraceServiceRequest.FromString(body)
    resource = {a.key: a.value.string_value for a in export.resource_spans[0].resource.attributes}
    assert resource["service.name"] == "pod-gateway"
    names = {s.name for rs in export.resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert "GET /api/version" in names


def test_the_otlp_endpoint_must_be_an_http_url() -> None:
    with pytest.raises(ValidationError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        Settings(_env_file=None, OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318")  # type: ignore[call-arg]


# -- Sentry -----------------------------------------------------------------------------------

WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3"
PRINTIFY_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiIzN2Q0YmQzMCJ9.c2lnbmF0dXJlLXBhcnQ"
SESSION_COOKIE = "session-cookie-value-1234567890"


class CapturingTransport(Transport):
    """Keeps the envelopes the SDK would send to Sentry."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def reported(tmp_path: Path) -> Iterator[tuple[Flask, CapturingTransport]]:
    transport = CapturingTransport()
    app = build(
        tmp_path,
        {"SENTRY_TRANSPORT": transport},
        SENTRY_DSN="https://public@sentry.invalid/1",
        PRINTIFY_API_TOKEN=PRINTIFY_TOKEN,
        PRINTIFY_SHOP_ID="1",
        PRINTIFY_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    yield app, transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    close_app(app)


def test_an_exception_is_reported_with_the_request_id_and_without_secrets(
    reported: tuple[Flask, CapturingTransport],
) -> None:
    app, transport = reported
    key = api_key(app)

    def delivery() -> str:
        settings = app.extensions["settings"]
        secret = WEBHOOK_SECRET
        token = settings.printify_api_token
        raise RuntimeError(f"delivery failed: {secret} {token} for {key}")

    app.add_url_rule("/api/v1/_boom", "boom", delivery)
    response = app.test_client().get(
        "/api/v1/_boom",
        headers={
            "X-Request-ID": "req-sentry-1",
            "X-API-Key": key,
            "Authorization": f"Bearer {key}",
            "Cookie": f"session={SESSION_COOKIE}",
        },
    )
    assert response.status_code == 500
    events = [
        item.payload.json
        for envelope in transport.envelopes
        for item in envelope.items
        if item.type == "event"
    ]
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["url"].endswith("/api/v1/_boom")
    everything = json.dumps(event)
    # The key's random part may itself hold "_": split off only the `pod_<prefix>_` head.
    for secret in (key, WEBHOOK_SECRET, PRINTIFY_TOKEN, SESSION_COOKIE, key.split("_", 2)[2]):
        assert secret not in everything
    assert "[Filtered]" in event["exception"]["values"][-1]["value"]


# -- Zero cost when unset ---------------------------------------------------------------------


# redis-py imports the OpenTelemetry API and metrics SDK itself whenever they are installed (for its
# own optional metrics, off unless configured); the tracing SDK, the instrumentations, the exporter
# and Sentry are the gateway's to load.
OURS = (
    "opentelemetry.sdk.trace",
    "opentelemetry.instrumentation",
    "opentelemetry.exporter",
    "sentry_sdk",
)


def loaded_sdks(tmp_path: Path, **env: str) -> set[str]:
    """Which of OURS a fresh process has loaded after create_app."""
    code = (
        "import json, os, sys\n"
        "from gateway.app import create_app\n"
        "create_app()\n"
        f"ours = {OURS!r}\n"
        "print(json.dumps([p for p in ours if any(m == p or m.startswith(p + '.')"
        " for m in sys.modules)]), flush=True)\n"
        "os._exit(0)\n"  # no exit-time flush towards the unused collector
    )
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={
            **inherited,
            "PYTHONPATH": str(ROOT),
            "GATEWAY_STATE_DIR": str(tmp_path / "state"),
            "GATEWAY_SECRET_KEY": "test",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_without_the_variables_create_app_loads_neither_sdk(tmp_path: Path) -> None:
    assert loaded_sdks(tmp_path) == set()
    configured = loaded_sdks(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=UNUSED_COLLECTOR,
        SENTRY_DSN="https://public@sentry.invalid/1",
    )
    assert configured == set(OURS)
