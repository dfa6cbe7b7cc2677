"""Upscale from the detail page in headless Chromium: the readiness at a template recommends a
factor, the operator clicks it, the page follows the job and links the child image, which is
pending review at factor x the size, with the source as its parent."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Login, MakeImages, image, screenshot
from tests.e2e.harness import Gateway
from tests.e2e.publishing import unchecked_template


def test_clicking_upscale_on_the_detail_page_produces_a_child_image(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    (image_id,) = make_images("upscaletag", 1)
    poster = unchecked_template(
        ui_gateway,
        "Poster upscaletag",
        blueprint_id=282,
        print_provider_id=99,
        variant={"id": 43135, "price": 1999},
        size=(2048, 2560),
    )
    template_id = poster["id"]
    page = login("reviewer")
    page.goto(f"/review/images/{image_id}?q=upscaletag")

    readiness = page.locator(f'#template-readiness [data-template-id="{template_id}"]')
    expect(readiness.locator(".upscale-advice")).to_have_text(
        "Upscale \N{MULTIPLICATION SIGN}4 reaches 300 DPI here (300.0 DPI)."
    )
    button = readiness.locator('[data-action="upscale"][data-factor="4"]')
    expect(button).to_have_class("primary")
    button.click()
    notice = readiness.locator(".job-notice")
    expect(notice).to_contain_text("Upscale \N{MULTIPLICATION SIGN}4")
    expect(notice.locator(".job-status")).to_have_text("completed", timeout=60_000)
    link = notice.locator(".job-images a")
    expect(link).to_have_count(1)
    screenshot(page, "upscale-from-detail")
    child_id = link.inner_text().removeprefix("Open ")

    link.click()
    page.wait_for_url(f"**/review/images/{child_id}**")
    expect(page.locator("body")).to_contain_text("2048x2048")
    child = image(ui_gateway, child_id)
    assert child["parent_id"] == image_id
    assert (child["status"], child["source"]) == ("pending", "upscale")
    assert (child["width"], child["height"]) == (2048, 2048)
    after = page.locator(f'#template-readiness [data-template-id="{template_id}"] .upscale-advice')
    expect(after).to_have_text("Prints at 300 DPI as it is.")
