"""/keys and /audit: admin-only pages; keys shown once and revocable; the audit log filtered and paged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from gateway.app.accounts import service as accounts
from gateway.app.accounts.models import ApiKey
from gateway.app.audit import service as audit
from gateway.app.audit.models import AuditEntry
from gateway.app.audit.service import SYSTEM, Actor
from gateway.app.extensions import db
from tests.ui.conftest import csrf_token

SECRET = re.compile(r"pod_[0-9a-f]{8}_[A-Za-z0-9_-]+")


@pytest.fixture
def admin(client, login):
    """`client`, logged in as an admin."""
    return login(client, "admin")


def create_key_via_form(client, **fields):
    token = csrf_token(client.get("/keys").get_data(as_text=True))
    data = {"name": "shop-sync", "plan": "pro", "scopes": ["read", "generate"], **fields}
    return client.post("/keys", data={**data, "csrf_token": token})


def api_me(app, secret: str):
    """GET /api/v1/me from a fresh client, so only the key (no session) identifies the caller."""
    return app.test_client().get("/api/v1/me", headers={"X-API-Key": secret})


def audit_ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'data-audit-id="(\d+)"', html)]


def assert_no_inline_script_or_style(html: str) -> None:
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert " style=" not in html and "<style" not in html


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/keys", "/audit", "/keys/deadbeef/revoke"])
@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_non_admins_get_a_403_page_not_json(client, role, path, login):
    login(client, role)
    response = client.get(path)
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "FORBIDDEN" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/keys", "/audit"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next={path}")


def test_a_reviewer_cannot_create_a_key_even_with_a_valid_token(app, client, login):
    token = login(client, "reviewer")
    response = client.post(
        "/keys", data={"name": "sneaky", "plan": "pro", "scopes": ["admin"], "csrf_token": token}
    )
    assert response.status_code == 403
    with app.app_context():
        assert accounts.list_keys(db.session) == []


@pytest.mark.parametrize(
    ("role", "sees_admin_links"), [("viewer", False), ("reviewer", False), ("admin", True)]
)
def test_navigation_links_keys_and_audit_only_for_admins(client, role, sees_admin_links, login):
    login(client, role)
    page = client.get("/dashboard").get_data(as_text=True)
    nav = re.search(r'<nav class="nav">(.*?)</nav>', page, re.S).group(1)
    assert 'href="/dashboard"' in nav
    assert ('href="/keys"' in nav) is sees_admin_links
    assert ('href="/audit"' in nav) is sees_admin_links


# --- keys --------------------------------------------------------------------------------------


def test_an_admin_creates_a_key_whose_secret_is_shown_once_and_works(app, client, admin):
    response = create_key_via_form(client, name="shop-sync", plan="pro")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = SECRET.search(page).group(0)
    assert "Copy the key now" in page
    assert_no_inline_script_or_style(page)
    me = api_me(app, secret)
    assert me.status_code == 200
    assert me.get_json()["name"] == "shop-sync"
    assert me.get_json()["plan"] == "pro"
    assert me.get_json()["scopes"] == ["generate", "read"]
    listing = client.get("/keys").get_data(as_text=True)
    assert "shop-sync" in listing
    assert secret not in listing
    assert SECRET.search(listing) is None


def test_a_created_key_secret_is_stored_nowhere_in_the_database(app, client, admin):
    secret = SECRET.search(create_key_via_form(client).get_data(as_text=True)).group(0)
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        stored = " ".join(str(getattr(key, column.key)) for column in ApiKey.__table__.columns)
        entries = db.session.scalars(select(AuditEntry)).all()
        logged = " ".join(
            str(getattr(entry, column.key))
            for entry in entries
            for column in AuditEntry.__table__.columns
        )
    assert secret not in stored
    assert secret.split("_", 2)[2] not in stored + logged
    assert any(entry.action == "created" and entry.entity_type == "api_key" for entry in entries)


def test_the_key_list_shows_plan_scopes_usage_and_state(app, client, admin, make_key):
    secret = make_key(plan="free", scopes=["read"], name="zapier")
    api_me(app, secret)
    api_me(app, secret)
    page = client.get("/keys").get_data(as_text=True)
    row = re.search(r'<tr data-key-prefix="[0-9a-f]{8}">(.*?)</tr>', page, re.S).group(1)
    assert "zapier" in row and "free" in row and '<span class="chip">read</span>' in row
    assert re.search(r'class="num">2<', row)
    assert "active" in row and "Revoke" in row
    assert_no_inline_script_or_style(page)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"scopes": []}, "Choose at least one scope."),
        ({"plan": "platinum"}, "Not a valid choice."),
        ({"name": "<b>bold</b>"}, "name must not contain markup"),
    ],
)
def test_an_invalid_key_form_is_refused_with_its_reason(app, client, admin, fields, message):
    response = create_key_via_form(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert accounts.list_keys(db.session) == []


def test_revoking_through_the_confirm_form_makes_the_key_fail_with_401(app, client, admin):
    secret = SECRET.search(create_key_via_form(client).get_data(as_text=True)).group(0)
    prefix = secret.split("_")[1]
    confirm = client.get(f"/keys/{prefix}/revoke")
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "401 Unauthorized" in page
    assert_no_inline_script_or_style(page)
    response = client.post(f"/keys/{prefix}/revoke", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/keys"
    assert api_me(app, secret).status_code == 401
    listing = client.get("/keys").get_data(as_text=True)
    assert f"Key {prefix} (shop-sync) is revoked" in listing
    assert "is-revoked" in listing
    again = client.post(f"/keys/{prefix}/revoke", data={"csrf_token": csrf_token(page)})
    assert "already revoked" in client.get(again.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("prefix", ["00000000", "%00x", "x" * 300])
def test_revoking_an_unknown_key_is_a_404_page(client, admin, prefix):
    response = client.get(f"/keys/{prefix}/revoke")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_create_and_revoke_without_the_right_csrf_token_are_refused(app, client, admin, token):
    data = {"name": "forged", "plan": "pro", "scopes": ["read"]}
    if token:
        data["csrf_token"] = token
    created = client.post("/keys", data=data)
    assert created.status_code == 403
    secret = SECRET.search(create_key_via_form(client).get_data(as_text=True)).group(0)
    prefix = secret.split("_")[1]
    revoked = client.post(f"/keys/{prefix}/revoke", data={"csrf_token": token} if token else {})
    assert revoked.status_code == 403
    assert api_me(app, secret).status_code == 200
    with app.app_context():
        assert [key.name for key in accounts.list_keys(db.session)] == ["shop-sync"]


# --- audit -------------------------------------------------------------------------------------


def add_entry(at: datetime | None = None, actor: Actor = SYSTEM, **fields) -> int:
    values = {"entity_type": "image", "entity_id": "img_1", "action": "approved", **fields}
    entry = audit.record(db.session, actor, **values)
    db.session.flush()
    if at:
        db.session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(at=at))
    return entry.id


@pytest.fixture
def varied_log(app):
    """Entries of several kinds, actors and days; returns their ids by name."""
    day = datetime(2025, 3, 10, 12, tzinfo=UTC)
    alice = Actor("operator", "op_alice", "alice")
    with app.app_context():
        ids = {
            "approve_a": add_entry(day, alice, entity_id="img_a"),
            "reject_b": add_entry(
                day + timedelta(days=1), alice, entity_id="img_b", action="rejected"
            ),
            "job": add_entry(
                day + timedelta(days=2), entity_type="job", entity_id="job_1", action="failed"
            ),
            "key": add_entry(
                day + timedelta(days=3), entity_type="api_key", entity_id="key_1", action="created"
            ),
        }
        db.session.commit()
    return ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("entity_type=image", ["reject_b", "approve_a"]),
        ("entity_type=image&entity_id=img_b", ["reject_b"]),
        ("actor=alice", ["reject_b", "approve_a"]),
        ("actor=op_alice&action=approved", ["approve_a"]),
        ("action=failed", ["job"]),
        ("since=2025-03-11&until=2025-03-12", ["job", "reject_b"]),
        ("until=2025-03-10", ["approve_a"]),
        ("entity_type=webhook", []),
    ],
)
def test_audit_filters_select_the_matching_entries(client, varied_log, query, expected, login):
    login(client, "admin")
    response = client.get(f"/audit?{query}")
    assert response.status_code == 200
    shown = [
        entry
        for entry in audit_ids(response.get_data(as_text=True))
        if entry in varied_log.values()
    ]
    assert shown == [varied_log[name] for name in expected]


@pytest.mark.parametrize(
    "query",
    [
        "since=2025-03-12&until=2025-03-10",
        "since=yesterday",
        "before=0",
        "entity_id=img_%00",
        "actor=" + "a" * 101,
    ],
)
def test_bad_audit_filters_are_a_400_page_with_the_reason(client, query, login):
    login(client, "admin")
    response = client.get(f"/audit?{query}")
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_audit_pages_hold_100_entries_newest_first_without_gaps_or_repeats(app, client, admin):
    with app.app_context():
        for index in range(230):
            add_entry(entity_id=f"img_{index}")
        db.session.commit()
        everything = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc())).all()
    url, pages = "/audit", []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(audit_ids(page))
        if len(pages) == 1:
            with app.app_context():  # written while the operator reads: must not shift later pages
                add_entry(entity_id="img_late")
                db.session.commit()
        older = re.search(r'rel="next" href="([^"]+)"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert [len(ids) for ids in pages] == [100, 100, len(everything) - 200]
    walked = [entry for ids in pages for entry in ids]
    assert walked == everything
    newer = re.search(
        r'rel="prev" href="([^"]+)"',
        client.get(f"/audit?before={pages[1][-1]}").get_data(as_text=True),
    )
    assert audit_ids(client.get(newer.group(1)).get_data(as_text=True)) == pages[1]


def test_audit_pagination_keeps_the_filters(app, client, admin):
    with app.app_context():
        for index in range(240):
            add_entry(entity_id="img_x", action="approved" if index % 2 else "rejected")
        db.session.commit()
    first = client.get("/audit?action=rejected").get_data(as_text=True)
    link = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "action=rejected" in link
    second = client.get(link).get_data(as_text=True)
    assert (len(audit_ids(first)), len(audit_ids(second))) == (100, 20)
    with app.app_context():
        rejected = {
            entry.id
            for entry in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "rejected")
            )
        }
    assert set(audit_ids(first)) | set(audit_ids(second)) == rejected


def test_markup_in_audit_notes_actors_and_details_is_shown_escaped(app, client, admin):
    with app.app_context():
        add_entry(
            actor=Actor("api_key", "key_x", "<img src=x onerror=alert(1)>"),
            action="rejected",
            reason="other",
            note="<script>alert('note')</script>",
            details={"title": "<b onmouseover=alert(2)>hi</b>"},
        )
        db.session.commit()
    response = client.get("/audit")
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b onmouseover" not in page
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b onmouseover=alert(2)&gt;hi&lt;/b&gt;" in page
    assert_no_inline_script_or_style(page)
