"""Lease heartbeats keep a live worker's lease from expiring and notice when it is taken away."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import Engine, and_, insert, select, update

from gateway.app import leases
from gateway.app.database import utcnow
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.runner import claim
from gateway.app.leases import LeaseHeartbeat

JOBS = GenerationJob.__table__
LEASE = 0.6


def processing_job(engine: Engine, owner: str) -> str:
    with engine.begin() as connection:
        connection.execute(
            insert(JOBS).values(
                id="job_lease",
                status="processing",
                backend="local",
                params={},
                lease_owner=owner,
                lease_expires_at=utcnow() + timedelta(seconds=LEASE),
            )
        )
    return "job_lease"


def lease_row(engine: Engine, job_id: str) -> tuple[str | None, object]:
    with engine.connect() as connection:
        row = connection.execute(
            select(JOBS.c.lease_owner, JOBS.c.lease_expires_at).where(JOBS.c.id == job_id)
        ).one()
    return row.lease_owner, row.lease_expires_at


def test_work_longer_than_the_lease_keeps_it_and_lets_it_lapse_after(app: Flask) -> None:
    engine = app.extensions["generation"].engine
    job_id = processing_job(engine, "worker-a")
    with LeaseHeartbeat(engine, JOBS, job_id, "worker-a", LEASE) as heartbeat:
        time.sleep(LEASE * 3)  # a call three leases long
        owner, expires = lease_row(engine, job_id)
        assert owner == "worker-a" and expires > utcnow()
        with engine.begin() as connection:  # the reaper's view: nothing expired to requeue
            expired = connection.execute(
                select(JOBS.c.id).where(JOBS.c.lease_expires_at < utcnow())
            ).all()
        assert expired == []
        assert not heartbeat.lost.is_set()
    time.sleep(LEASE * 1.5)
    assert lease_row(engine, job_id)[1] < utcnow()


def test_a_lease_taken_over_is_reported_lost_and_left_to_its_new_owner(app: Flask) -> None:
    engine = app.extensions["generation"].engine
    job_id = processing_job(engine, "worker-a")
    with engine.begin() as connection:  # worker-a stalled; its lease expired and was requeued
        connection.execute(
            update(JOBS)
            .where(JOBS.c.id == job_id)
            .values(status="pending", lease_owner=None, lease_expires_at=None)
        )
    assert claim(engine, job_id, "worker-b", 30)
    with LeaseHeartbeat(
        engine, JOBS, job_id, "worker-a", LEASE, condition=JOBS.c.status == "processing"
    ) as heartbeat:
        assert heartbeat.lost.wait(LEASE * 3)
    owner, expires = lease_row(engine, job_id)
    assert owner == "worker-b" and expires > utcnow() + timedelta(seconds=20)


def test_claim_gives_a_free_row_to_exactly_one_of_two_workers(app: Flask) -> None:
    engine = app.extensions["generation"].engine
    job_id = processing_job(engine, "worker-a")
    free = and_(JOBS.c.id == job_id, JOBS.c.lease_owner.is_(None))
    with engine.begin() as connection:
        connection.execute(update(JOBS).where(JOBS.c.id == job_id).values(**leases.RELEASED))
    now = utcnow()
    with engine.begin() as connection:
        first = leases.claim(connection, JOBS, free, "worker-b", 30, now, progress=0.5)
    with engine.begin() as connection:
        second = leases.claim(connection, JOBS, free, "worker-c", 30, now)
    assert (first, second) == (1, 0)
    owner, expires = lease_row(engine, job_id)
    assert owner == "worker-b" and expires == leases.expiry(30, now)


def test_claim_takes_nothing_that_is_not_claimable(app: Flask) -> None:
    engine = app.extensions["generation"].engine
    job_id = processing_job(engine, "worker-a")
    held = and_(JOBS.c.id == job_id, JOBS.c.lease_owner.is_(None))
    with engine.begin() as connection:
        assert leases.claim(connection, JOBS, held, "worker-b", 30, utcnow()) == 0
    assert lease_row(engine, job_id)[0] == "worker-a"
