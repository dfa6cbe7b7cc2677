"""Operators and API keys: creation, verification, revocation. No HTTP here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.app import validation as v
from gateway.app.accounts.models import PLANS, ROLES, SCOPES, ApiKey, Operator
from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.database import utcnow
from gateway.app.errors import Conflict, NotFound, ValidationFailed

KEY_PREFIX = "pod"
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "reviewer": frozenset({"read", "generate", "review", "publish"}),
    "viewer": frozenset({"read"}),
}
DEFAULT_KEY_SCOPES = ("read", "generate", "review")
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def hash_key(key: str) -> str:
    """SHA-256 of an API key: keys carry 192 random bits, so a fast hash is safe at rest."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    record: ApiKey
    secret: str


def create_key(
    session: Session,
    name: str,
    *,
    plan: str = "free",
    scopes: Iterable[str] = DEFAULT_KEY_SCOPES,
    actor: Actor,
) -> NewKey:
    """A new key, returned in full this once; only its hash and prefix are stored."""
    name = v.clean_text(name, "name", max_length=100, required=True)
    plan = v.choice(plan, "plan", PLANS)
    scope_list = sorted(set(scopes))
    for scope in scope_list:
        v.choice(scope, "scopes", SCOPES)
    if not scope_list:
        raise ValidationFailed("a key needs at least one scope", {"scopes": "is required"})
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    record = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=hash_key(secret),
        plan=plan,
        scopes=scope_list,
        created_by=actor.name,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="api_key",
        entity_id=record.id,
        action="created",
        details={"name": name, "plan": plan, "scopes": scope_list, "prefix": prefix},
    )
    session.commit()
    return NewKey(record, secret)


def find_active_key(session: Session, digest: str) -> ApiKey | None:
    """The active key whose hash is `digest` (see `keyring` for the cached, metered path)."""
    record = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if record is None or not hmac.compare_digest(record.key_hash, digest) or not record.active:
        return None
    return record


_revoked_here = 0


def revocations() -> int:
    """How many keys this process has revoked: key caches start afresh when it changes."""
    return _revoked_here


def _note_revocation() -> None:
    global _revoked_here
    _revoked_here += 1


def find_key(session: Session, prefix: str) -> ApiKey:
    record = (
        session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if v.looks_like_id(prefix)
        else None
    )
    if record is None:
        raise NotFound(f"no API key with prefix {prefix}")
    return record


def revoke_key(session: Session, prefix: str, actor: Actor) -> ApiKey:
    record = find_key(session, prefix)
    if record.revoked_at is not None:
        raise Conflict(f"API key {prefix} is already revoked")
    record.revoked_at = utcnow()
    audit.record(session, actor, entity_type="api_key", entity_id=record.id, action="revoked")
    session.commit()
    _note_revocation()
    return record


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())))


def create_operator(
    session: Session, username: str, password: str, *, role: str, actor: Actor
) -> Operator:
    username = v.clean_text(username, "username", max_length=64, required=True)
    role = v.choice(role, "role", ROLES)
    if len(password) < 10:
        raise ValidationFailed("password too short", {"password": "must be at least 10 characters"})
    if session.scalar(select(Operator).where(Operator.username == username)):
        raise Conflict(f"operator {username} already exists")
    operator = Operator(username=username, password_hash=_hasher.hash(password), role=role)
    session.add(operator)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="operator",
        entity_id=operator.id,
        action="created",
        details={"username": username, "role": role},
    )
    session.commit()
    return operator


def verify_operator(session: Session, username: str, password: str) -> Operator | None:
    operator = session.scalar(select(Operator).where(Operator.username == username))
    if operator is None or not operator.active:
        _hasher.hash(password)  # same cost either way: no user enumeration by timing
        return None
    try:
        _hasher.verify(operator.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = _hasher.hash(password)
    operator.last_login_at = utcnow()
    session.commit()
    return operator


def has_operators(session: Session) -> bool:
    return session.scalar(select(Operator.id).limit(1)) is not None


def ensure_admin(session: Session, password: str | None) -> str | None:
    """Create `admin` when no operator exists; returns the password when it was generated here."""
    if has_operators(session):
        return None
    generated = password is None
    password = password or secrets.token_urlsafe(15)
    create_operator(session, "admin", password, role="admin", actor=audit.SYSTEM)
    return password if generated else None
