"""Fixtures of the property suites: one SQLite app per module, keys, an operator's session.

Hypothesis runs many examples per test, so these suites share an app per module (SQLite only, for
speed) instead of the per-test, per-database `app` fixture; each example cleans up what it made.
The budget is one profile, `PROPERTY`: a fixed number of examples, no deadline, derandomized so a
failure reproduces on every run.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from tests.conftest import ALL_SCOPES, artwork, make_settings
from tests.support import running_app

settings.register_profile(
    "pod-property",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROPERTY = settings.get_profile("pod-property")
OPERATOR_PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def prop_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The app on SQLite, built once per module, with cheap password hashing.

    A module that sets `QUEUE_IMMEDIATE = False` only queues jobs: fuzzing what a request
    accepts should not render every valid generation it stumbles on.
    """
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    settings = make_settings(
        Path(tmp_path_factory.mktemp("property")),
        MAX_IMAGE_DIMENSION=1024,
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    queue_immediate = getattr(request.module, "QUEUE_IMMEDIATE", True)
    with running_app(settings, queue_immediate=queue_immediate) as application:
        yield application
    accounts._hasher = original


@pytest.fixture(scope="module")
def api_headers(prop_app: Flask) -> dict[str, str]:
    with prop_app.app_context():
        secret = accounts.create_key(
            db.session, "property", plan="enterprise", scopes=ALL_SCOPES, actor=SYSTEM
        ).secret
    return {"X-API-Key": secret}


@pytest.fixture(scope="module")
def operator_client(prop_app: Flask) -> FlaskClient:
    """A client logged in as an admin operator through the real form (CSRF on)."""
    with prop_app.app_context():
        accounts.create_operator(
            db.session, "property-admin", OPERATOR_PASSWORD, role="admin", actor=SYSTEM
        )
    client = prop_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "login form carries no CSRF token"
    response = client.post(
        "/login",
        data={
            "username": "property-admin",
            "password": OPERATOR_PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture(scope="module")
def uploaded_image(prop_app: Flask, api_headers: dict[str, str]) -> str:
    """A pending upload that the query and body suites can point at."""
    response = prop_app.test_client().post(
        "/api/v1/images",
        headers=api_headers,
        data={"file": (io.BytesIO(artwork(128, 128)), "design.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]
