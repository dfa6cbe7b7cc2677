"""API-key authentication on the read path without a database write per request.

Every authenticated call used to run `UPDATE api_keys SET request_count = ...` and commit: on SQLite
a write lock per read. Now a key's identity is cached for a few seconds (a revocation in this
process is honoured at once, in others within `ttl`), and its use is counted in memory and added
to `api_keys` by one statement per key every few seconds, and on a clean exit.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from gateway.app.accounts import service
from gateway.app.accounts.models import ApiKey
from gateway.app.database import isoformat, utcnow

log = logging.getLogger(__name__)
MAX_PRESENTED_LENGTH = 200


@dataclass(frozen=True)
class KeyIdentity:
    """What a request needs to know about its key: a plain value, safe to cache across sessions."""

    id: str
    name: str
    plan: str
    scopes: frozenset[str]


class UsageMeter:
    """Requests per key since the last flush, and when each key was last used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._last_used: dict[str, datetime] = {}

    def hit(self, key_id: str) -> None:
        with self._lock:
            self._counts[key_id] = self._counts.get(key_id, 0) + 1
            self._last_used[key_id] = utcnow()

    def pending(self, key_id: str) -> tuple[int, datetime | None]:
        with self._lock:
            return self._counts.get(key_id, 0), self._last_used.get(key_id)

    def flush(self, engine: Engine) -> int:
        """Add the counted use to `api_keys`; on failure the counts are kept for the next try."""
        with self._lock:
            counts, last_used = self._counts, self._last_used
            self._counts, self._last_used = {}, {}
        if not counts:
            return 0
        try:
            with engine.begin() as connection:
                for key_id, count in counts.items():
                    connection.execute(
                        update(ApiKey)
                        .where(ApiKey.id == key_id)
                        .values(
                            request_count=ApiKey.request_count + count,
                            last_used_at=last_used[key_id],
                        )
                    )
        except Exception:
            with self._lock:
                for key_id, count in counts.items():
                    self._counts[key_id] = self._counts.get(key_id, 0) + count
                    self._last_used.setdefault(key_id, last_used[key_id])
            raise
        return sum(counts.values())


class Keyring:
    """Authenticates presented keys through a short cache and meters their use."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        *,
        ttl_seconds: float,
        flush_seconds: float,
        max_entries: int = 10_000,
    ) -> None:
        self.meter = UsageMeter()
        self._engine = engine
        self._ttl = ttl_seconds
        self._flush_seconds = flush_seconds
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[KeyIdentity | None, float]] = {}
        self._revocations_seen = service.revocations()
        self._flusher: threading.Thread | None = None
        self._closed = threading.Event()

    def authenticate(self, session: Session, presented: str) -> KeyIdentity | None:
        """The active key's identity, or None for an unknown, revoked or malformed one."""
        if not presented or len(presented) > MAX_PRESENTED_LENGTH:
            return None
        digest = service.hash_key(presented)
        cached, identity = self._cached(digest)
        if not cached:
            record = service.find_active_key(session, digest)
            identity = (
                None
                if record is None
                else KeyIdentity(record.id, record.name, record.plan, frozenset(record.scopes))
            )
            self._remember(digest, identity)
        if identity is not None:
            self.meter.hit(identity.id)
            self._ensure_flusher()
        return identity

    def _cached(self, digest: str) -> tuple[bool, KeyIdentity | None]:
        """(True, identity) from the cache (identity None: known to be invalid); (False, None)
        when it must be looked up."""
        now = time.monotonic()
        with self._lock:
            if self._revocations_seen != service.revocations():
                self._revocations_seen = service.revocations()
                self._entries.clear()
            entry = self._entries.get(digest)
        if entry is None or entry[1] <= now:
            return False, None
        return True, entry[0]

    def _remember(self, digest: str, identity: KeyIdentity | None) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[digest] = (identity, time.monotonic() + self._ttl)

    def flush(self) -> int:
        return self.meter.flush(self._engine())

    def usage(self, session: Session, key_id: str) -> dict[str, object]:
        """What `/me` shows: the stored counts plus what this process has not flushed yet."""
        record = session.get(ApiKey, key_id)
        if record is None:
            return {}
        pending, last_used = self.meter.pending(key_id)
        return {
            "requests": record.request_count + pending,
            "last_used_at": isoformat(last_used or record.last_used_at),
            "created_at": isoformat(record.created_at),
        }

    def _ensure_flusher(self) -> None:
        """Start the flushing thread on first use (a CLI process that never authenticates has
        none), and flush once more when the process exits cleanly."""
        if self._flusher is not None:
            return
        with self._lock:
            if self._flusher is not None:
                return
            self._flusher = threading.Thread(target=self._flush_forever, daemon=True)
            self._flusher.start()
            atexit.register(self.close)

    def close(self) -> None:
        """Flush what is counted and stop flushing (at exit, or when the app is torn down)."""
        if self._closed.is_set():
            return
        self._closed.set()
        atexit.unregister(self.close)
        self._flush_quietly()

    def _flush_forever(self) -> None:
        while not self._closed.wait(self._flush_seconds):
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:
            log.exception("could not record API-key usage; kept for the next flush")
