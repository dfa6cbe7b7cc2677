"""Every review-UI route, found from the URL map, against CSRF and every role.

A route added later is checked automatically: the matrix comes from the app, not from a list here.
"""

from __future__ import annotations

import io

import pytest
from flask import Flask

from gateway.app.extensions import db
from gateway.app.images.models import Image
from tests.ui.conftest import csrf_token

PUBLIC = {"ui.index", "ui.login", "ui.logout"}
ADMIN_ONLY = {
    "ui.keys",
    "ui.create_key",
    "ui.confirm_revoke_key",
    "ui.revoke_key",
    "ui.audit",
    "ui.webhooks",
    "ui.create_webhook",
    "ui.webhook_detail",
    "ui.update_webhook",
    "ui.test_webhook",
    "ui.rotate_webhook_secret",
    "ui.confirm_delete_webhook",
    "ui.delete_webhook",
    "ui.redeliver_webhook",
    "ui.templates",
    "ui.create_template",
    "ui.template_detail",
    "ui.update_template",
    "ui.confirm_delete_template",
    "ui.delete_template",
    "ui.refresh_catalog",
}
REVIEW_ACTIONS = {
    "ui.review_approve",
    "ui.review_reject",
    "ui.review_metadata",
    "ui.review_metadata_draft",
}
GENERATE_ACTIONS = {"ui.review_regenerate", "ui.review_edit", "ui.review_upscale"}
PUBLISH_ACTIONS = {
    "ui.review_publish",
    "ui.review_batch_publish",
    "ui.retry_publication",
    "ui.unpublish_publication",
}


def ui_routes(app: Flask, method: str) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("ui.") and method in rule.methods
    )


@pytest.fixture
def values(app, client, make_key, make_artwork) -> dict[str, str]:
    """Ids for the routes' URL variables: a pending image and an API key prefix (real), a template
    and a publication (unknown: every check under test comes before the lookup)."""
    key = make_key()
    uploaded = client.post(
        "/api/v1/images",
        headers={"X-API-Key": key},
        data={"file": (io.BytesIO(make_artwork(600, 600)), "design.png")},
    )
    assert uploaded.status_code == 201
    return {
        "image_id": uploaded.get_json()["id"],
        "prefix": key.split("_")[1],
        "template_id": "tpl_unknown",
        "publication_id": "pub_unknown",
    }


def fill(rule: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        rule = rule.replace(f"<{name}>", value)
    return rule


def test_every_state_changing_ui_route_refuses_a_missing_or_wrong_csrf_token(
    app, client, login, values
):
    login(client, "admin")
    routes = [(e, r) for e, r in ui_routes(app, "POST") if e != "ui.login"]
    assert len(routes) >= 8
    for endpoint, rule in routes:
        url = fill(rule, values)
        missing = client.post(url, data={"reason": "other", "title": "t"})
        wrong = client.post(url, data={"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"})
        assert missing.status_code == 403, (endpoint, missing.status_code)
        assert wrong.status_code == 403, (endpoint, wrong.status_code)
    with app.app_context():
        assert db.session.get(Image, values["image_id"]).status == "pending"


def test_every_ui_page_and_action_sends_anonymous_visitors_to_the_login_page(app, client, values):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for endpoint, rule in ui_routes(app, "GET") + ui_routes(app, "POST"):
        if endpoint in PUBLIC:
            continue
        url = fill(rule, values)
        methods = [m for m in ("GET", "POST") if (endpoint, rule) in ui_routes(app, m)]
        for method in methods:
            response = client.open(
                url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
            )
            assert response.status_code == 302, (endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/login"), endpoint


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_under_privileged_roles_are_refused_admin_pages_and_actions_beyond_their_role(
    app, client, login, values, role
):
    token = login(client, role)
    refused = set(ADMIN_ONLY)
    if role == "viewer":
        refused |= REVIEW_ACTIONS | GENERATE_ACTIONS | PUBLISH_ACTIONS
    for endpoint, rule in ui_routes(app, "GET") + ui_routes(app, "POST"):
        if endpoint not in refused:
            continue
        url = fill(rule, values)
        method = "POST" if (endpoint, rule) in ui_routes(app, "POST") else "GET"
        response = client.open(
            url,
            method=method,
            data={"csrf_token": token, "reason": "other"},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 403, (role, endpoint, response.status_code)
        assert "text/html" in response.headers["Content-Type"]
    with app.app_context():
        assert db.session.get(Image, values["image_id"]).status == "pending"


def test_a_viewer_can_read_every_page_it_is_meant_to(app, client, login, values):
    login(client, "viewer")
    for endpoint, rule in ui_routes(app, "GET"):
        if endpoint in ADMIN_ONLY or endpoint in PUBLIC or endpoint == "ui.review_events":
            continue
        response = client.get(fill(rule, values))
        assert response.status_code == 200, (endpoint, response.status_code)
