"""The job state machine, in one place: the runner, the reaper and cancel move jobs by it."""

from __future__ import annotations

from enum import StrEnum

from gateway.app.state_machine import StateMachine


class JobStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.PROCESSING, JobStatus.CANCELLED, JobStatus.FAILED}),
    # processing -> pending is the reaper requeueing a job whose worker died.
    JobStatus.PROCESSING: frozenset(
        {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.PENDING}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}
JOB_STATES = StateMachine(JOB_TRANSITIONS)
FINAL_JOB_STATUSES = JOB_STATES.final()
