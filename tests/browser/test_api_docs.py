"""/api/docs: Swagger UI serves v2 first, and try-it-out calls the API with an API key."""

from __future__ import annotations

import json

from playwright.sync_api import Browser, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.e2e.harness import Gateway


def test_try_it_out_lists_jobs_through_v2_with_an_api_key(browser: Browser, ui_gateway: Gateway):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=ui_gateway.url)
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto("/api/docs")
        expect(page.locator(".info .title")).to_contain_text("POD Gateway API v2")

        page.locator("button.authorize").first.click()
        dialog = page.locator(".modal-ux")
        dialog.locator("input").first.fill(ui_gateway.api_key)
        dialog.locator("button.authorize").first.click()
        dialog.locator("button.btn-done").first.click()

        operation = page.locator(".opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/jobs"]')
        )
        operation.locator(".opblock-summary").click()
        operation.locator("input[placeholder='limit']").fill("2")
        operation.locator("button.execute").click()

        status = operation.locator(".live-responses-table tbody .response-col_status").first
        expect(status).to_have_text("200")
        body = json.loads(operation.locator(".live-responses-table .microlight").first.inner_text())
        assert set(body) == {"items", "next_cursor"}
        request_url = operation.locator(".request-url pre").inner_text()
        assert request_url.endswith("/api/v2/jobs?limit=2")
        assert not errors, errors
    finally:
        context.close()
