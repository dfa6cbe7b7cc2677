"""OpenTelemetry traces and Sentry error reports, each on only when its variable is set.

The gateway imports neither SDK unless `OTEL_EXPORTER_OTLP_ENDPOINT` or `SENTRY_DSN` is set, so a
gateway without them pays nothing: no import, no hook, no per-request work. Outbound HTTP and SQL are
instrumented for the whole process, so tracing's state is this module's, one per process. A job
stores the trace context of the request that queued it (W3C `traceparent`) on its row, so the
worker that runs it, in whichever process and after however many requeues, continues that trace.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, g, has_request_context

from gateway.app.observability import SECRETS
from gateway.app.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

WEB_SERVICE = "pod-gateway"
WORKER_SERVICE = "pod-gateway-worker"
# Probes and scrapes come every few seconds and say nothing about a request's path.
UNTRACED_URLS = r"/(health|ready|metrics)(\?|$)"
FILTERED = "[Filtered]"
_SENSITIVE_KEY = re.compile(
    r"api[-_]?key|authorization|cookie|password|secret|token|signature", re.I
)
_UNTRACED = contextlib.nullcontext()


@dataclass(frozen=True)
class _Tracing:
    provider: TracerProvider
    tracer: Tracer
    sql: _SqlSpans


_active: _Tracing | None = None


def init_app(app: Flask, settings: Settings) -> None:
    """Start tracing and error reporting for this (web) process, each only when configured.

    Tests hand in their own span exporter (`SPAN_EXPORTER`) and Sentry transport
    (`SENTRY_TRANSPORT`) through the app's config; production exports over OTLP/HTTP and to the DSN.
    """
    if settings.otel_exporter_otlp_endpoint:
        provider = _start_tracing(
            settings.otel_exporter_otlp_endpoint, WEB_SERVICE, app.config.get("SPAN_EXPORTER")
        )
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        FlaskInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=UNTRACED_URLS)
    if settings.sentry_dsn:
        _start_sentry(settings, app.config.get("SENTRY_TRANSPORT"))


def init_worker(app: Flask) -> None:
    """Make this process's spans the worker's (`pod-gateway-worker`) from now on.

    The worker process builds the app like a web process does, so `init_app` has started tracing as
    `pod-gateway` already; a resource cannot change, so tracing starts again under the worker's name.
    """
    settings: Settings = app.extensions["settings"]
    if settings.otel_exporter_otlp_endpoint:
        _start_tracing(
            settings.otel_exporter_otlp_endpoint, WORKER_SERVICE, app.config.get("SPAN_EXPORTER")
        )


def stop_tracing() -> None:
    """Flush this process's spans and take its HTTP and SQL instrumentation off."""
    global _active
    if _active is None:
        return
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    RequestsInstrumentor().uninstrument()
    _active.sql.detach()
    _active.provider.shutdown()
    _active = None


def job_trace_context() -> dict[str, str] | None:
    """The current trace as W3C headers (`traceparent`) to store with a job; None when untraced."""
    if _active is None:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier or None


def job_span(
    name: str, trace_context: Mapping[str, str] | None, attributes: Mapping[str, Any]
) -> AbstractContextManager[object]:
    """A span for a worker's run of a job, continuing the trace stored with the job (the current
    trace when the job carries none: it was queued untraced)."""
    if _active is None:
        return _UNTRACED
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract(trace_context) if trace_context else None
    return _active.tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, attributes=dict(attributes)
    )


def span(name: str, attributes: Mapping[str, Any]) -> AbstractContextManager[object]:
    """A child span of the current one (a backend call); nothing when tracing is off."""
    if _active is None:
        return _UNTRACED
    return _active.tracer.start_as_current_span(name, attributes=dict(attributes))


def _start_tracing(
    endpoint: str, service_name: str, exporter: SpanExporter | None
) -> TracerProvider:
    global _active
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    stop_tracing()
    # Resource.create and TracerProvider read the standard OTEL_* variables (resource attributes,
    # sampler, span limits); the OTLP exporter reads its headers, timeout and compression.
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        traces = f"{endpoint.rstrip('/')}/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    RequestsInstrumentor().instrument(tracer_provider=provider)
    tracer = provider.get_tracer("gateway")
    sql = _SqlSpans(tracer)
    sql.attach()
    _active = _Tracing(provider, tracer, sql)
    return provider


