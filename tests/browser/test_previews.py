"""Mockup previews on the review detail page in headless Chromium, against a gateway that reads
the Printify emulator's catalog: every template's preview loads, and a colour swatch swaps the
picture for that colour's (the page's CSP allows the swatches' colours and the script)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Login, screenshot
from tests.e2e.harness import Gateway
from tests.e2e.publishing import browse_catalog, create_template, template_body

pytestmark = pytest.mark.e2e


def loaded_width(page: Page, image: Locator) -> int:
    """The picture's natural width once it has loaded (0 never passes: a broken picture)."""
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    return image.evaluate("(img) => img.naturalWidth")


def test_the_detail_page_shows_each_templates_preview_and_swaps_its_colour(
    printify_login: Login, printify_gateway: Gateway
):
    job = printify_gateway.wait_job(
        printify_gateway.generate(
            prompt="retro sunset over palm trees", width=512, height=512, seed=9
        )
    )
    assert job["status"] == "completed", job
    [image_id] = job["image_ids"]
    tee = create_template(
        printify_gateway,
        template_body(
            browse_catalog(printify_gateway, "Unisex Jersey Short Sleeve Tee"),
            "Tee",
            placement={"x": 0.5, "y": 0.4, "scale": 0.8, "angle": 0},
        ),
    )
    sticker = create_template(
        printify_gateway,
        template_body(browse_catalog(printify_gateway, "Kiss-Cut Stickers"), "Sticker"),
    )

    page = printify_login("viewer", height=1000)
    page.goto(f"/review/images/{image_id}")
    previews = page.locator("#previews")
    previews.scroll_into_view_if_needed()
    for template, family in ((tee, "tee"), (sticker, "sticker")):
        figure = previews.locator(f'.preview[data-template-id="{template["id"]}"]')
        expect(figure).to_have_attribute("data-family", family)
        figure.scroll_into_view_if_needed()
        assert loaded_width(page, figure.locator("img.preview-image")) == 1024

    figure = previews.locator(f'.preview[data-template-id="{tee["id"]}"]')
    swatches = figure.locator(".swatch")
    expect(swatches).to_have_text(["White", "Black", "Heather Grey"])
    expect(swatches.first).to_have_class("swatch coloured")
    image = figure.locator("img.preview-image")
    white_src = image.get_attribute("src")
    with page.expect_response(
        lambda response: "/preview?" in response.url and response.status == 200
    ):
        swatches.nth(1).click()
    expect(swatches.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(swatches.first).to_have_attribute("aria-pressed", "false")
    black_src = image.get_attribute("src")
    assert black_src != white_src and black_src == swatches.nth(1).get_attribute("href")
    assert loaded_width(page, image) == 1024
    # The shirt beside the print area is now black: read a pixel through a canvas.
    shade = image.evaluate(
        """(img) => {
             const canvas = document.createElement("canvas");
             canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
             const context = canvas.getContext("2d");
             context.drawImage(img, 0, 0);
             return Array.from(context.getImageData(290, 900, 1, 1).data.slice(0, 3));
           }"""
    )
    assert max(shade) < 50, shade
    expect(image).to_have_attribute("alt", re.compile(r"on Tee \(Black\)$"))
    screenshot(page, "review-preview")
