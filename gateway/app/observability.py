"""Request ids, one log line per request, request metrics, and log formatting with redaction."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

from gateway.app import metrics
from gateway.app.settings import Settings

log = logging.getLogger("gateway.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# API keys, webhook secrets, bearer tokens and JWTs (Printify's tokens): masked in logs and in
# error reports (gateway.app.tracing).
SECRETS = re.compile(
    r"(pod_[0-9a-f]{8}_[A-Za-z0-9_-]{16,}|whsec_[A-Za-z0-9+/=]{16,}|Bearer\s+\S+"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)"
)


class RedactSecrets(logging.Filter):
    """Masks API keys, webhook secrets and bearer tokens wherever they would reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRETS.sub("[REDACTED]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            try:
                record.request_id = g.get("request_id", "-")
            except RuntimeError:
                record.request_id = "-"
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("urllib3", "huey", "werkzeug", "pyvips"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _begin() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    state = g.get("rate_state")
    if state is not None:
        for name, value in state.headers().items():
            response.headers.setdefault(name, value)
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    metrics.API_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    metrics.API_DURATION.labels(request.method, endpoint).observe(elapsed)
    log.info(
        "%s %s %s %.1fms",
        request.method,
        request.path,
        response.status_code,
        elapsed * 1000,
        extra={
            "request_id": g.get("request_id", "-"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 1),
        },
    )
    return response


def init_app(app: Flask, settings: Settings) -> None:
    configure_logging(settings)
    app.before_request(_begin)
    app.after_request(_finish)
