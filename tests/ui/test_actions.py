"""ui.actions: the CSRF check of a button's form, and a service refusal flashed, not raised."""

from __future__ import annotations

import pytest
from flask import Flask, get_flashed_messages
from flask_wtf import FlaskForm

from gateway.app.errors import Conflict, Forbidden
from gateway.app.ui.actions import attempt, require_token


def test_a_form_posted_without_its_token_is_forbidden(app: Flask) -> None:
    with (
        app.test_request_context("/", method="POST", data={}),
        pytest.raises(Forbidden, match="CSRF check failed"),
    ):
        require_token(FlaskForm())


def test_an_answer_passes_through_and_nothing_is_flashed(app: Flask) -> None:
    with app.test_request_context("/"):
        assert attempt(lambda: 7, "Refused") == 7
        assert get_flashed_messages(with_categories=True) == []


def test_a_refusal_is_flashed_with_its_prefix_and_answers_none(app: Flask) -> None:
    def refuse() -> int:
        raise Conflict("already done")

    with app.test_request_context("/"):
        assert attempt(refuse, "Retry refused") is None
        assert get_flashed_messages(with_categories=True) == [
            ("error", "Retry refused: already done")
        ]


def test_what_is_not_a_refusal_is_raised(app: Flask) -> None:
    def broken() -> int:
        raise KeyError("bug")

    with app.test_request_context("/"), pytest.raises(KeyError):
        attempt(broken, "Refused")
