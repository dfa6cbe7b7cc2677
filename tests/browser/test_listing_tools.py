"""Seller's tools in headless Chromium: the IP-risk badge and filter on the queue, and the detail
page's "Draft listing" button filling the listing form, which the operator edits and saves."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Login, MakeImages, card, card_ids, image, screenshot
from tests.e2e.harness import Gateway


def test_flagged_images_carry_a_badge_and_the_queue_filters_them(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    (clean,) = make_images("iprisktag", 1)
    job = ui_gateway.generate(
        prompt="M1ckey surf club, flat sticker illustration, iprisktag style", width=512, height=512
    )
    (flagged,) = ui_gateway.wait_job(job)["image_ids"]
    assert image(ui_gateway, flagged)["risk"] == {"ip": ["mickey"]}
    page = login("reviewer")
    page.goto("/review?q=iprisktag")
    expect(card(page, flagged).locator(".badge.ip-risk")).to_have_text("IP risk")
    expect(card(page, flagged).locator(".badge.ip-risk")).to_have_attribute(
        "title", "Names protected terms: mickey. Publishing needs an acknowledgement with a note."
    )
    expect(card(page, clean).locator(".badge.ip-risk")).to_have_count(0)
    page.locator("select[name=risk]").select_option("ip")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**risk=ip**")
    expect(page.locator("#grid .card")).to_have_count(1)
    assert card_ids(page) == [flagged]
    screenshot(page, "ip-risk-filter")


def test_draft_listing_fills_the_form_and_the_operator_saves_it(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    (image_id,) = make_images("drafttag", 1)
    page = login("reviewer")
    page.goto(f"/review/images/{image_id}?q=drafttag")
    title = page.locator("#meta-title")
    expect(title).to_have_value("")
    page.locator('[data-action="draft-listing"]').click()
    expect(page.locator("#metadata .saved")).to_have_text("Drafted: edit, then save")
    expect(page.locator("#meta-title")).to_have_value("Fox Scarf Flat Sticker Drafttag")
    expect(page.locator("#meta-tags")).to_have_value(
        "fox, scarf, flat, sticker, drafttag, fox scarf, scarf flat, flat sticker, gift idea"
    )
    assert image(ui_gateway, image_id)["title"] == "", "a draft is not saved"
    page.locator("#meta-title").fill("Fox in a Scarf Sticker")
    page.get_by_role("button", name="Save listing").click()
    expect(page.locator("#metadata .saved")).to_have_text("Saved")
    saved = image(ui_gateway, image_id)
    assert saved["title"] == "Fox in a Scarf Sticker"
    assert "drafttag" in saved["tags"] and saved["risk"] is None
    screenshot(page, "listing-draft")
