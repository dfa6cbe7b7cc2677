"""One Retry-After rule for every retry loop: the header's parser and the tenacity wait."""

from __future__ import annotations

import email.utils
import time

import pytest
from tenacity import Future as AttemptFuture
from tenacity import RetryCallState, Retrying

from gateway.app.clients.http import TransientHTTPError, parse_retry_after, wait_retry_after


class Slow(Exception):
    """A transient fault that may say when to come back."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("slow")
        self.retry_after = retry_after


def failed_with(error: BaseException) -> RetryCallState:
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.outcome = AttemptFuture.construct(1, error, True)
    return state


def backoff(_state: RetryCallState) -> float:
    return 7.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("3", 3.0), (" 2.5 ", 2.5), ("-4", 0.0), ("soon", None)],
)
def test_parse_retry_after_reads_delta_seconds_and_refuses_nonsense(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header) == seconds


def test_parse_retry_after_reads_an_http_date_as_seconds_from_now() -> None:
    header = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after(header) or 0) <= 30


def test_parse_retry_after_caps_the_wait() -> None:
    assert parse_retry_after("3600", cap=60) == 60


def test_wait_uses_the_errors_retry_after_when_it_says_one() -> None:
    assert wait_retry_after(backoff, Slow)(failed_with(Slow(2.0))) == 2.0


def test_wait_caps_the_errors_retry_after() -> None:
    assert wait_retry_after(backoff, Slow, cap=1.5)(failed_with(Slow(30.0))) == 1.5


def test_wait_backs_off_when_the_error_says_nothing() -> None:
    assert wait_retry_after(backoff, Slow)(failed_with(Slow(None))) == 7.0


def test_wait_backs_off_for_errors_of_other_types() -> None:
    error = TransientHTTPError(503, retry_after=2.0)
    assert wait_retry_after(backoff, Slow)(failed_with(error)) == 7.0