class _SqlSpans:
    """A client span per SQL statement, on every engine of the process, through SQLAlchemy's events.

    Written here rather than taken from opentelemetry-instrumentation-sqlalchemy, which declares
    SQLAlchemy < 2.1 and refuses to instrument the pinned 2.1. The statement is recorded as sent,
    with placeholders: parameter values never reach a span.
    """

    def __init__(self, tracer: Tracer) -> None:
        from opentelemetry.semconv.attributes import db_attributes
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self._tracer = tracer
        self._db = db_attributes
        self._client = SpanKind.CLIENT
        self._failed = lambda error: Status(StatusCode.ERROR, type(error).__name__)

    def attach(self) -> None:
        from sqlalchemy import Engine, event

        event.listen(Engine, "before_cursor_execute", self._before, named=True)
        event.listen(Engine, "after_cursor_execute", self._after, named=True)
        event.listen(Engine, "handle_error", self._error)

    def detach(self) -> None:
        from sqlalchemy import Engine, event

        event.remove(Engine, "before_cursor_execute", self._before)
        event.remove(Engine, "after_cursor_execute", self._after)
        event.remove(Engine, "handle_error", self._error)

    def _before(self, conn: Any, statement: str, context: Any, **_: object) -> None:
        """Start the statement's span (SQLAlchemy's before_cursor_execute, by keyword)."""
        db = self._db
        words = statement.split(None, 1)
        operation = words[0].upper() if words else "SQL"
        context._gateway_span = self._tracer.start_span(
            operation,
            kind=self._client,
            attributes={
                db.DB_SYSTEM_NAME: conn.dialect.name,
                db.DB_OPERATION_NAME: operation,
                db.DB_QUERY_TEXT: statement,
            },
        )

    def _after(self, context: Any, **_: object) -> None:
        """End the statement's span (SQLAlchemy's after_cursor_execute, by keyword)."""
        self._end(context)

    def _error(self, exception_context: Any) -> None:
        self._end(exception_context.execution_context, exception_context.original_exception)

    def _end(self, context: Any, error: BaseException | None = None) -> None:
        """End the span a statement's context holds, if any; failed when `error` is given."""
        current = getattr(context, "_gateway_span", None)
        if current is not None:
            if error is not None:
                current.set_status(self._failed(error))
            current.end()
            context._gateway_span = None


def _start_sentry(settings: Settings, transport: object | None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    # SENTRY_ENVIRONMENT and SENTRY_RELEASE are read by the SDK itself. Personal data stays off by
    # default (`send_default_pii` unset: setting `data_collection` instead would also switch off
    # the SDK's own scrubber). Request bodies are never sent: a body may hold anything, and the
    # scrubber only knows the shapes of our secrets.
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        transport=transport,
        integrations=[FlaskIntegration()],
        max_request_body_size="never",
        before_send=_ScrubSecrets(settings),
    )


class _ScrubSecrets:
    """Sentry's `before_send`: secrets out of an event, tagged with the request id.

    Values are scrubbed wherever they appear (messages, exception values, breadcrumbs, frame
    variables): our secrets' shapes (API keys, `whsec_` secrets, bearer tokens, JWTs such as
    Printify's tokens) and the configured secrets verbatim; and any field named like a secret
    (X-API-Key, Authorization, cookies, passwords, signatures) is dropped whole.
    """

    def __init__(self, settings: Settings) -> None:
        configured = (
            settings.printify_api_token,
            settings.printify_webhook_secret,
            settings.runpod_api_key,
            settings.secret_key,
            settings.admin_password,
        )
        self._known = [value for value in configured if value]

    def __call__(self, event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        scrubbed: dict[str, Any] = self._scrub(event)
        if has_request_context() and g.get("request_id"):
            scrubbed.setdefault("tags", {})["request_id"] = g.request_id
        return scrubbed

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            value = SECRETS.sub(FILTERED, value)
            for secret in self._known:
                value = value.replace(secret, FILTERED)
            return value
        if isinstance(value, dict):
            return {
                key: FILTERED
                if isinstance(key, str) and _SENSITIVE_KEY.search(key)
                else self._scrub(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._scrub(item) for item in value]
        return value
