"""API keys and operators: hashed at rest, revocable, counted; argon2id passwords; first admin."""

from __future__ import annotations

import hashlib

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import func, select, text

from gateway.app.accounts import service as accounts
from gateway.app.accounts.models import ApiKey, Operator
from gateway.app.audit.service import SYSTEM
from gateway.app.errors import Conflict, ValidationFailed
from gateway.app.extensions import db

PRODUCTION_HASHER = accounts._hasher


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """argon2id with tiny costs, so hashing is fast here; the real parameters are checked below."""
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def test_a_key_is_stored_only_as_its_hash(session):
    new = accounts.create_key(session, "zapier", plan="pro", scopes=["read"], actor=SYSTEM)
    secret = new.secret
    prefix = new.record.prefix
    assert secret.startswith(f"pod_{prefix}_")
    assert len(secret) >= 40
    record = session.scalars(select(ApiKey)).one()
    assert record.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert record.key_hash != secret
    for row in session.execute(text("SELECT * FROM api_keys")):
        assert all(secret not in str(value) for value in row)
    for row in session.execute(text("SELECT * FROM audit_log")):
        assert all(secret not in str(value) for value in row)


def test_keys_are_unique(session):
    secrets = {
        accounts.create_key(session, f"k{i}", scopes=["read"], actor=SYSTEM).secret
        for i in range(5)
    }
    assert len(secrets) == 5


@pytest.mark.parametrize(
    ("name", "plan", "scopes", "field"),
    [
        ("", "free", ["read"], "name"),
        ("<b>x</b>", "free", ["read"], "name"),
        ("ok", "gold", ["read"], "plan"),
        ("ok", "free", ["root"], "scopes"),
        ("ok", "free", [], "scopes"),
    ],
)
def test_invalid_keys_are_refused(session, name, plan, scopes, field):
    with pytest.raises(ValidationFailed) as raised:
        accounts.create_key(session, name, plan=plan, scopes=scopes, actor=SYSTEM)
    assert field in raised.value.field_errors
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_the_password_hasher_is_argon2id_with_sound_costs():
    hasher = PRODUCTION_HASHER
    assert hasher.type is Type.ID
    assert hasher.memory_cost >= 19 * 1024 and hasher.time_cost >= 2


def test_operator_passwords_are_argon2id(session):
    operator = accounts.create_operator(
        session, "rita", "correct horse battery", role="reviewer", actor=SYSTEM
    )
    assert operator.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in operator.password_hash
    assert accounts.verify_operator(session, "rita", "correct horse battery").id == operator.id
    assert session.get(Operator, operator.id).last_login_at is not None
    assert accounts.verify_operator(session, "rita", "wrong horse battery") is None
    assert accounts.verify_operator(session, "nobody", "correct horse battery") is None


def test_invalid_operators_are_refused(session):
    with pytest.raises(ValidationFailed):
        accounts.create_operator(session, "rita", "short", role="reviewer", actor=SYSTEM)
    with pytest.raises(ValidationFailed):
        accounts.create_operator(session, "rita", "long enough pw", role="king", actor=SYSTEM)
    accounts.create_operator(session, "rita", "long enough pw", role="viewer", actor=SYSTEM)
    with pytest.raises(Conflict):
        accounts.create_operator(session, "rita", "another one pw", role="viewer", actor=SYSTEM)


def test_ensure_admin_generates_a_password_once(session):
    password = accounts.ensure_admin(session, None)
    assert password and len(password) >= 16
    admin = accounts.verify_operator(session, "admin", password)
    assert admin is not None and admin.role == "admin"
    assert accounts.ensure_admin(session, None) is None
    assert accounts.ensure_admin(session, "a-given-password") is None
    assert session.scalar(select(func.count()).select_from(Operator)) == 1


def test_ensure_admin_with_a_given_password_returns_nothing_to_print(session):
    assert accounts.ensure_admin(session, "the-given-password") is None
    assert accounts.verify_operator(session, "admin", "the-given-password") is not None


def test_ensure_admin_leaves_existing_operators_alone(session):
    accounts.create_operator(session, "rita", "long enough pw", role="reviewer", actor=SYSTEM)
    assert accounts.ensure_admin(session, None) is None
    assert session.scalars(select(Operator.username)).all() == ["rita"]
