"""The delivery state machine, in one place: claiming, recording and disabling move by it."""

from __future__ import annotations

from enum import StrEnum

from gateway.app.state_machine import StateMachine


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


DELIVERY_TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    # pending -> cancelled is a disabled subscription's queue being dropped.
    DeliveryStatus.PENDING: frozenset({DeliveryStatus.DELIVERING, DeliveryStatus.CANCELLED}),
    # delivering -> pending: a retry to come, a run cut short, or a dead worker's lease reaped.
    DeliveryStatus.DELIVERING: frozenset(
        {DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED}
    ),
    DeliveryStatus.SUCCEEDED: frozenset(),
    DeliveryStatus.FAILED: frozenset(),
    DeliveryStatus.CANCELLED: frozenset(),
}
DELIVERY_STATES = StateMachine(DELIVERY_TRANSITIONS)
# What one attempt's outcome moves its delivery to (outcomes.py decides which per row).
ATTEMPT_OUTCOMES = frozenset(
    {DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED}
)
