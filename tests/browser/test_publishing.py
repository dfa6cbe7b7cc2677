"""Publishing from the review UI in headless Chromium: a template made offline, then a dry run.

The gateway has no Printify token, so the templates page asks for typed ids and the print area,
and every publication is a dry run that records the requests it would have sent. The outcome is
checked on the page and through the API.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Login, MakeImages, screenshot
from tests.e2e.harness import Gateway


def test_an_admin_makes_a_template_offline_and_publishes_a_dry_run(
    login: Login, ui_gateway: Gateway, make_images: MakeImages
):
    (image_id,) = make_images("publishdry", 1)
    approved = ui_gateway.post(f"/api/v1/images/{image_id}/approve", json={})
    assert approved.status_code == 200, approved.text
    page = login("admin")

    page.goto("/templates")
    expect(page.locator(".catalog-notice")).to_contain_text("Printify is offline")
    name = "Tee publishdry"
    page.fill("#name", name)
    page.fill("#blueprint_id", "6")
    page.fill("#print_provider_id", "99")
    page.fill("#default_price", "24.99")
    page.fill("#variant_lines", "12100\n12101 26.50")
    page.fill("#placeholder_width", "512")
    page.fill("#placeholder_height", "600")
    page.fill("#tags", "tee, browser")
    page.get_by_role("button", name="Create template").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Template “{name}” created unchecked")
    row = page.locator("tr[data-template-id]", has_text=name)
    expect(row).to_contain_text("24.99 \N{EN DASH} 26.50")
    expect(row.locator(".badge.warn")).to_have_text("unchecked")
    template_id = row.get_attribute("data-template-id")
    assert template_id
    screenshot(page, "templates")

    page.goto(f"/review/images/{image_id}?status=approved&q=publishdry")
    readiness = page.locator(f'#template-readiness [data-template-id="{template_id}"]')
    expect(readiness).to_contain_text("print-ready")
    expect(readiness).to_contain_text("300.0")
    form = page.locator("#publish-form")
    form.locator("select[name=template_id]").select_option(template_id)
    expect(form.locator("input[name=dry_run]")).to_be_checked()
    form.locator('[data-action="publish"]').click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Dry run with “{name}” queued")

    # The worker finishes it; the page follows the status until then.
    publication = page.locator("#publications .publication").first
    expect(publication.locator("[data-publication-status]")).to_have_text("dry run")
    page.reload()
    publication = page.locator("#publications .publication").first
    expect(publication).to_have_attribute("data-status", "dry_run")
    requests = publication.locator("details.requests")
    requests.locator("summary").click()
    lines = requests.locator(".request-line")
    expect(lines.first).to_contain_text("POST https://api.printify.com/v1/uploads/images.json")
    expect(requests).to_contain_text('"title": ')
    expect(requests.locator(".request-body").nth(1)).to_contain_text('"blueprint_id": 6')
    screenshot(page, "publish-dry-run")

    listed = ui_gateway.get("/api/v1/publications", params={"image_id": image_id}).json()
    (item,) = listed["items"]
    assert item["status"] == "dry_run" and item["dry_run"] is True
    assert item["template_id"] == template_id
    assert [request["method"] for request in item["requests"]][:2] == ["POST", "POST"]
    after = ui_gateway.get(f"/api/v1/images/{image_id}").json()
    assert after["status"] == "approved"
