"""What every generation backend shares: stopping a job that was cancelled or ran out of time."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from gateway.app.generation.backends.base import (
    GenerationCancelled,
    GenerationTimeout,
    stop_if_asked,
)


@dataclass
class Control:
    stop: bool = False
    deadline: float = float("inf")
    external_id: str | None = None

    def should_stop(self) -> bool:
        return self.stop


def _stop(control: Control) -> list[str]:
    aborted: list[str] = []
    stop_if_asked(control, lambda: aborted.append("abort"), {"id": "x"}, "too slow")
    return aborted


def test_a_running_job_within_its_deadline_goes_on():
    assert _stop(Control()) == []


def test_a_cancelled_job_aborts_the_remote_work_and_raises_cancelled():
    with pytest.raises(GenerationCancelled) as raised:
        _stop(Control(stop=True, deadline=0.0))
    assert raised.value.details == {"id": "x"}


def test_a_job_past_its_deadline_aborts_and_raises_timeout_with_the_message():
    with pytest.raises(GenerationTimeout, match="too slow") as raised:
        _stop(Control(deadline=time.monotonic() - 1))
    assert raised.value.details == {"id": "x"}
