"""Fixtures of the review UI: operators of every role and a login through the real form.

CSRF protection stays on, as in production: the login helper reads the token from the form, and
`csrf_token` reads it from any page for htmx-style requests (header `X-CSRFToken`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.publishing import templates as product_templates

PASSWORD = "correct horse battery"
ROLES = ("admin", "reviewer", "viewer")
_TOKEN = re.compile(
    r'name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"'
)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny costs: logging in is not what these tests measure."""
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def csrf_token(html: str) -> str:
    """The CSRF token a page carries (the meta tag, or a form's hidden field)."""
    match = _TOKEN.search(html)
    assert match, "page carries no CSRF token"
    return match.group(1) or match.group(2)


@pytest.fixture
def make_operator(app: Flask) -> Callable[[str], str]:
    """Create an operator with `role` (once) and return the username."""

    def make(role: str) -> str:
        username = f"{role}-op"
        with app.app_context():
            if accounts.verify_operator(db.session, username, PASSWORD) is None:
                accounts.create_operator(db.session, username, PASSWORD, role=role, actor=SYSTEM)
        return username

    return make


@pytest.fixture
def login(make_operator: Callable[[str], str]) -> Callable[[FlaskClient, str], str]:
    """Log `client` in as an operator of `role` through the form; returns the CSRF token."""

    def log_in(client: FlaskClient, role: str) -> str:
        username = make_operator(role)
        form = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(form)},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return csrf_token(client.get("/review").get_data(as_text=True))

    return log_in


@pytest.fixture
def make_template(app: Flask) -> Callable[..., str]:
    """Create a product template through the service and return its id.

    The test app has no Printify token, so the template is saved unchecked with the given print
    area (`placeholder`); by default 300 x 360 px, where a 300 px wide design prints at 300 DPI.
    """

    def make(name: str = "Tee, front", **fields: object) -> str:
        body = {
            "name": name,
            "blueprint_id": 6,
            "print_provider_id": 99,
            "variants": [{"id": 12100, "price": 2499}, {"id": 12101, "price": 2699}],
            "placeholder": {"width": 300, "height": 360},
            **fields,
        }
        with app.app_context():
            catalog = app.extensions["publishing"].catalog
            return product_templates.create(db.session, catalog, body, SYSTEM).id

    return make
