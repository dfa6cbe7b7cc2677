"""Generation jobs: submit, edit, cancel, read. The worker side lives in `runner`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway.app import leases, tracing
from gateway.app import validation as v
from gateway.app.accounts import quotas
from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.circuit import retry_after_seconds
from gateway.app.database import isoformat, utcnow
from gateway.app.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from gateway.app.generation.backends.base import InputRejected
from gateway.app.generation.backends.registry import BackendRegistry
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.params import EditParams, GenerationParams
from gateway.app.generation.states import JOB_STATES, JobStatus
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.pagination import Keyset

Enqueue = Callable[[str], None]


@dataclass(frozen=True)
class Requester:
    """Who asked for a job: the actor for the audit log, the API key for ownership, and that key's
    monthly quota (none for operators)."""

    actor: Actor
    api_key_id: str | None = None
    allowance: quotas.Allowance | None = None


def ensure_backend_available(registry: BackendRegistry, name: str) -> None:
    """Refuse at once (503) when the backend is not configured or its circuit is open."""
    slot = registry.slot(name)
    if not slot.enabled:
        raise ServiceUnavailable(
            f"backend {name} is not configured ({slot.disabled_reason})",
            details={"backend": name},
        )
    if slot.circuit == "open":
        wait = retry_after_seconds(slot.breaker)
        raise ServiceUnavailable(
            f"backend {name} is unavailable (circuit open); retry in {wait} s",
            details={"backend": name, "circuit": "open", "retry_after": wait},
            headers={"Retry-After": str(wait)},
        )


def create_job(
    session: Session,
    *,
    mode: str,
    backend: str,
    params: dict[str, Any],
    requester: Requester,
    source_image_id: str | None = None,
    template_id: str | None = None,
) -> GenerationJob:
    job = GenerationJob(
        status=JobStatus.PENDING,
        mode=mode,
        backend=backend,
        params=params,
        source_image_id=source_image_id,
        template_id=template_id,
        requested_by=requester.actor.name,
        api_key_id=requester.api_key_id,
        trace_context=tracing.job_trace_context(),
    )
    quotas.consume(session, requester.allowance, "images", int(params.get("batch_size") or 1))
    session.add(job)
    session.flush()
    details = {"backend": backend, "mode": mode}
    audit_job(
        session, requester.actor, job.id, "submitted", to_status=JobStatus.PENDING, details=details
    )
    return job


def audit_job(session: Session, actor: Actor, job_id: str, action: str, **entry: Any) -> None:
    """Record `action` on the job in the audit log (`entry`: the rest of `audit.record`'s fields)."""
    audit.record(session, actor, entity_type="job", entity_id=job_id, action=action, **entry)


def _commit_and_queue(session: Session, job: GenerationJob, enqueue: Enqueue) -> GenerationJob:
    """Commit the new job, then queue it (a lost message is repaired by the reaper).

    Nothing touches the session between commit and enqueue: on SQLite a new transaction would take
    the write lock that the worker needs.
    """
    job_id = job.id
    session.commit()
    enqueue(job_id)
    return job


def submit_generation(
    session: Session,
    registry: BackendRegistry,
    enqueue: Enqueue,
    params: GenerationParams,
    requester: Requester,
) -> GenerationJob:
    """Record a pending job, commit it, then queue it."""
    ensure_backend_available(registry, params.backend)
    job = create_job(
        session,
        mode="generate",
        backend=params.backend,
        params=params.to_json(),
        requester=requester,
        template_id=params.template_id,
    )
    return _commit_and_queue(session, job, enqueue)


def _check_edit_source(registry: BackendRegistry, backend: str, source: Image) -> None:
    """A 400 now, rather than a failed job later, for a source the backend cannot edit."""
    slot = registry.slot(backend)
    assert slot.backend is not None, "ensure_backend_available checked it"
    try:
        slot.backend.check_edit_source(source.width, source.height)
    except InputRejected as error:
        raise ValidationFailed(error.message, {"image_id": error.message}) from None


def submit_edit(
    session: Session,
    registry: BackendRegistry,
    enqueue: Enqueue,
    params: EditParams,
    requester: Requester,
) -> GenerationJob:
    """Queue an edit of an existing image; its results become children of that image."""
    source = images.get(session, params.image_id)
    ensure_backend_available(registry, params.backend)
    _check_edit_source(registry, params.backend, source)
    job_params = {
        "instruction": params.instruction,
        "width": source.width,
        "height": source.height,
        "seed": params.seed,
        "batch_size": params.batch_size,
        "backend": params.backend,
    }
    return queue_from_source(session, source, "edit", job_params, requester, enqueue)


def queue_from_source(
    session: Session,
    source: Image,
    mode: str,
    params: dict[str, Any],
    requester: Requester,
    enqueue: Enqueue,
) -> GenerationJob:
    """Create, commit and queue a job that works on `source` (an edit or an upscale); its prompt
    is the source's, so the result lists under the same design."""
    job = create_job(
        session,
        mode=mode,
        backend=params["backend"],
        params={"prompt": source.prompt or source.title or "uploaded design", **params},
        requester=requester,
        source_image_id=source.id,
    )
    return _commit_and_queue(session, job, enqueue)


def get_job(session: Session, job_id: str) -> GenerationJob:
    job = session.get(GenerationJob, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found", details={"job_id": job_id})
    return job


def cancel_job(
    session: Session, registry: BackendRegistry, job_id: str, actor: Actor
) -> GenerationJob:
    """Cancel a pending or running job; a running worker notices through its lease and stops."""
    job = get_job(session, job_id)
    if not JOB_STATES.can_move(job.status, JobStatus.CANCELLED):
        raise Conflict(
            f"job {job_id} is already {job.status}",
            details={"job_id": job_id, "status": job.status},
        )
    previous = job.status
    changed = session.execute(
        update(GenerationJob)
        .where(
            GenerationJob.id == job_id,
            JOB_STATES.guard(GenerationJob.status, JobStatus.CANCELLED, previous),
        )
        .values(
            status=JobStatus.CANCELLED,
            **leases.RELEASED,
            completed_at=utcnow(),
            error_code="CANCELLED",
            error_message=f"cancelled by {actor.name}",
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        session.rollback()
        return cancel_job(session, registry, job_id, actor)
    audit_job(
        session, actor, job_id, "cancelled", from_status=previous, to_status=JobStatus.CANCELLED
    )
    external_id, backend_name = job.external_id, job.backend
    session.commit()
    slot = registry.slot(backend_name)
    if previous == JobStatus.PROCESSING and external_id and slot.backend is not None:
        slot.backend.cancel(external_id)
    return job


BY_CREATED = Keyset(GenerationJob.created_at, GenerationJob.id)


def jobs_query(*, status: str | None) -> Any:
    """`select(GenerationJob)`, narrowed to one status when given (an empty one is refused)."""
    statement = select(GenerationJob)
    if status is not None:
        v.choice(status, "status", [str(s) for s in JobStatus])
        statement = statement.where(GenerationJob.status == status)
    return statement


def list_jobs(session: Session, *, status: str | None, limit: int) -> list[GenerationJob]:
    """The newest `limit` jobs (v1's list)."""
    statement = BY_CREATED.ordered(jobs_query(status=status))
    return list(session.scalars(statement.limit(limit)))


def image_ids_for(session: Session, job_ids: list[str]) -> dict[str, list[str]]:
    rows = session.execute(
        select(Image.job_id, Image.id)
        .where(Image.job_id.in_(job_ids))
        .order_by(Image.job_id, Image.job_index)
    )
    found: dict[str, list[str]] = {job_id: [] for job_id in job_ids}
    for job_id, image_id in rows:
        found[job_id].append(image_id)
    return found


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(GenerationJob.status, func.count()).group_by(GenerationJob.status)
    )
    return {status: count for status, count in rows}


def to_dict(job: GenerationJob, image_ids: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "job_id": job.id,
        "status": job.status,
        "mode": job.mode,
        "progress": round(job.progress or 0.0, 3),
        "backend": job.backend,
        "params": job.params,
        "source_image_id": job.source_image_id,
        "image_ids": image_ids,
        "error": None,
        "warnings": job.warnings or [],
        "attempts": job.attempts,
        "created_at": isoformat(job.created_at),
        "started_at": isoformat(job.started_at),
        "completed_at": isoformat(job.completed_at),
    }
    if job.error_code:
        body["error"] = {"code": job.error_code, "message": job.error_message or job.error_code}
    return body
