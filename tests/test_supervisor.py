"""The process supervisor behind `make run`'s embedded worker: restarts with backoff, stops cleanly."""

from __future__ import annotations

import os
import signal
import sys

from gateway.supervisor import ProcessSupervisor
from tests.e2e.harness import wait_for

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_a_killed_child_is_started_again():
    supervisor = ProcessSupervisor(SLEEPER, min_backoff=0.1, poll_interval=0.05).start()
    try:
        first = supervisor.process
        os.kill(first.pid, signal.SIGKILL)
        wait_for(lambda: supervisor.process is not first, timeout=10, what="a restart")
        assert supervisor.restarts == 1
        assert supervisor.process.poll() is None
    finally:
        supervisor.stop(timeout=5)
    assert supervisor.process.poll() is not None


def test_a_child_that_keeps_dying_is_restarted_with_growing_backoff():
    dying = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = ProcessSupervisor(
        dying, min_backoff=0.05, max_backoff=0.4, poll_interval=0.02, healthy_after=60
    ).start()
    try:
        wait_for(lambda: supervisor.restarts >= 4, timeout=20, what="four restarts")
    finally:
        supervisor.stop(timeout=5)
    restarts = supervisor.restarts
    assert 4 <= restarts < 40  # backoff keeps it from spinning


def test_stop_ends_the_child_and_supervision():
    supervisor = ProcessSupervisor(SLEEPER, poll_interval=0.05).start()
    child = supervisor.process
    supervisor.stop(timeout=5)
    assert child.poll() == -signal.SIGTERM
    assert supervisor.process is child
