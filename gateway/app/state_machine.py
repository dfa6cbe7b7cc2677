"""A status column's legal moves, asked by the code that moves it.

Images, jobs, publications and webhook deliveries each declare their moves once, as a table held
by a machine, and the code that moves a status asks it (`can_move`, `sources`). The movers of jobs,
publications and deliveries build the SQL guard of a conditional update from it (`guard`), so a
move the table does not allow fails where it is written instead of quietly putting a row in a state
no reader expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement

S = TypeVar("S", bound=StrEnum)


class IllegalMove(ValueError):
    """A mover asked for a move its state machine does not have: a bug, not a request error."""


class StateMachine(Generic[S]):
    """The moves between the statuses of one enum; every status has an entry (final: empty)."""

    def __init__(self, transitions: Mapping[S, frozenset[S]]) -> None:
        self.transitions = dict(transitions)
        self._enum = type(next(iter(self.transitions)))
        missing = set(self._enum) - set(self.transitions)
        if missing:
            raise ValueError(f"no entry for {sorted(missing)}: a final status maps to frozenset()")

    def can_move(self, current: str, target: str) -> bool:
        """Whether the table has the move; ValueError for a string that is no status."""
        return self._enum(target) in self.transitions[self._enum(current)]

    def sources(self, target: str) -> frozenset[S]:
        """The statuses `target` may be reached from."""
        wanted = self._enum(target)
        return frozenset(
            current for current, targets in self.transitions.items() if wanted in targets
        )

    def final(self) -> frozenset[S]:
        """The statuses nothing moves on from."""
        return frozenset(status for status, targets in self.transitions.items() if not targets)

    def guard(self, column: Any, target: str | Set[str], *currents: str) -> ColumnElement[bool]:
        """The SQL condition of a move to `target` (or to any of a set, as a bind parameter
        decides) from `currents` (default: every status that may reach them all); IllegalMove
        when the table lacks such a move."""
        targets = {target} if isinstance(target, str) else set(target)
        froms = currents or tuple(set.intersection(*(set(self.sources(to)) for to in targets)))
        illegal = [now for now in froms if not all(self.can_move(now, to) for to in targets)]
        if illegal or not froms:
            raise IllegalMove(f"no move from {illegal or 'anywhere'} to {sorted(targets)}")
        if len(froms) == 1:
            return column == str(froms[0])
        return column.in_(sorted(str(current) for current in froms))
