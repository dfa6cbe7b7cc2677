"""The worker side of generation: leases, exactly-once results, the reaper (local backend)."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from gateway.app.audit.service import SYSTEM
from gateway.app.circuit import circuit_state
from gateway.app.database import utcnow
from gateway.app.extensions import db
from gateway.app.generation import job_inputs, reaper, runner
from gateway.app.generation import service as jobs
from gateway.app.generation.backends.base import (
    GenerationFailed,
    GenerationTimeout,
    InputRejected,
    TransientBackendError,
)
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.params import parse_edit, parse_generate
from gateway.app.generation.service import Requester
from gateway.app.images.models import Image

JOBS = GenerationJob.__table__


@pytest.fixture
def context(app):
    with app.app_context():
        yield app.extensions["generation"]
        db.session.remove()


@pytest.fixture
def submit(context):
    """Record a pending job whose queue message is kept aside; returns its id."""

    def make(batch_size=2, **extra):
        params = parse_generate(
            {"prompt": "lighthouse", "width": 64, "height": 64, "seed": 3, "batch_size": batch_size}
            | extra,
            context.settings,
        )
        job_id = jobs.submit_generation(
            db.session, context.registry, lambda _: None, params, Requester(SYSTEM)
        ).id
        db.session.rollback()
        return job_id

    return make


def job_row(context, job_id):
    return runner.load_job(context.engine, job_id)


def set_job(context, job_id, **values):
    with context.engine.begin() as connection:
        connection.execute(update(JOBS).where(JOBS.c.id == job_id).values(**values))


def image_count(job_id):
    count = db.session.scalar(select(func.count()).select_from(Image).where(Image.job_id == job_id))
    db.session.rollback()
    return count


class Recorder:
    """An enqueue function that remembers what it was given."""

    def __init__(self):
        self.sent = []

    def __call__(self, job_id):
        self.sent.append(job_id)


def test_claim_is_exclusive(context, submit):
    job_id = submit()
    assert runner.claim(context.engine, job_id, "worker-a", 30)
    assert not runner.claim(context.engine, job_id, "worker-b", 30)
    row = job_row(context, job_id)
    assert (row.status, row.lease_owner, row.attempts) == ("processing", "worker-a", 1)
    assert row.lease_expires_at > utcnow()
    assert not runner.claim(context.engine, "job_unknown", "worker-a", 30)


def test_a_job_runs_once_and_a_second_run_changes_nothing(context, submit):
    job_id = submit(batch_size=2)
    runner.run_generation(db.session, context, job_id)
    done = job_row(context, job_id)
    assert done.status == "completed"
    assert done.lease_owner is None
    assert image_count(job_id) == 2
    runner.run_generation(db.session, context, job_id)
    again = job_row(context, job_id)
    assert image_count(job_id) == 2
    assert (again.attempts, again.completed_at) == (done.attempts, done.completed_at)


def test_an_expired_lease_is_requeued_and_the_job_completes_once(context, submit):
    job_id = submit(batch_size=2)
    assert runner.claim(context.engine, job_id, "dead-worker", 30)
    set_job(context, job_id, lease_expires_at=utcnow() - timedelta(seconds=1))
    enqueue = Recorder()
    counts = reaper.reap(db.session, context, enqueue)
    assert counts == {"requeued": 1, "timed_out": 0, "resent": 0}
    assert enqueue.sent == [job_id]
    requeued = job_row(context, job_id)
    assert (requeued.status, requeued.lease_owner) == ("pending", None)
    for sent in [*enqueue.sent, job_id]:
        runner.run_generation(db.session, context, sent)
    done = job_row(context, job_id)
    assert done.status == "completed"
    assert done.attempts == 2
    assert image_count(job_id) == 2
    assert reaper.reap(db.session, context, enqueue) == {
        "requeued": 0,
        "timed_out": 0,
        "resent": 0,
    }


def test_a_live_lease_is_left_alone(context, submit):
    job_id = submit()
    assert runner.claim(context.engine, job_id, "busy-worker", 30)
    enqueue = Recorder()
    assert reaper.reap(db.session, context, enqueue)["requeued"] == 0
    assert enqueue.sent == []
    assert job_row(context, job_id).lease_owner == "busy-worker"


def _backend_output(context, job_id, owner):
    """Run the local backend for a claimed job as its worker would, without storing anything."""
    row = job_row(context, job_id)
    request = job_inputs.request_for(row, context.storage, db.session)
    db.session.rollback()
    control = runner.LeaseControl(context.engine, row, owner, context.settings)
    output = context.registry.slot("local").backend.generate(request, control)
    processed, problems = runner._process_outputs(context, output)
    return row, output, processed, problems


def test_a_worker_that_lost_its_lease_stores_nothing(context, submit):
    job_id = submit(batch_size=2)
    assert runner.claim(context.engine, job_id, "worker-a", 30)
    row, output, processed, problems = _backend_output(context, job_id, "worker-a")
    set_job(context, job_id, lease_owner="worker-b")
    stored = runner._store_results(
        db.session, context, row, "worker-a", output, processed, problems
    )
    assert stored is False
    assert image_count(job_id) == 0
    after = job_row(context, job_id)
    assert (after.status, after.lease_owner) == ("processing", "worker-b")
    assert runner._store_results(db.session, context, row, "worker-b", output, processed, problems)
    assert image_count(job_id) == 2
    assert job_row(context, job_id).status == "completed"


def test_a_lease_control_notices_a_takeover(context, submit):
    job_id = submit()
    assert runner.claim(context.engine, job_id, "worker-a", 30)
    control = runner.LeaseControl(
        context.engine, job_row(context, job_id), "worker-a", context.settings
    )
    control.report_progress(0.25)
    assert not control.should_stop()
    assert job_row(context, job_id).progress == pytest.approx(0.25)
    set_job(context, job_id, lease_owner="worker-b")
    control.report_progress(0.5)
    assert control.should_stop()
    assert job_row(context, job_id).progress == pytest.approx(0.25)


def test_a_cancelled_job_is_not_run(context, submit):
    job_id = submit()
    jobs.cancel_job(db.session, context.registry, job_id, SYSTEM)
    runner.run_generation(db.session, context, job_id)
    row = job_row(context, job_id)
    assert row.status == "cancelled"
    assert row.attempts == 0
    assert image_count(job_id) == 0


def test_jobs_past_the_generation_timeout_fail_with_timeout(context, submit):
    running, requeued, fresh = submit(), submit(), submit()
    long_ago = utcnow() - timedelta(seconds=context.settings.generation_timeout_seconds + 60)
    assert runner.claim(context.engine, running, "dead-worker", 30)
    set_job(context, running, started_at=long_ago, lease_expires_at=utcnow() - timedelta(seconds=1))
    set_job(context, requeued, started_at=long_ago, attempts=1)
    assert runner.claim(context.engine, fresh, "busy-worker", 30)
    enqueue = Recorder()
    counts = reaper.reap(db.session, context, enqueue)
    assert counts["timed_out"] == 2
    assert counts["requeued"] == 0
    for job_id in (running, requeued):
        row = job_row(context, job_id)
        assert (row.status, row.error_code, row.lease_owner) == ("failed", "TIMEOUT", None)
        assert row.completed_at is not None
    assert job_row(context, fresh).status == "processing"
    assert enqueue.sent == []
    runner.run_generation(db.session, context, running)
    assert image_count(running) == 0


def test_a_resumed_job_keeps_its_original_deadline(context, submit):
    job_id = submit()
    long_ago = utcnow() - timedelta(seconds=context.settings.generation_timeout_seconds + 1)
    assert runner.claim(context.engine, job_id, "worker-a", 30)
    set_job(context, job_id, started_at=long_ago)
    control = runner.LeaseControl(
        context.engine, job_row(context, job_id), "worker-a", context.settings
    )
    assert control.deadline <= time.monotonic()


def test_pending_jobs_with_a_lost_message_are_resent(context, submit):
    stale, recent = submit(), submit()
    an_hour_ago = utcnow() - timedelta(hours=1)
    set_job(context, stale, updated_at=an_hour_ago)
    enqueue = Recorder()
    counts = reaper.reap(db.session, context, enqueue)
    assert counts == {"requeued": 0, "timed_out": 0, "resent": 1}
    assert enqueue.sent == [stale]
    assert job_row(context, stale).updated_at > an_hour_ago
    assert job_row(context, recent).status == "pending"
    assert reaper.reap(db.session, context, Recorder())["resent"] == 0
    runner.run_generation(db.session, context, stale)
    assert job_row(context, stale).status == "completed"


def test_an_edit_whose_source_was_deleted_fails_once_with_not_found(
    context, client, admin_headers, make_artwork
):
    upload = client.post(
        "/api/v1/images",
        data={"file": (io.BytesIO(make_artwork(96, 96)), "a.png")},
        headers=admin_headers,
        content_type="multipart/form-data",
    ).get_json()
    params = parse_edit({"image_id": upload["id"], "instruction": "add a border"}, context.settings)
    job_id = jobs.submit_edit(
        db.session, context.registry, lambda _: None, params, Requester(SYSTEM)
    ).id
    db.session.rollback()
    assert client.delete(f"/api/v1/images/{upload['id']}", headers=admin_headers).status_code == 204

    runner.run_generation(db.session, context, job_id)
    failed = job_row(context, job_id)
    assert (failed.status, failed.error_code, failed.attempts) == ("failed", "NOT_FOUND", 1)
    assert upload["id"] in failed.error_message
    runner.run_generation(db.session, context, job_id)  # a redelivered message changes nothing
    assert job_row(context, job_id).attempts == 1


@pytest.mark.parametrize(
    "error",
    [
        ValueError("the request's odd input broke our own code"),
        InputRejected("source too small"),
        GenerationFailed("the model refused the prompt"),
        GenerationTimeout("took too long"),
    ],
)
def test_failures_that_are_not_the_backends_fault_never_open_its_circuit(context, error):
    breaker = context.registry.slot("local").breaker

    def fail() -> None:
        raise error

    for _ in range(context.settings.circuit_fail_max + 2):
        with pytest.raises(type(error)), breaker.calling():
            fail()
    assert circuit_state(breaker) == "closed"


def test_a_backends_own_faults_still_open_its_circuit(context):
    breaker = context.registry.slot("local").breaker
    for _ in range(context.settings.circuit_fail_max):
        with pytest.raises(TransientBackendError), breaker.calling():
            raise TransientBackendError("connection refused")
    assert circuit_state(breaker) == "open"
