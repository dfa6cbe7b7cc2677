"""Idempotency-Key on POSTs (contract section 7): a retried request gets the first response.

The key is scoped to the caller (API key or operator). The first request records the key, a hash
of the request and `in_progress`, committed before any work starts; concurrent twins see that and
get 409. Its response (status and body, errors included; 5xx excepted so the caller may retry) is
kept for 24 hours and replayed to later twins. The same key with another body is a 422.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Response, request
from sqlalchemy import Integer, String, Text, UniqueConstraint, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from gateway.app import context as app_context
from gateway.app import versioning
from gateway.app.database import UTCDateTime, utcnow
from gateway.app.errors import Conflict, GatewayError, ValidationFailed, error_response
from gateway.app.extensions import db
from gateway.app.security import require_principal

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_owner_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class IdempotencyKeyInUse(Conflict):
    code = "IDEMPOTENCY_KEY_IN_USE"


class IdempotencyKeyReused(GatewayError):
    code = "IDEMPOTENCY_KEY_REUSED"


def _canonical_body() -> bytes:
    """The request's meaning, not its bytes: canonical JSON (sorted keys, no whitespace), or for
    an upload its form fields and each file's digest. Unparseable bodies fall back to their bytes."""
    if request.is_json:
        try:
            value = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):
            return request.get_data(cache=True)
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if request.files or request.form:
        parts: dict[str, list[str]] = {
            name: sorted(request.form.getlist(name)) for name in sorted(request.form)
        }
        for name in sorted(request.files):
            digests = []
            for upload in request.files.getlist(name):
                digests.append(hashlib.sha256(upload.stream.read()).hexdigest())
                upload.stream.seek(0)
            parts[f"file:{name}"] = digests
        return json.dumps(parts, sort_keys=True).encode()
    return request.get_data(cache=True)


def _request_fingerprint() -> str:
    """Same method, path, query and canonical body: the same request (Stripe's rule)."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(json.dumps(sorted(request.args.items(multi=True))).encode())
    digest.update(b"\0")
    digest.update(_canonical_body())
    return digest.hexdigest()


def presented_key(*, required: bool) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        if required:
            raise ValidationFailed(f"the {HEADER} header is required here", {HEADER: "is required"})
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable characters",
            {HEADER: f"must be 1-{MAX_KEY_LENGTH} printable characters"},
        )
    return key


def _claim(owner: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Record the key as in progress; return the earlier record when there is one.

    A record left `in_progress` longer than `IDEMPOTENCY_ABANDONED_SECONDS` (more than any request
    may run) belonged to a process that was killed mid-request: the same request may take it over,
    or the key would answer 409 for a day.
    """
    session = db.session
    now = utcnow()
    abandoned_after = timedelta(seconds=app_context.settings().idempotency_abandoned_seconds)
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner,
            IdempotencyRecord.key == key,
            or_(
                IdempotencyRecord.created_at < now - RETENTION,
                and_(
                    IdempotencyRecord.status == "in_progress",
                    IdempotencyRecord.request_hash == fingerprint,
                    IdempotencyRecord.created_at < now - abandoned_after,
                ),
            ),
        )
    )
    try:
        session.add(IdempotencyRecord(owner=owner, key=key, request_hash=fingerprint))
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
        )
    )


def _finish(owner: str, key: str, status: int, body: str) -> None:
    session = db.session
    session.rollback()
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return
    if status >= 500:
        session.delete(record)
    else:
        record.status = "completed"
        record.response_status = status
        record.response_body = body
    session.commit()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"this {HEADER} was used with a different request",
            details={"idempotency_key": record.key},
        )
    if record.status != "completed":
        raise IdempotencyKeyInUse(
            f"a request with this {HEADER} is still being processed; retry shortly",
            details={"idempotency_key": record.key},
            headers={"Retry-After": "1"},
        )
    response = Response(
        record.response_body, status=record.response_status, mimetype="application/json"
    )
    if versioning.is_v2() and (record.response_status or 0) >= 400:
        response.mimetype = "application/problem+json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _as_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    body, status = (result, 200) if not isinstance(result, tuple) else (result[0], result[1])
    return Response(json.dumps(body), status=status, mimetype="application/json")


def idempotent(*, required_in_v2: bool = False) -> Callable[[F], F]:
    """Make a POST handler honour Idempotency-Key; `required_in_v2` makes v2 callers send one
    (generate and batch: the calls a retry must never run twice)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = presented_key(required=required_in_v2 and versioning.is_v2())
            if key is None:
                return fn(*args, **kwargs)
            owner = require_principal().rate_identity
            fingerprint = _request_fingerprint()
            earlier = _claim(owner, key, fingerprint)
            if earlier is not None:
                return _replay(earlier, fingerprint)
            try:
                response = _as_response(fn(*args, **kwargs))
            except GatewayError as error:
                response = error_response(
                    error.code, error.message, details=error.details, headers=error.headers
                )
            except Exception:
                _finish(owner, key, 500, "")
                raise
            _finish(owner, key, response.status_code, response.get_data(as_text=True))
            return response

        return wrapper  # type: ignore[return-value]

    return decorate


def purge_expired() -> int:
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
    )
    return result.rowcount
