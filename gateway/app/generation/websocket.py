"""WebSocket /ws/jobs/<job_id>: one JSON message per job change, closed after the final one."""

from __future__ import annotations

import json
import time

from flask import Flask, g, request
from simple_websocket import ConnectionClosed

from gateway.app.errors import GatewayError
from gateway.app.extensions import db, sock
from gateway.app.generation import service
from gateway.app.generation.states import FINAL_JOB_STATUSES
from gateway.app.security import api_access

POLL_SECONDS = 0.25
MAX_SECONDS = 3600


def _authenticate() -> None:
    """Browsers cannot set headers on a WebSocket, so `?api_key=` is accepted here too."""
    key = request.args.get("api_key")
    if key and "X-API-Key" not in request.headers:
        request.environ["HTTP_X_API_KEY"] = key
    api_access("jobs.follow")(lambda: None)()


def _snapshot(job_id: str) -> dict:
    db.session.expire_all()
    job = service.get_job(db.session, job_id)
    body = service.to_dict(job, service.image_ids_for(db.session, [job_id])[job_id])
    db.session.rollback()
    return body


def job_updates(ws: object, job_id: str) -> None:
    try:
        _authenticate()
        last = None
        deadline = time.monotonic() + MAX_SECONDS
        while time.monotonic() < deadline:
            body = _snapshot(job_id)
            key = (body["status"], body["progress"], len(body["image_ids"]))
            if key != last:
                ws.send(json.dumps(body))  # type: ignore[attr-defined]
                last = key
            if body["status"] in FINAL_JOB_STATUSES:
                break
            time.sleep(POLL_SECONDS)
    except GatewayError as error:
        message = {"error": error.message, "code": error.code, "request_id": g.get("request_id")}
        ws.send(json.dumps(message))  # type: ignore[attr-defined]
    except ConnectionClosed:
        return
    ws.close(reason=1000, message="done")  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    sock.route("/ws/jobs/<job_id>")(job_updates)
