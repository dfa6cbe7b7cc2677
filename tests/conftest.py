"""Shared fixtures: settings, the app on SQLite and PostgreSQL, API keys, images.

The in-process app runs its queue in Huey's immediate mode (tasks run at enqueue), so API tests see
finished jobs at once. End-to-end tests (tests/e2e) start real gunicorn and worker processes instead.
PostgreSQL runs when TEST_DATABASE_URL is set (CI sets it): each run creates its own throwaway
database and drops it at the end.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import make_url

from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.settings import Settings
from tests.emulators.printify import SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess
from tests.support import clear_app, running_app

ALL_SCOPES = ["read", "generate", "review", "publish", "admin"]


def make_settings(state_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: everything in `state_dir`, nothing read from the developer's .env."""
    values: dict[str, object] = {
        "GATEWAY_STATE_DIR": str(state_dir),
        "GATEWAY_SECRET_KEY": "test-secret-key",
        "GATEWAY_BASE_URL": "http://gateway.test",
        "REDIS_PREFIX": f"podtest-{secrets.token_hex(4)}",
        "GATEWAY_TESTING": True,
    }
    values.update({key: value for key, value in overrides.items()})
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def service_missing(reason: str) -> NoReturn:
    """Skip a test whose real service is not here, or fail it where one must be: `.ci/run` sets
    REQUIRE_TEST_SERVICES=1, so a CI run can never pass by skipping PostgreSQL, Redis or Chromium."""
    if os.environ.get("REQUIRE_TEST_SERVICES") == "1":
        pytest.fail(f"{reason}, but REQUIRE_TEST_SERVICES=1")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def make_postgres_database() -> Iterator[Callable[[], str]]:
    """Create throwaway PostgreSQL databases for this run; all are dropped at the end."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        service_missing("TEST_DATABASE_URL is unset (CI sets it; see README)")
    url = make_url(admin_url)
    dsn = url.set(drivername="postgresql", database=url.database or "postgres").render_as_string(
        hide_password=False
    )
    created: list[str] = []

    def create() -> str:
        name = f"pod_test_{os.getpid()}_{secrets.token_hex(4)}"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    yield create
    with psycopg.connect(dsn, autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url(make_postgres_database: Callable[[], str]) -> str:
    """The throwaway PostgreSQL database of the in-process app."""
    return make_postgres_database()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        service_missing("TEST_REDIS_URL is unset (CI sets it; see README)")
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The app on each database, built once per run; rows are cleared after every test."""
    state_dir = tmp_path_factory.mktemp(f"state-{request.param}")
    overrides: dict[str, object] = {}
    if request.param == "postgresql":
        overrides["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with running_app(make_settings(state_dir, **overrides)) as application:
        yield application


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    clear_app(request.getfixturevalue("app"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_key(app: Flask) -> Callable[..., str]:
    """Create an API key and return its secret."""

    def make(plan: str = "enterprise", scopes: list[str] | None = None, name: str = "test") -> str:
        with app.app_context():
            return accounts.create_key(
                db.session, name, plan=plan, scopes=scopes or ALL_SCOPES, actor=SYSTEM
            ).secret

    return make


@pytest.fixture
def admin_headers(make_key: Callable[..., str]) -> dict[str, str]:
    return {"X-API-Key": make_key()}


@pytest.fixture
def reviewer_headers(make_key: Callable[..., str]) -> dict[str, str]:
    return {"X-API-Key": make_key(scopes=["read", "generate", "review"], name="reviewer")}


@pytest.fixture
def viewer_headers(make_key: Callable[..., str]) -> dict[str, str]:
    return {"X-API-Key": make_key(scopes=["read"], name="viewer")}


def artwork(width: int = 800, height: int = 800, *, seed: int = 1, fmt: str = "PNG") -> bytes:
    """A small real design (shapes on a gradient), distinct per seed."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 4):
        shade = (y * 255) // max(1, height)
        draw.rectangle([0, y, width, y + 4], fill=(shade, (seed * 47) % 256, 255 - shade))
    for index in range(6):
        offset = (seed * 97 + index * 131) % max(1, width // 2)
        draw.ellipse(
            [offset, offset // 2, offset + width // 3, offset // 2 + height // 3],
            fill=((seed * 31 + index * 40) % 256, (index * 70) % 256, (seed * 13) % 256),
        )
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def make_artwork() -> Callable[..., bytes]:
    return artwork


# -- Printify: the emulator as a process, and an app configured to talk to it ----------------

TEE_TEMPLATE = {
    "name": "Tee front",
    "blueprint_id": 6,
    "print_provider_id": 99,
    "variants": [{"id": 12100, "price": 2500}, {"id": 12103, "price": 2700}],
    "position": "front",
    "placement": {"x": 0.5, "y": 0.45, "scale": 0.8, "angle": 0},
    "title_template": "{title} | Tee",
    "description_template": "<p>{description}</p>",
    "tags": ["tee"],
}


@pytest.fixture(scope="session")
def printify_emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.printify").start()
    yield process
    process.stop()


def emulator_stats(emulator: EmulatorProcess) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def emulator_products(emulator: EmulatorProcess) -> list[dict]:
    return requests.get(f"{emulator.url}/_emulator/products", timeout=5).json()


PRINTIFY_WEBHOOK_SECRET = "whsec-printify-tests"


@pytest.fixture(scope="module")
def live_app(
    tmp_path_factory: pytest.TempPathFactory, printify_emulator: EmulatorProcess
) -> Iterator[Flask]:
    settings = make_settings(
        Path(tmp_path_factory.mktemp("live")),
        PRINTIFY_API_TOKEN=TOKEN,
        PRINTIFY_SHOP_ID=str(SHOP_ID),
        PRINTIFY_BASE_URL=f"{printify_emulator.url}/v1",
        PRINTIFY_WEBHOOK_SECRET=PRINTIFY_WEBHOOK_SECRET,
        PRINTIFY_TIMEOUT_SECONDS=5,
        PUBLISH_RETRY_BASE_SECONDS=0.01,
        PUBLISH_RETRY_MAX_SECONDS=0.05,
        BACKEND_MAX_ATTEMPTS=2,
    )
    with running_app(settings) as application:
        yield application


@pytest.fixture
def live_client(live_app: Flask, printify_emulator: EmulatorProcess) -> Iterator[FlaskClient]:
    printify_emulator.configure(reset=True)
    yield live_app.test_client()
    clear_app(live_app)
    live_app.extensions["publishing"].pacer.reset()


@pytest.fixture
def live_headers(live_app: Flask) -> dict[str, str]:
    with live_app.app_context():
        secret = accounts.create_key(
            db.session, "live", plan="enterprise", scopes=ALL_SCOPES, actor=SYSTEM
        ).secret
    return {"X-API-Key": secret}


def upload_design(
    client: FlaskClient,
    headers: dict[str, str],
    width: int,
    height: int | None = None,
    **form: str,
) -> str:
    """An uploaded design `width` px wide (square unless `height` is given), pending review; its id.

    `form` adds the upload's other fields (title, description, tags).
    """
    response = client.post(
        "/api/v1/images",
        headers=headers,
        data={"file": (io.BytesIO(artwork(width, height or width)), "design.png"), **form},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def upload_approved(
    client: FlaskClient,
    headers: dict[str, str],
    artwork: Callable[..., bytes],
    *,
    seed: int = 1,
    size: int = 512,
) -> str:
    """An uploaded design, approved, ready to publish; its id."""
    response = client.post(
        "/api/v1/images",
        headers=headers,
        data={
            "file": (io.BytesIO(artwork(size, size, seed=seed)), "design.png"),
            "title": "Sunset club",
            "description": "A retro sunset",
            "tags": "retro,sunset",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    image_id = response.get_json()["id"]
    approved = client.post(f"/api/v1/images/{image_id}/approve", headers=headers, json={})
    assert approved.status_code == 200, approved.get_json()
    return image_id
