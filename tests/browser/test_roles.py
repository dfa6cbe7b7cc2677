"""What each role may do in the review UI, seen from headless Chromium and checked through the API."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Request, expect

from tests.browser.conftest import FOCUSED, PASSWORDS, Login, MakeImages, card, image
from tests.e2e.harness import Gateway


def test_a_viewer_sees_the_queue_but_cannot_decide(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    (image_id,) = make_images("viewerdeny", 1)
    page = login("viewer")
    changes: list[str] = []

    def record(request: Request) -> None:
        if request.method != "GET":
            changes.append(f"{request.method} {request.url}")

    page.on("request", record)
    page.goto("/review?q=viewerdeny")
    item = card(page, image_id)
    expect(item).to_be_visible()
    expect(item).to_have_class(FOCUSED)
    expect(page.locator("[data-action]")).to_have_count(0)
    expect(page.locator("#batchbar")).to_have_count(0)
    expect(item.locator("[data-select]")).to_have_count(0)

    for key in ("a", "r", "x", "*"):
        page.keyboard.press(key)
    expect(page.locator("#reason-dialog")).to_be_hidden()
    expect(item).to_have_attribute("data-status", "pending")

    page.goto(f"/review/images/{image_id}?q=viewerdeny")
    expect(page.locator("#detail")).to_have_attribute("data-can-review", "false")
    expect(page.locator("#approve-form")).to_have_count(0)
    expect(page.locator("#metadata")).to_have_count(0)
    page.keyboard.press("a")
    expect(page.locator("#toasts .toast")).to_contain_text("only by reviewers")

    # Even a hand-made API call from the viewer's session, with a valid CSRF token, is refused.
    status = page.evaluate(
        """async (id) => (await fetch("/api/v1/images/" + id + "/approve", {
              method: "POST",
              headers: {"Content-Type": "application/json",
                        "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
              body: "{}",
           })).status""",
        image_id,
    )
    assert status == 403
    assert not [change for change in changes if "/api/v1/" not in change], changes
    assert image(ui_gateway, image_id)["status"] == "pending"


@pytest.mark.parametrize(
    ("role", "can_review", "is_admin"),
    [("admin", True, True), ("reviewer", True, False), ("viewer", False, False)],
)
def test_each_role_sees_what_it_may_use(
    login: Login,
    make_images: MakeImages,
    role: str,
    can_review: bool,
    is_admin: bool,
):
    (image_id,) = make_images(f"rolesee{role}", 1)
    page = login(role)
    page.goto(f"/review?q=rolesee{role}")
    expect(card(page, image_id)).to_be_visible()
    expect(page.locator(".whoami")).to_contain_text(f"{role} ({role})")
    expect(card(page, image_id).locator('[data-action="approve"]')).to_have_count(int(can_review))
    expect(card(page, image_id).locator('[data-action="reject"]')).to_have_count(int(can_review))
    nav = page.locator(".topbar .nav")
    expect(nav.get_by_role("link", name="Review")).to_be_visible()
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="API keys")).to_have_count(int(is_admin))
    expect(nav.get_by_role("link", name="Audit")).to_have_count(int(is_admin))

    for path in ("/keys", "/audit"):
        response = page.goto(path)
        assert response is not None
        assert response.status == (200 if is_admin else 403), path
    assert page.goto("/dashboard").status == 200


def test_wrong_password_is_refused_and_logout_ends_the_session(browser, ui_gateway: Gateway):
    context = browser.new_context(base_url=ui_gateway.url)
    try:
        page = context.new_page()
        page.goto("/review")
        expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)review$"))
        page.fill("#username", "reviewer")
        page.fill("#password", "not-the-password")
        page.click("button[type=submit]")
        expect(page.locator(".flash.error")).to_have_text("Wrong username or password.")

        page.fill("#username", "reviewer")
        page.fill("#password", PASSWORDS["reviewer"])
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{ui_gateway.url}/review")
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{ui_gateway.url}/login")
        page.goto("/review")
        expect(page.locator("#username")).to_be_visible()
    finally:
        context.close()
