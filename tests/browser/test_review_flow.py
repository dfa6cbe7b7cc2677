"""A reviewer's day in headless Chromium: keyboard review, batch approve, listing edit, live queue.

Decisions are checked twice: on the page (the card's new status) and through the API (what the
gateway stored), so a page that only looks right cannot pass.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import (
    FOCUSED,
    SELECTED,
    Login,
    MakeImages,
    card,
    card_ids,
    image,
    screenshot,
    wait_for_visible_images,
)
from tests.e2e.harness import Gateway

# Queue positions to reject, with the reason picker's number key for each (the rest are approved).
REJECTS = {1: "2", 3: "1", 6: "3", 8: "6", 11: "4", 13: "5", 16: "2", 18: "1"}
NOTE_AT = 13
NOTE = "lettering reads as a trademark"


def test_twenty_images_reviewed_by_keyboard_alone(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    created = make_images("kbdreview", 20)
    page = login("reviewer")
    page.goto("/review?q=kbdreview")
    cards = page.locator("#grid .card")
    expect(cards).to_have_count(20)
    order = card_ids(page)
    assert sorted(order) == sorted(created)
    expect(page.locator("#status-tabs [data-count=pending]")).to_have_text("20")
    wait_for_visible_images(page)
    screenshot(page, "review-queue")
    reasons = page.locator("#reason-dialog input[name=reason]").evaluate_all(
        "radios => radios.map(r => r.value)"
    )

    expect(card(page, order[0])).to_have_class(FOCUSED)
    page.keyboard.press("j")
    expect(card(page, order[1])).to_have_class(FOCUSED)
    page.keyboard.press("k")
    expect(card(page, order[0])).to_have_class(FOCUSED)

    dialog = page.locator("#reason-dialog")
    expected: dict[str, tuple[str, str | None, str | None]] = {}
    for position, image_id in enumerate(order):
        expect(card(page, image_id)).to_have_class(FOCUSED)
        key = REJECTS.get(position)
        if key is None:
            page.keyboard.press("a")
            expect(card(page, image_id)).to_have_attribute("data-status", "approved")
            expected[image_id] = ("approved", None, None)
            continue
        page.keyboard.press("r")
        expect(dialog).to_be_visible()
        page.keyboard.press(key)
        reason = reasons[int(key) - 1]
        expect(dialog.locator(f'input[value="{reason}"]')).to_be_checked()
        note = None
        if position == NOTE_AT:
            note = NOTE
            page.keyboard.press("Tab")
            expect(page.locator("#reason-note")).to_be_focused()
            page.keyboard.type(note)
            page.keyboard.press("Control+Enter")
        else:
            page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(card(page, image_id)).to_have_attribute("data-status", "rejected")
        expect(card(page, image_id).locator(".verdict")).to_contain_text(reason.replace("_", " "))
        expected[image_id] = ("rejected", reason, note)

    expect(page.locator("#status-tabs [data-count=pending]")).to_have_text("0")
    stored = {
        image_id: (body["status"], body["reject_reason"], body["review_note"])
        for image_id in created
        for body in [image(ui_gateway, image_id)]
    }
    assert stored == expected
    for status, count in (("approved", 12), ("rejected", 8), ("pending", 0)):
        listed = ui_gateway.get("/api/v1/images", params={"status": status, "q": "kbdreview"})
        assert listed.json()["total"] == count, status
    for image_id in created:
        assert image(ui_gateway, image_id)["reviewed_by"] == "reviewer"


def test_batch_approve_of_a_selection_shows_each_outcome(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    created = make_images("batchselect", 6)
    page = login("reviewer")
    page.goto("/review?status=all&q=batchselect")
    expect(page.locator("#grid .card")).to_have_count(6)
    order = card_ids(page)
    assert sorted(order) == sorted(created)
    # Inside the range about to be selected: one image already approved, one already rejected.
    already_approved, already_rejected = order[2], order[3]
    assert ui_gateway.post(f"/api/v1/images/{already_approved}/approve").status_code == 200
    rejected = ui_gateway.post(
        f"/api/v1/images/{already_rejected}/reject", json={"reason": "duplicate"}
    )
    assert rejected.status_code == 200, rejected.text
    page.reload()
    expect(card(page, already_approved)).to_have_attribute("data-status", "approved")
    expect(card(page, already_rejected)).to_have_attribute("data-status", "rejected")

    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(card(page, order[1])).to_have_class(SELECTED)
    card(page, order[4]).locator("[data-select]").click(modifiers=["Shift"])
    bar = page.locator("#batchbar")
    expect(bar.locator("[data-selection-count]")).to_have_text("4 selected")
    for image_id in order[1:5]:
        expect(card(page, image_id)).to_have_class(SELECTED)
    for image_id in (order[0], order[5]):
        expect(card(page, image_id)).not_to_have_class(SELECTED)

    bar.locator('[data-batch="approve"]').click()
    outcome = page.locator("#batch-outcome")
    expect(outcome).to_be_visible()
    expect(outcome.locator("[data-outcome-title]")).to_have_text("Batch approve: 4 images")
    expect(outcome.locator('[data-outcome-count="successful"]')).to_have_text("2")
    expect(outcome.locator('[data-outcome-count="failed"]')).to_have_text("1")
    expect(outcome.locator('[data-outcome-count="skipped"]')).to_have_text("1")
    failed_row = outcome.locator(".outcome-row", has_text=already_rejected)
    expect(failed_row.locator(".outcome-kind")).to_have_text("failed")
    expect(failed_row.locator(".outcome-message")).to_contain_text("INVALID_TRANSITION")
    skipped_row = outcome.locator(".outcome-row", has_text=already_approved)
    expect(skipped_row.locator(".outcome-kind")).to_have_text("skipped")
    expect(skipped_row.locator(".outcome-message")).to_have_text("already approved")
    expect(bar.locator("[data-selection-count]")).to_have_text("0 selected")
    for image_id in (order[1], order[4]):
        expect(card(page, image_id)).to_have_attribute("data-status", "approved")

    statuses = {image_id: image(ui_gateway, image_id)["status"] for image_id in order}
    assert statuses == {
        order[0]: "pending",
        order[1]: "approved",
        order[2]: "approved",
        order[3]: "rejected",
        order[4]: "approved",
        order[5]: "pending",
    }


def test_title_edited_on_the_detail_page_is_saved(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    image_id, _ = make_images("titleedit", 2)
    page = login("reviewer")
    page.goto(f"/review/images/{image_id}?q=titleedit")
    form = page.locator("#metadata")
    form.locator("#meta-title").fill("Fox in a Scarf, Cozy Winter Sticker")
    form.locator("#meta-description").fill("A hand-drawn fox wrapped in a red scarf.")
    form.locator("#meta-tags").fill("fox, winter, sticker")
    form.get_by_role("button", name="Save listing").click()
    expect(page.locator("#metadata .saved")).to_have_text("Saved")

    body = image(ui_gateway, image_id)
    assert body["title"] == "Fox in a Scarf, Cozy Winter Sticker"
    assert body["description"] == "A hand-drawn fox wrapped in a red scarf."
    assert body["tags"] == ["fox", "winter", "sticker"]

    page.reload()
    expect(page.locator("#meta-title")).to_have_value("Fox in a Scarf, Cozy Winter Sticker")
    expect(page.locator(".history .timeline")).to_contain_text("reviewer")
    wait_for_visible_images(page)
    screenshot(page, "review-detail")


def test_detail_page_decides_by_keyboard_and_moves_to_the_next_image(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    make_images("detailkeys", 3)
    page = login("reviewer")
    page.goto("/review?q=detailkeys")
    expect(page.locator("#grid .card")).to_have_count(3)
    first, second, third = card_ids(page)
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_have_attribute("data-image-id", first)
    page.wait_for_load_state()

    page.keyboard.press("a")
    expect(page.locator("#detail")).to_have_attribute("data-image-id", second)
    page.wait_for_load_state()  # the next image's page runs its scripts before it takes keys
    page.keyboard.press("r")
    expect(page.locator("#reason-dialog")).to_be_visible()
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_have_attribute("data-image-id", third)
    page.wait_for_load_state()
    page.keyboard.press("u")
    expect(page.locator("#queue")).to_be_visible()
    expect(page.locator("#grid .card")).to_have_count(1)

    assert image(ui_gateway, first)["status"] == "approved"
    assert (image(ui_gateway, second)["status"], image(ui_gateway, second)["reject_reason"]) == (
        "rejected",
        "text_artifacts",
    )
    assert image(ui_gateway, third)["status"] == "pending"


def test_new_images_appear_in_the_open_queue_without_a_reload(
    login: Login, make_images: MakeImages
):
    page = login("reviewer")
    page.goto("/review?q=livearrival")
    expect(page.locator("#empty")).to_be_visible()
    page.evaluate("window.loadedOnce = true")

    arrived = make_images("livearrival", 2)

    for image_id in arrived:
        expect(card(page, image_id)).to_be_visible()
        expect(card(page, image_id)).to_have_attribute("data-status", "pending")
    expect(page.locator("#grid .card")).to_have_count(2)
    expect(page.locator("#status-tabs [data-count=pending]")).to_have_text("2")
    expect(page.locator("#empty")).to_have_count(0)
    assert page.evaluate("window.loadedOnce") is True
