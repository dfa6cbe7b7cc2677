"""Logging: one line per request with its id, secrets redacted, JSON lines on request."""

from __future__ import annotations

import io
import json
import logging

import pytest

from gateway.app.observability import configure_logging
from tests.conftest import make_settings


def _from_pytest(handler):
    return type(handler).__module__.startswith("_pytest")


@pytest.fixture
def log_output(tmp_path):
    """Logging configured as the app does it, writing into a buffer; restored afterwards.

    pytest's own capture handlers are kept in place so that caplog still works.
    """
    root = logging.getLogger()
    app_handlers = [h for h in root.handlers if not _from_pytest(h)]
    level = root.level
    installed = []

    def configure(**overrides):
        kept = [h for h in root.handlers if _from_pytest(h)]
        configure_logging(make_settings(tmp_path, **overrides))
        [ours] = root.handlers
        buffer = io.StringIO()
        ours.setStream(buffer)
        installed.append(ours)
        root.handlers = [ours, *kept]
        return buffer

    yield configure
    root.handlers = [*app_handlers, *(h for h in root.handlers if h not in installed)]
    root.setLevel(level)


def request_records(caplog):
    return [record for record in caplog.records if record.name == "gateway.request"]


def test_one_log_line_per_request_with_its_fields(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/health", headers={"X-Request-ID": "probe-1"})
    [record] = request_records(caplog)
    assert response.status_code == 200
    assert record.request_id == "probe-1"
    assert (record.method, record.path, record.status) == ("GET", "/health", 200)
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
    assert record.getMessage().startswith("GET /health 200 ")
    assert record.getMessage().endswith("ms")


def test_failed_requests_are_logged_with_their_status(client, caplog):
    with caplog.at_level(logging.INFO):
        client.get("/api/v1/images")
        client.get("/api/v1/nowhere")
    statuses = [(record.path, record.status) for record in request_records(caplog)]
    assert statuses == [("/api/v1/images", 401), ("/api/v1/nowhere", 404)]
    assert all(len(record.request_id) == 32 for record in request_records(caplog))


def test_the_request_line_reaches_the_configured_handler(client, log_output):
    buffer = log_output()
    client.get("/health", headers={"X-Request-ID": "trace-abc"})
    lines = [line for line in buffer.getvalue().splitlines() if "gateway.request" in line]
    assert len(lines) == 1
    assert "[trace-abc]" in lines[0]
    assert "GET /health 200" in lines[0]


def test_api_keys_logged_through_the_app_logger_are_redacted(app, make_key, log_output):
    buffer = log_output()
    key = make_key()
    app.logger.warning("customer pasted %s into a ticket", key)
    logging.getLogger("gateway.somewhere").error("Authorization: Bearer %s", "abc.def.ghi")
    logging.getLogger("gateway.hooks").info("secret whsec_%s", "A" * 32)
    output = buffer.getvalue()
    assert key not in output
    assert "abc.def.ghi" not in output
    assert "whsec_AAAA" not in output
    assert output.count("[REDACTED]") == 3
    assert "customer pasted [REDACTED] into a ticket" in output


def test_requests_with_a_key_never_log_it(client, make_key, caplog, log_output):
    buffer = log_output()
    key = make_key()
    with caplog.at_level(logging.DEBUG):
        client.get("/api/v1/me", headers={"X-API-Key": key})
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
        client.get(f"/api/v1/images?q={key}", headers={"X-API-Key": key})
        client.get("/api/v1/me", headers={"X-API-Key": key + "tampered"})
    assert key not in buffer.getvalue()
    for record in caplog.records:
        assert key not in record.getMessage()
        assert key not in json.dumps(record.__dict__, default=str)


def test_json_log_format_writes_one_json_object_per_line(client, log_output):
    buffer = log_output(LOG_FORMAT="json")
    client.get("/health", headers={"X-Request-ID": "json-1"})
    logging.getLogger("gateway.test").warning("plain message")
    lines = buffer.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    request = next(entry for entry in entries if entry["logger"] == "gateway.request")
    assert request["request_id"] == "json-1"
    assert request["level"] == "INFO"
    assert (request["method"], request["path"], request["status"]) == ("GET", "/health", 200)
    assert "duration_ms" in request and "time" in request
    plain = next(entry for entry in entries if entry["logger"] == "gateway.test")
    assert plain["message"] == "plain message"
    assert plain["request_id"] == "-"


def test_json_lines_are_redacted_too(make_key, log_output):
    buffer = log_output(LOG_FORMAT="json")
    key = make_key()
    logging.getLogger("gateway.test").error("leaked %s", key)
    [entry] = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert key not in json.dumps(entry)
    assert entry["message"] == "leaked [REDACTED]"


def test_the_log_level_is_applied(log_output):
    buffer = log_output(LOG_LEVEL="WARNING")
    logging.getLogger("gateway.test").info("quiet")
    logging.getLogger("gateway.test").warning("loud")
    assert "quiet" not in buffer.getvalue()
    assert "loud" in buffer.getvalue()
