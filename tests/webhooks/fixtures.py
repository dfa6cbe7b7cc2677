"""Fixtures for webhook tests: a local receiver, and the shared app allowed to reach it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from gateway.app.webhooks.context import WebhookContext
from tests.webhooks.local_receiver import LocalReceiver

FAST_SCHEDULE = (0.2, 0.4)


@pytest.fixture
def receiver() -> Iterator[LocalReceiver]:
    server = LocalReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def webhooks(app: Flask, monkeypatch: pytest.MonkeyPatch) -> WebhookContext:
    """The app's webhook context with 127.0.0.0/8 allowed and a compressed retry schedule
    (what WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8 and WEBHOOK_RETRY_SCHEDULE=0.2,0.4 give)."""
    context = dataclasses.replace(
        app.extensions["webhooks"],
        networks=("127.0.0.0/8",),
        retry_schedule=FAST_SCHEDULE,
        timeout_seconds=2.0,
    )
    monkeypatch.setitem(app.extensions, "webhooks", context)
    return context
