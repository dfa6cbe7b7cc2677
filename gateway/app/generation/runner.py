"""Running a generation job on a worker: claim a lease, call the backend, store results once.

Exactly-once results rest on three things: a job is claimed by a conditional update (one worker
wins), the lease is renewed while the backend runs (a dead worker's lease expires and the reaper
requeues the job), and the results are committed by a conditional update on the lease in the same
transaction as the image rows (a worker that lost its lease cannot also store images).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

import pybreaker
from sqlalchemy import Engine, Row, and_, func, select, update
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from gateway.app import leases, metrics, tracing
from gateway.app.audit.service import SYSTEM
from gateway.app.clients.http import wait_retry_after
from gateway.app.database import utcnow
from gateway.app.errors import NotFound
from gateway.app.events import service as events
from gateway.app.generation import service as jobs
from gateway.app.generation.backends.base import (
    BackendError,
    GenerationCancelled,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    TransientBackendError,
)
from gateway.app.generation.context import GenerationContext
from gateway.app.generation.job_inputs import inherited_listing, origin_for, request_for
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.states import JOB_STATES, JobStatus
from gateway.app.images import service as images
from gateway.app.imaging.pipeline import ProcessedImage
from gateway.app.imaging.storage import StorageKeyNotFound
from gateway.app.imaging.validation import ImageRejected
from gateway.app.leases import LeaseHeartbeat
from gateway.app.settings import Settings

log = logging.getLogger(__name__)
JOBS = GenerationJob.__table__
JobRow = Row[Any]
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def _worker_id() -> str:
    return f"{WORKER_ID}:{threading.get_ident()}"


class LeaseControl:
    """The JobControl a backend sees: progress, cancellation, deadline, remembered external id.

    A heartbeat renews the lease (and writes the latest progress); once renewal fails (the job was
    cancelled or the lease was taken over) `should_stop` turns true.
    """

    def __init__(self, engine: Engine, job: JobRow, owner: str, settings: Settings) -> None:
        self._engine = engine
        started = job.started_at or utcnow()
        elapsed = (utcnow() - started).total_seconds()
        self._deadline = time.monotonic() + max(0.0, settings.generation_timeout_seconds - elapsed)
        self._external_id = job.external_id
        self._progress: float | None = None
        self._processing = JOBS.c.status == JobStatus.PROCESSING
        self._owned = and_(JOBS.c.id == job.id, JOBS.c.lease_owner == owner, self._processing)
        self._heartbeat = LeaseHeartbeat(
            engine,
            JOBS,
            job.id,
            owner,
            settings.job_lease_seconds,
            condition=self._processing,
            extra_values=self._progress_values,
        )

    def __enter__(self) -> LeaseControl:
        self._heartbeat.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._heartbeat.__exit__(*exc)

    @property
    def deadline(self) -> float:
        return self._deadline

    @property
    def external_id(self) -> str | None:
        return self._external_id

    def remember_external_id(self, external_id: str) -> None:
        self._external_id = external_id
        with self._engine.begin() as connection:
            connection.execute(update(JOBS).where(self._owned).values(external_id=external_id))

    def report_progress(self, fraction: float) -> None:
        """Write the progress with a lease renewal; all done (1.0) is left to the results' commit,
        moments later, which sets it under the same lease check."""
        self._progress = max(0.0, min(1.0, fraction))
        if self._progress < 1.0:
            self._heartbeat.renew()

    def should_stop(self) -> bool:
        return self._heartbeat.lost.is_set()

    def _progress_values(self) -> dict[str, object]:
        return {} if self._progress is None else {"progress": self._progress}


def claim(engine: Engine, job_id: str, owner: str, lease_seconds: float) -> JobRow | None:
    """Take a pending job for this worker and return its row as claimed; None when another worker
    has it or it is final."""
    now = utcnow()
    with engine.begin() as connection:
        taken = leases.claim(
            connection,
            JOBS,
            and_(
                JOBS.c.id == job_id,
                JOB_STATES.guard(JOBS.c.status, JobStatus.PROCESSING, JobStatus.PENDING),
            ),
            owner,
            lease_seconds,
            now,
            status=JobStatus.PROCESSING,
            attempts=JOBS.c.attempts + 1,
            started_at=func.coalesce(JOBS.c.started_at, now),
            updated_at=now,
        )
        if taken != 1:
            return None
        job = connection.execute(select(JOBS).where(JOBS.c.id == job_id)).one()
        if job.attempts == 1:
            events.emit(connection, "generation.started", jobs.to_dict(job, []))
    return job


def load_job(engine: Engine, job_id: str) -> JobRow:
    """The job as a plain row, read outside the ORM session.

    The worker holds no session transaction while a backend runs: on SQLite an open one would keep
    the write lock that lease renewals and other processes need.
    """
    with engine.connect() as connection:
        return connection.execute(select(JOBS).where(JOBS.c.id == job_id)).one()


def _call_backend(
    context: GenerationContext, job: JobRow, request: GenerationRequest, control: LeaseControl
) -> GenerationOutput:
    """The backend call behind its circuit breaker, retried with backoff for transient faults."""
    slot = context.registry.slot(job.backend)
    if slot.backend is None:
        raise BackendError(f"backend {job.backend} is not configured")
    backend = slot.backend

    retrying = Retrying(
        retry=retry_if_exception_type(TransientBackendError),
        stop=stop_after_attempt(context.settings.backend_max_attempts),
        wait=wait_retry_after(
            wait_random_exponential(multiplier=0.5, max=10), TransientBackendError
        ),
        reraise=True,
    )
    with tracing.span("generation.backend", {"gateway.backend": job.backend}):
        for attempt in retrying:
            # `calling()` takes the breaker's lock only to check and record its state; `call()`
            # would hold it for the whole generation and run this process's jobs of a backend one
            # at a time.
            with attempt, slot.breaker.calling():
                return backend.generate(request, control)
    raise AssertionError("unreachable: tenacity reraises the last error")


def _finish_failed(engine: Engine, job_id: str, owner: str, code: str, message: str) -> bool:
    with engine.begin() as connection:
        result = connection.execute(
            update(JOBS)
            .where(
                JOBS.c.id == job_id,
                JOBS.c.lease_owner == owner,
                JOB_STATES.guard(JOBS.c.status, JobStatus.FAILED, JobStatus.PROCESSING),
            )
            .values(
                status=JobStatus.FAILED,
                error_code=code,
                error_message=message[:2000],
                completed_at=utcnow(),
                **leases.RELEASED,
            )
        )
        if result.rowcount == 1:
            job = connection.execute(select(JOBS).where(JOBS.c.id == job_id)).one()
            events.emit(connection, "generation.failed", jobs.to_dict(job, []))
    if result.rowcount == 1:
        metrics.GENERATION_FAILED.labels(error_type=code).inc()
        return True
    return False


def _process_outputs(
    context: GenerationContext, output: GenerationOutput
) -> tuple[list[tuple[int, ProcessedImage]], list[str]]:
    processed: list[tuple[int, ProcessedImage]] = []
    problems = list(output.errors)
    for index, generated in enumerate(output.images):
        try:
            stored = images.prepare(
                context.storage, generated.data, context.limits, context.settings
            )
            processed.append((index, stored))
        except ImageRejected as error:
            problems.append(f"image {index}: {error}")
    return processed, problems


def _store_results(
    session: Session,
    context: GenerationContext,
    job: JobRow,
    owner: str,
    output: GenerationOutput,
    processed: list[tuple[int, ProcessedImage]],
    problems: list[str],
) -> bool:
    """Commit the images and the completed job together, only while this worker holds the lease."""
    finished = session.execute(
        update(GenerationJob)
        .where(
            GenerationJob.id == job.id,
            GenerationJob.lease_owner == owner,
            JOB_STATES.guard(GenerationJob.status, JobStatus.COMPLETED, JobStatus.PROCESSING),
        )
        .values(
            status=JobStatus.COMPLETED,
            progress=1.0,
            completed_at=utcnow(),
            **leases.RELEASED,
            warnings=problems or None,
        )
        .execution_options(synchronize_session=False)
    )
    if finished.rowcount != 1:
        session.rollback()
        return False
    image_ids = []
    listing = inherited_listing(session, job)
    for index, result in processed:
        image = images.add_image(
            session,
            result,
            origin_for(job, index, output.images[index].seed),
            SYSTEM,
            duplicate_max_distance=context.settings.duplicate_max_distance,
            screen=context.settings.ip_screen,
            **listing,
        )
        image_ids.append(image.id)
    jobs.audit_job(
        session,
        SYSTEM,
        job.id,
        "completed",
        from_status=JobStatus.PROCESSING,
        to_status=JobStatus.COMPLETED,
        details={"images": len(processed), "warnings": problems},
    )
    completed = session.execute(
        select(GenerationJob)
        .where(GenerationJob.id == job.id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    events.emit(session, "generation.completed", jobs.to_dict(completed, image_ids))
    session.commit()
    return True


def run_generation(session: Session, context: GenerationContext, job_id: str) -> None:
    """The queue task: run one job to a final state, at most once per lease."""
    owner = _worker_id()
    job = claim(context.engine, job_id, owner, context.settings.job_lease_seconds)
    if job is None:
        log.info("job %s not claimable (taken, final or unknown); skipping", job_id)
        return
    attributes = {"gateway.job.id": job_id, "gateway.backend": job.backend}
    with tracing.job_span("generation.run", job.trace_context, attributes):
        _run_claimed(session, context, job, owner)


def _run_claimed(session: Session, context: GenerationContext, job: JobRow, owner: str) -> None:
    """Run a job this worker holds the lease of, from the backend call to its stored results."""
    job_id = job.id
    try:
        request = request_for(job, context.storage, session)
    except (NotFound, StorageKeyNotFound):
        session.rollback()
        message = f"the source image {job.source_image_id} no longer exists"
        log.info("job %s failed: %s", job_id, message)
        _finish_failed(context.engine, job_id, owner, NotFound.code, message)
        return
    session.rollback()
    metrics.GENERATION_STARTED.inc()
    started = time.monotonic()
    log.info("job %s started on %s (attempt %s)", job_id, job.backend, job.attempts)
    with LeaseControl(context.engine, job, owner, context.settings) as control:
        try:
            output = _call_backend(context, job, request, control)
        except GenerationCancelled:
            log.info("job %s stopped: cancelled or lease lost", job_id)
            return
        except pybreaker.CircuitBreakerError:
            _finish_failed(
                context.engine,
                job_id,
                owner,
                "SERVICE_UNAVAILABLE",
                f"backend {job.backend} is unavailable (circuit open)",
            )
            return
        except BackendError as error:
            log.warning("job %s failed: %s %s", job_id, error.code, error.message)
            _finish_failed(context.engine, job_id, owner, error.code, error.message)
            return
        except Exception as error:
            log.exception("job %s crashed", job_id)
            _finish_failed(
                context.engine, job_id, owner, "INTERNAL_ERROR", str(error) or type(error).__name__
            )
            return
        processed, problems = _process_outputs(context, output)
        if not processed:
            reason = "; ".join(problems) or "the backend returned no images"
            _finish_failed(context.engine, job_id, owner, GenerationFailed.code, reason)
            return
        if _store_results(session, context, job, owner, output, processed, problems):
            metrics.GENERATION_COMPLETED.inc()
            metrics.GENERATION_DURATION.observe(time.monotonic() - started)
            log.info("job %s completed with %d image(s)", job_id, len(processed))
        else:
            log.info("job %s lost its lease before storing; results dropped", job_id)
