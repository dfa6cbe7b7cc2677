"""Price and margin in headless Chromium: "Refresh costs" on a template's page learns them from the
Printify emulator, and the template page and the review detail page show price, cost, shipping,
profit and margin per variant.

This gateway talks to the emulator (the shared `ui_gateway` has no Printify token, so it could
never learn a cost). The figures follow from the emulator's sticker costs and STICKER_RULE
(tests/e2e/publishing.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, screenshot
from tests.e2e.harness import Gateway
from tests.e2e.publishing import approved_images, printify_env, rule_priced_stickers
from tests.emulators.process import EmulatorProcess

PASSWORD = "pricing-admin-password-1"


@pytest.fixture(scope="module")
def priced_gateway(
    tmp_path_factory: pytest.TempPathFactory, printify_emulator: EmulatorProcess
) -> Iterator[Gateway]:
    printify_emulator.configure(reset=True)
    gateway = Gateway(
        tmp_path_factory.mktemp("pricing-gateway"), printify_env(printify_emulator), web_workers=1
    )
    try:
        gateway.start(workers=1)
        gateway.flask("operators", "create", "admin", "--role", "admin", "--password", PASSWORD)
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def admin_page(browser: Browser, priced_gateway: Gateway) -> Iterator[Callable[[], Page]]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, base_url=priced_gateway.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/review**")
    yield lambda: page
    context.close()
    assert not errors, errors


def test_refresh_costs_then_both_pages_show_profit_and_margin(
    admin_page: Callable[[], Page], priced_gateway: Gateway
):
    template_id = rule_priced_stickers(priced_gateway)["id"]
    [image_id] = approved_images(priced_gateway, 1, seed=31)
    page = admin_page()

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
