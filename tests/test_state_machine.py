"""The state tables of images, jobs, publications and deliveries, and the guards their movers build."""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise

import pytest
from sqlalchemy import column

from gateway.app.generation.states import FINAL_JOB_STATUSES, JOB_STATES, JobStatus
from gateway.app.images.states import IMAGE_STATES, ImageStatus
from gateway.app.images.states import sources as image_sources
from gateway.app.publishing.states import (
    PUBLICATION_STATES,
    RETRYABLE,
    STEPS,
    UNPUBLISHABLE,
    PublicationStatus,
)
from gateway.app.state_machine import IllegalMove, StateMachine
from gateway.app.webhooks.models import DELIVERY_STATUSES
from gateway.app.webhooks.states import ATTEMPT_OUTCOMES, DELIVERY_STATES, DeliveryStatus


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    AMBER = "amber"
    OFF = "off"


LIGHTS = StateMachine(
    {
        Light.RED: frozenset({Light.GREEN, Light.OFF}),
        Light.GREEN: frozenset({Light.AMBER, Light.OFF}),
        Light.AMBER: frozenset({Light.RED, Light.OFF}),
        Light.OFF: frozenset(),
    }
)
STATUS = column("status")


def test_can_move_follows_the_table_and_reads_plain_strings() -> None:
    assert LIGHTS.can_move("red", "green")
    assert not LIGHTS.can_move("red", "amber")
    assert not LIGHTS.can_move("off", "red")


def test_sources_are_the_statuses_a_target_is_reached_from() -> None:
    assert LIGHTS.sources("off") == {Light.RED, Light.GREEN, Light.AMBER}
    assert LIGHTS.sources("red") == {Light.AMBER}


def test_final_statuses_are_those_with_no_move_out() -> None:
    assert LIGHTS.final() == {Light.OFF}


def test_a_guard_from_one_status_compares_it() -> None:
    guard = LIGHTS.guard(STATUS, Light.GREEN, Light.RED)
    assert str(guard.compile(compile_kwargs={"literal_binds": True})) == "status = 'red'"


def test_a_guard_without_sources_names_every_legal_one_in_a_stable_order() -> None:
    guard = LIGHTS.guard(STATUS, Light.OFF)
    compiled = str(guard.compile(compile_kwargs={"literal_binds": True}))
    assert compiled == "status IN ('amber', 'green', 'red')"


def test_a_guard_for_a_move_the_table_lacks_is_refused() -> None:
    with pytest.raises(IllegalMove):
        LIGHTS.guard(STATUS, Light.AMBER, Light.RED)
    with pytest.raises(IllegalMove):
        LIGHTS.guard(STATUS, Light.RED, Light.OFF)


def test_a_table_without_an_entry_for_every_status_is_refused() -> None:
    with pytest.raises(ValueError, match="off"):
        StateMachine({Light.RED: frozenset({Light.GREEN}), Light.GREEN: frozenset()})


def test_images_move_by_their_table_and_only_admins_reset() -> None:
    assert IMAGE_STATES.can_move("pending", "approved")
    assert not IMAGE_STATES.can_move("published", "pending")
    assert image_sources("pending", is_admin=True) == {"generating", "approved", "rejected"}
    assert image_sources("pending", is_admin=False) == {ImageStatus.GENERATING}


def test_jobs_finish_completed_failed_or_cancelled_and_never_move_again() -> None:
    assert {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED} == FINAL_JOB_STATUSES
    assert JOB_STATES.can_move("processing", "pending")  # the reaper's requeue
    assert not JOB_STATES.can_move("completed", "processing")


def test_deliveries_are_claimed_from_pending_and_finish_from_delivering() -> None:
    assert DELIVERY_STATES.sources("delivering") == {DeliveryStatus.PENDING}
    assert DELIVERY_STATES.sources("succeeded") == {DeliveryStatus.DELIVERING}
    assert DELIVERY_STATES.final() == {"succeeded", "failed", "cancelled"}


def test_an_attempts_outcome_is_recorded_only_on_a_delivery_in_flight() -> None:
    guard = DELIVERY_STATES.guard(STATUS, ATTEMPT_OUTCOMES)
    assert str(guard.compile(compile_kwargs={"literal_binds": True})) == "status = 'delivering'"


def test_delivery_statuses_keep_the_strings_the_api_and_database_know() -> None:
    assert DELIVERY_STATUSES == ("pending", "delivering", "succeeded", "failed", "cancelled")


def test_publications_retry_only_when_failed_and_go_down_only_when_published() -> None:
    assert {PublicationStatus.FAILED} == RETRYABLE
    assert {PublicationStatus.PUBLISHED} == UNPUBLISHABLE


def test_publications_move_forward_through_their_steps_and_may_fail_from_any() -> None:
    for step, following in pairwise(STEPS[1:]):
        assert PUBLICATION_STATES.can_move(step, following)
        assert not PUBLICATION_STATES.can_move(following, step)
    assert PUBLICATION_STATES.sources("failed") == set(STEPS)
    assert PUBLICATION_STATES.final() == {"dry_run", "unpublished"}
