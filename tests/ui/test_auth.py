"""Logging in and out: sessions, throttling, cookies, CSRF and security headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.app.accounts import service as accounts
from gateway.app.audit.models import AuditEntry
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db

PASSWORD = "correct horse battery"


@pytest.fixture
def operator(app):
    with app.app_context():
        accounts.create_operator(db.session, "rita", PASSWORD, role="reviewer", actor=SYSTEM)
    return "rita"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "page carries no CSRF token"
    return match.group(1)


def _login(
    client, username: str, password: str, next_url: str | None = None, address: str = "127.0.0.1"
):
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(
        url,
        data={
            "username": username,
            "password": password,
            "csrf_token": _csrf(page.get_data(as_text=True)),
        },
        environ_base=environ,
    )


def test_the_login_page_carries_a_csrf_token_and_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert _csrf(response.get_data(as_text=True))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_good_login_sets_an_httponly_samesite_session_cookie(client, operator):
    response = _login(client, operator, PASSWORD)
    assert response.status_code == 302
    cookie = next(
        value
        for name, value in response.headers.items()
        if name == "Set-Cookie" and "pod_session=" in value
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http in tests


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, operator):
    response = _login(client, operator, "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    unknown = _login(client, "nobody", "whatever-password")
    assert unknown.status_code == 401
    assert "Wrong username or password" in unknown.get_data(as_text=True)


def test_login_without_a_csrf_token_is_refused(client, operator):
    response = client.post("/login", data={"username": operator, "password": PASSWORD})
    assert response.status_code == 403


def test_repeated_failures_for_one_username_are_throttled_even_with_the_right_password(
    client, operator
):
    for _ in range(5):
        assert _login(client, operator, "wrong password!").status_code == 401
    throttled = _login(client, operator, PASSWORD)
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.get_data(as_text=True)


def test_failures_from_one_address_across_usernames_are_throttled(client, operator):
    for index in range(20):
        assert _login(client, f"guess{index}", "wrong password!").status_code == 401
    assert _login(client, operator, PASSWORD).status_code == 429


def test_failures_from_another_address_never_lock_the_operator_out(app, client, operator):
    for _ in range(25):
        assert _login(client, operator, "wrong password!", address="127.0.0.2").status_code in (
            401,
            429,
        )
    assert _login(client, operator, PASSWORD, address="127.0.0.2").status_code == 429
    assert _login(app.test_client(), operator, PASSWORD, address="127.0.0.1").status_code == 302


def test_failed_logins_are_in_the_audit_log_with_their_address(app, client, operator):
    _login(client, operator, "wrong password!", address="127.0.0.9")
    with app.app_context():
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login_failed")
        ).all()
    assert entry.entity_id == operator
    assert entry.details == {"address": "127.0.0.9", "username": operator}
    assert entry.actor_type == "anonymous"


def test_many_failures_for_one_username_from_many_addresses_only_slow_it_down(app, operator):
    throttle = app.extensions["login_throttle"]
    for index in range(10):
        throttle.failed(operator, f"10.0.0.{index}")
    assert throttle.delay(operator, "127.0.0.1") == throttle.slow_seconds > 0
    assert not throttle.blocked(operator, "127.0.0.1")
    assert throttle.delay("someone-else", "127.0.0.1") == 0


def test_the_session_is_replaced_at_login(client, operator):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    _login(client, operator, PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(client, operator, target):
    response = _login(client, operator, PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/")
    assert "evil" not in response.headers["Location"]


def test_logout_needs_a_post_with_csrf_and_ends_the_session(client, operator):
    _login(client, operator, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 403
    with client.session_transaction() as session:
        assert session.get("_user_id")
    page = client.get("/login?x=1", follow_redirects=True).get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": _csrf(page)})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert not session.get("_user_id")


def test_a_session_may_read_the_api_but_writes_need_the_csrf_header(app, client, operator):
    _login(client, operator, PASSWORD)
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["type"] == "operator"
    refused = client.post("/api/v1/generate", json={"prompt": "x", "width": 64, "height": 64})
    assert refused.status_code == 403
    token = _csrf(client.get("/login", follow_redirects=True).get_data(as_text=True))
    accepted = client.post(
        "/api/v1/generate",
        json={"prompt": "x", "width": 64, "height": 64},
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 202


def test_an_api_key_call_needs_no_csrf_token(client, admin_headers):
    response = client.post(
        "/api/v1/generate", json={"prompt": "x", "width": 64, "height": 64}, headers=admin_headers
    )
    assert response.status_code == 202
