"""/webhooks, the admin page: roles, CSRF, secrets shown once, edit, test, rotate, delete,
redeliver, and the delivery log."""

from __future__ import annotations

import re

import pytest
from standardwebhooks import Webhook

from gateway.app.webhooks import delivery
from tests.ui.conftest import csrf_token
from tests.webhooks.helpers import deliveries, emit, subscribe, subscription
from tests.webhooks.local_receiver import Answer

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


@pytest.fixture
def admin(client, login):
    return login(client, "admin")


def add_via_form(client, url, events=("*",), **extra):
    token = csrf_token(client.get("/webhooks").get_data(as_text=True))
    data = {"url": url, "events": list(events), "description": "n8n", "csrf_token": token}
    return client.post("/webhooks", data={**data, **extra})


def assert_no_inline_script_or_style(html: str) -> None:
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert " style=" not in html and "<style" not in html


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_non_admins_get_a_403_page(client, login, role):
    token = login(client, role)
    assert client.get("/webhooks").status_code == 403
    refused = client.post(
        "/webhooks", data={"url": "http://127.0.0.1/x", "events": ["*"], "csrf_token": token}
    )
    assert refused.status_code == 403
    assert "text/html" in refused.headers["Content-Type"]


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/webhooks")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/webhooks")


def test_a_form_without_its_csrf_token_is_refused(app, client, admin, webhooks, receiver):
    response = client.post("/webhooks", data={"url": receiver.url, "events": ["*"]})
    assert response.status_code == 403
    assert client.get("/api/v1/webhooks").get_json()["items"] == []


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(app, client, admin, webhooks, receiver):
    response = add_via_form(client, receiver.url, events=["image.approved", "image.rejected"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = SECRET.search(page).group(0)
    assert_no_inline_script_or_style(page)
    listing = client.get("/webhooks").get_data(as_text=True)
    assert receiver.url in listing
    assert SECRET.search(listing) is None
    assert_no_inline_script_or_style(listing)
    (created,) = client.get("/api/v1/webhooks").get_json()["items"]
    assert created["events"] == ["image.approved", "image.rejected"]
    assert created["source"] == "ui"
    detail = client.get(f"/webhooks/{created['id']}").get_data(as_text=True)
    assert SECRET.search(detail) is None
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    got = receiver.received[0]
    assert Webhook(secret).verify(got.body, got.headers)


def test_a_refused_url_is_shown_on_the_form(client, admin):
    response = add_via_form(client, "http://10.0.0.1/hook")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Private-Use" in page
    assert 'class="field-error"' in page


def test_the_detail_page_edits_sends_a_test_and_lists_deliveries_with_attempts(
    app, client, admin, webhooks, receiver
):
    add_via_form(client, receiver.url)
    (created,) = client.get("/api/v1/webhooks").get_json()["items"]
    page = client.get(f"/webhooks/{created['id']}").get_data(as_text=True)
    token = csrf_token(page)
    receiver.script(Answer(500, b"try later"))
    sent = client.post(f"/webhooks/{created['id']}/test", data={"csrf_token": token})
    assert sent.status_code == 302
    page = client.get(f"/webhooks/{created['id']}").get_data(as_text=True)
    assert "webhook.test" in page
    assert "try later" in page
    assert "http_error" in page
    assert_no_inline_script_or_style(page)
    saved = client.post(
        f"/webhooks/{created['id']}",
        data={
            "url": receiver.url,
            "events": ["image.approved"],
            "description": "renamed",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 302
    changed = subscription(app, created["id"])
    assert (changed.description, changed.events, changed.enabled) == (
        "renamed",
        ["image.approved"],
        False,
    )
    assert deliveries(app)[0].status == "cancelled"


def test_rotate_shows_the_new_secret_and_redeliver_sends_the_same_event_again(
    app, client, admin, webhooks, receiver
):
    add_via_form(client, receiver.url)
    (created,) = client.get("/api/v1/webhooks").get_json()["items"]
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    token = csrf_token(client.get(f"/webhooks/{created['id']}").get_data(as_text=True))
    rotated = client.post(f"/webhooks/{created['id']}/rotate", data={"csrf_token": token})
    assert rotated.headers["Cache-Control"] == "no-store"
    new_secret = SECRET.search(rotated.get_data(as_text=True)).group(0)
    (first,) = deliveries(app)
    again = client.post(
        f"/webhooks/{created['id']}/deliveries/{first.id}/redeliver", data={"csrf_token": token}
    )
    assert again.status_code == 302
    assert len(receiver.received) == 2
    replay = receiver.received[1]
    assert replay.headers["webhook-id"] == receiver.received[0].headers["webhook-id"]
    assert Webhook(new_secret).verify(replay.body, replay.headers)


def test_delete_asks_first_then_removes_the_webhook(app, client, admin, webhooks, receiver):
    add_via_form(client, receiver.url)
    (created,) = client.get("/api/v1/webhooks").get_json()["items"]
    confirm = client.get(f"/webhooks/{created['id']}/delete")
    assert confirm.status_code == 200
    token = csrf_token(confirm.get_data(as_text=True))
    response = client.post(f"/webhooks/{created['id']}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/api/v1/webhooks").get_json()["items"] == []
    assert client.get(f"/webhooks/{created['id']}").status_code == 404


def test_admins_see_subscriptions_made_through_the_api(client, admin, make_key, webhooks, receiver):
    subscribe(client, {"X-API-Key": make_key(scopes=["read", "webhooks"])}, receiver.url)
    page = client.get("/webhooks").get_data(as_text=True)
    assert receiver.url in page
    assert "api" in page
