"""The keyring: cached key lookups, revocation honoured, usage counted without a write per request."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from gateway.app.accounts import service as accounts
from gateway.app.accounts.keyring import Keyring, UsageMeter
from gateway.app.accounts.models import ApiKey
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def keyring(app, session):
    ring = Keyring(lambda: db.engine, ttl_seconds=60, flush_seconds=3600)
    yield ring
    session.rollback()
    ring.close()


def statements_during(action) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        verb = statement.split()[0].upper()
        if verb not in {"BEGIN", "COMMIT", "ROLLBACK"}:
            seen.append(verb)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_authenticating_a_key_writes_nothing_and_is_cached(session, keyring):
    new = accounts.create_key(session, "n8n", actor=SYSTEM)
    first = statements_during(lambda: keyring.authenticate(session, new.secret))
    assert first == ["SELECT"]
    again = statements_during(lambda: keyring.authenticate(session, new.secret))
    assert again == []
    identity = keyring.authenticate(session, new.secret)
    assert (identity.name, identity.plan) == ("n8n", "free")


def test_usage_is_counted_in_memory_and_flushed_in_one_statement(session, keyring):
    new = accounts.create_key(session, "zapier", actor=SYSTEM)
    for _ in range(3):
        keyring.authenticate(session, new.secret)
    assert keyring.usage(session, new.record.id)["requests"] == 3
    session.expire_all()
    assert session.get(ApiKey, new.record.id).request_count == 0
    session.rollback()  # the flusher writes on a connection of its own
    assert statements_during(keyring.flush) == ["UPDATE"]
    session.expire_all()
    stored = session.get(ApiKey, new.record.id)
    assert stored.request_count == 3
    assert stored.last_used_at is not None
    assert keyring.usage(session, new.record.id)["requests"] == 3
    session.rollback()
    assert keyring.flush() == 0


def test_a_failed_flush_keeps_the_counts_for_the_next(session):
    key_id = accounts.create_key(session, "retry", actor=SYSTEM).record.id
    session.rollback()  # the flush below writes on a connection of its own
    meter = UsageMeter()
    meter.hit(key_id)
    with pytest.raises(AttributeError):
        meter.flush(None)  # type: ignore[arg-type]
    assert meter.pending(key_id)[0] == 1
    meter.hit(key_id)
    assert meter.flush(db.engine) == 2
    assert session.get(ApiKey, key_id).request_count == 2


def test_a_key_revoked_in_this_process_is_refused_at_once(session, keyring):
    new = accounts.create_key(session, "old", actor=SYSTEM)
    assert keyring.authenticate(session, new.secret) is not None
    accounts.revoke_key(session, new.record.prefix, SYSTEM)
    assert keyring.authenticate(session, new.secret) is None


def test_a_key_revoked_elsewhere_is_refused_once_the_cache_expires(session, app):
    new = accounts.create_key(session, "elsewhere", actor=SYSTEM)
    uncached = Keyring(lambda: db.engine, ttl_seconds=0, flush_seconds=3600)
    assert uncached.authenticate(session, new.secret) is not None
    session.get(ApiKey, new.record.id).revoked_at = accounts.utcnow()
    session.commit()
    assert uncached.authenticate(session, new.secret) is None
    session.rollback()
    uncached.close()


@pytest.mark.parametrize("presented", ["", "pod_00000000_nope", "x" * 201])
def test_unknown_and_malformed_keys_do_not_authenticate(session, keyring, presented):
    accounts.create_key(session, "real", actor=SYSTEM)
    assert keyring.authenticate(session, presented) is None
