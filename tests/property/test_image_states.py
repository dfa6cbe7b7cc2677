"""The image state machine under random sequences of review, reset and batch calls.

Through the API, against a model of each image's status: a move the machine allows happens, any
other is a 409 INVALID_TRANSITION that changes nothing, and every image's audited history is an
unbroken chain of allowed moves ending at its current status.
"""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from gateway.app.images.states import ImageStatus, can_move
from tests.conftest import artwork
from tests.property.conftest import PROPERTY

MAX_IMAGES = 4


class ImageLifecycle(RuleBasedStateMachine):
    """Random review traffic on a few uploads; `status` is what the model expects."""

    app: Flask
    headers: dict[str, str]
    images = Bundle("images")

    def __init__(self) -> None:
        super().__init__()
        self.client: FlaskClient = self.app.test_client()
        self.status: dict[str, str] = {}

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(f"/api/v1{path}", headers=self.headers, json=body)
        assert response.status_code < 500, response.get_json()
        return response

    def _expect_move(self, image_id: str, target: ImageStatus, response: Any) -> None:
        if can_move(self.status[image_id], target):
            assert response.status_code == 200, response.get_json()
            self.status[image_id] = str(target)
        else:
            assert response.status_code == 409, response.get_json()
            assert response.get_json()["code"] == "INVALID_TRANSITION"

    @rule(target=images, seed=st.integers(1, 10_000))
    def upload(self, seed: int) -> str:
        if len(self.status) >= MAX_IMAGES:
            return next(iter(self.status))
        response = self.client.post(
            "/api/v1/images",
            headers=self.headers,
            data={"file": (io.BytesIO(artwork(320, 384, seed=seed)), "design.png")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()
        image_id = response.get_json()["id"]
        self.status[image_id] = response.get_json()["status"]
        return image_id

    @rule(image_id=images)
    def approve(self, image_id: str) -> None:
        response = self._post(f"/images/{image_id}/approve", {})
        self._expect_move(image_id, ImageStatus.APPROVED, response)

    @rule(image_id=images)
    def reject(self, image_id: str) -> None:
        response = self._post(f"/images/{image_id}/reject", {"reason": "other"})
        self._expect_move(image_id, ImageStatus.REJECTED, response)

    @rule(image_id=images)
    def reset(self, image_id: str) -> None:
        response = self._post(f"/images/{image_id}/reset", {})
        self._expect_move(image_id, ImageStatus.PENDING, response)

    @rule(chosen=st.lists(images, min_size=1, max_size=MAX_IMAGES), approve=st.booleans())
    def batch(self, chosen: list[str], approve: bool) -> None:
        target = ImageStatus.APPROVED if approve else ImageStatus.REJECTED
        body: dict[str, Any] = {"image_ids": chosen}
        if not approve:
            body["reason"] = "other"
        response = self._post(f"/batch/{'approve' if approve else 'reject'}", body)
        assert response.status_code == 200, response.get_json()
        outcome = response.get_json()
        unique = list(dict.fromkeys(chosen))
        assert outcome["counts"]["total"] == len(unique)
        for image_id in unique:
            if can_move(self.status[image_id], target):
                assert image_id in outcome["successful"], outcome
                self.status[image_id] = str(target)
            else:
                assert image_id not in outcome["successful"], outcome

    @invariant()
    def statuses_and_histories_agree_with_the_machine(self) -> None:
        for image_id, expected in self.status.items():
            body = self.client.get(f"/api/v1/images/{image_id}", headers=self.headers).get_json()
            assert body["status"] == expected
            assert body["status"] in set(ImageStatus)
            moves = [e for e in body["history"] if e["to_status"] and e["from_status"]]
            for entry in moves:
                assert can_move(entry["from_status"], entry["to_status"]), entry
            for earlier, later in itertools.pairwise(moves):
                assert later["from_status"] == earlier["to_status"], (earlier, later)
            if moves:
                assert moves[-1]["to_status"] == expected


@pytest.fixture
def lifecycle(prop_app: Flask, api_headers: dict[str, str]) -> type[ImageLifecycle]:
    ImageLifecycle.app = prop_app
    ImageLifecycle.headers = api_headers
    return ImageLifecycle


def test_random_review_traffic_keeps_the_image_state_machine(
    lifecycle: type[ImageLifecycle],
) -> None:
    lifecycle.TestCase.settings = settings(PROPERTY, max_examples=25, stateful_step_count=15)
    lifecycle.TestCase().runTest()
