"""Price and margin in headless Chromium: "Refresh costs" on a template's page learns them from the
Printify emulator, and the template page and the review detail page show price, cost, shipping,
profit and margin per variant.

`printify_gateway` talks to the emulator (the shared `ui_gateway` has no Printify token, so it
could never learn a cost). The figures follow from the emulator's sticker costs and STICKER_RULE
(tests/e2e/publishing.py).
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Login, screenshot
from tests.e2e.harness import Gateway
from tests.e2e.publishing import approved_images, rule_priced_stickers


def test_refresh_costs_then_both_pages_show_profit_and_margin(
    printify_login: Login, printify_gateway: Gateway
):
    template_id = rule_priced_stickers(printify_gateway)["id"]
    [image_id] = approved_images(printify_gateway, 1, seed=31)
    page = printify_login("admin")

    page.goto(f"/templates/{template_id}")
    table = page.locator(f'#pricing table[data-template-id="{template_id}"]')
    expect(table.locator('tr[data-variant-id="40000"]')).to_have_attribute("data-known", "false")
    page.locator('[data-action="refresh-costs"]').click()
    expect(page.locator(".flash.ok")).to_contain_text("Costs refreshed: 2 of 2 variants known")
    cheap = table.locator('tr[data-variant-id="40000"]')
    expect(cheap.locator("td.num")).to_have_text(
        ["5.99", "1.80", "1.99", "2.20 below minimum", "36.7 %"]
    )
    expect(cheap.locator(".profit")).to_contain_text("below minimum")
    dear = table.locator('tr[data-variant-id="40001"]')
    expect(dear.locator("td.num")).to_have_text(["6.99", "2.20", "1.99", "2.80", "40.1 %"])
    page.goto("/templates")
    row = page.locator(f'tr[data-template-id="{template_id}"]')
    expect(row).to_contain_text("cost + 200 %")
    expect(row).to_contain_text("min. profit 2.50")

    page.goto(f"/review/images/{image_id}")
    panel = page.locator(f'#template-pricing div[data-template-id="{template_id}"]')
    expect(panel.locator('tr[data-variant-id="40001"] td.profit')).to_have_text("2.80")
    expect(panel.locator('tr[data-variant-id="40000"]')).to_have_class("below-min")
    panel.scroll_into_view_if_needed()
    screenshot(page, "pricing")
