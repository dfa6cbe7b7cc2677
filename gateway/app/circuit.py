"""Circuit breakers for outbound services (pybreaker), with their state in the database.

The API process refuses work for a service whose circuit is open while the worker processes are
the ones that see the failures, so the state must be shared: a small table does that on SQLite and
PostgreSQL alike, with one short statement per breaker event. Generation backends and Printify
both use it, so it lives below the features: each caller says which of its errors are not faults.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pybreaker
from sqlalchemy import Engine, Integer, String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from gateway.app.database import UTCDateTime
from gateway.app.extensions import db


class CircuitBreakerRow(db.Model):
    """A service's circuit-breaker state, shared by every process through the database."""

    __tablename__ = "circuit_breakers"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="closed")
    fail_counter: Mapped[int] = mapped_column(Integer, default=0)
    success_counter: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


TABLE = CircuitBreakerRow.__table__
STATE_NAMES = {"closed": 0, "half-open": 1, "open": 2}


class DatabaseBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker storage backed by one row of `circuit_breakers`."""

    def __init__(self, engine: Engine, name: str) -> None:
        super().__init__(name)
        self._engine = engine
        self._key = name

    def _row(self) -> CircuitBreakerRow:
        """The stored row, or a closed breaker's defaults before the first event."""
        with self._engine.connect() as connection:
            row = connection.execute(select(TABLE).where(TABLE.c.name == self._key)).first()
        return row or CircuitBreakerRow(state="closed", fail_counter=0, success_counter=0)

    def _update(self, **values: object) -> None:
        with self._engine.begin() as connection:
            result = connection.execute(
                update(TABLE).where(TABLE.c.name == self._key).values(**values)
            )
            if result.rowcount:
                return
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(TABLE).values(name=self._key, state="closed"))
        except IntegrityError:
            pass
        with self._engine.begin() as connection:
            connection.execute(update(TABLE).where(TABLE.c.name == self._key).values(**values))

    @property
    def state(self) -> str:
        return self._row().state

    @state.setter
    def state(self, state: str) -> None:
        self._update(state=state)

    def increment_counter(self) -> None:
        self._update(fail_counter=TABLE.c.fail_counter + 1)

    def reset_counter(self) -> None:
        """Zero the failure count; a read, not a write, when it is zero already (after every
        successful call, nearly always), so a healthy backend costs no write lock per job."""
        if self._row().fail_counter:
            self._update(fail_counter=0)

    def increment_success_counter(self) -> None:
        self._update(success_counter=TABLE.c.success_counter + 1)

    def reset_success_counter(self) -> None:
        self._update(success_counter=0)

    @property
    def counter(self) -> int:
        return self._row().fail_counter

    @property
    def success_counter(self) -> int:
        return self._row().success_counter

    @property
    def opened_at(self) -> datetime | None:
        value = self._row().opened_at
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    @opened_at.setter
    def opened_at(self, value: datetime) -> None:
        self._update(opened_at=value)


def build_breaker(
    engine: Engine,
    name: str,
    *,
    fail_max: int,
    reset_seconds: float,
    exclude: tuple[type[BaseException] | Callable[[BaseException], bool], ...],
) -> pybreaker.CircuitBreaker:
    """A breaker whose state every process shares; `exclude` lists errors that are not faults."""
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_seconds,
        exclude=list(exclude),
        state_storage=DatabaseBreakerStorage(engine, name),
        name=name,
        # The call that trips the circuit did reach the backend: its job keeps the real error.
        throw_new_error_on_trip=False,
    )


def circuit_state(breaker: pybreaker.CircuitBreaker) -> str:
    """`closed`, `open` or `half_open` (the API's spelling), counting an elapsed open as half-open."""
    storage = breaker._state_storage
    state = storage.state
    if state == "open":
        opened_at = storage.opened_at
        if opened_at and datetime.now(UTC) >= opened_at + timedelta(seconds=breaker.reset_timeout):
            return "half_open"
    return state.replace("-", "_")


def retry_after_seconds(breaker: pybreaker.CircuitBreaker) -> int:
    """Whole seconds until an open circuit lets a trial call through (at least 1)."""
    opened_at = breaker._state_storage.opened_at
    if not opened_at:
        return 1
    remaining = opened_at + timedelta(seconds=breaker.reset_timeout) - datetime.now(UTC)
    return max(1, int(remaining.total_seconds() + 0.999))
