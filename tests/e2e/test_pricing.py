"""Price and margin over real HTTP (gunicorn, a job worker, the Printify emulator): a refresh learns
cost (from a draft product it deletes) and shipping, the figures are served, publishing below the
minimum profit is refused naming the variants, and above it the rule's prices reach Printify.

The figures follow from the emulator's sticker costs and STICKER_RULE (tests/e2e/publishing.py).
"""

from __future__ import annotations

import pytest

from tests.conftest import emulator_products, emulator_stats
from tests.e2e.conftest import GatewayFactory
from tests.e2e.publishing import (
    STICKER_RULE,
    approved_images,
    printify_env,
    publish,
    rule_priced_stickers,
    wait_final,
)
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e


def test_refresh_learns_costs_and_publishing_keeps_the_minimum_profit(
    module_gateways: GatewayFactory, printify_emulator: EmulatorProcess
):
    printify_emulator.configure(reset=True)
    gateway = module_gateways(printify_env(printify_emulator), web_workers=1)
    template = rule_priced_stickers(gateway)
    url = f"/api/v1/templates/{template['id']}/pricing"
    before = gateway.get(url).json()
    assert [row["known"] for row in before["variants"]] == [False, False]

    refreshed = gateway.post(f"{url}/refresh", json={})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["learned"]["draft_product_id"]
    stats = emulator_stats(printify_emulator)
    assert stats["requests"]["create_product"] == 1
    assert stats["requests"]["delete_product"] == 1
    assert stats["requests"]["catalog_shipping"] == 1
    assert emulator_products(printify_emulator) == []
    figures = {row["id"]: row for row in gateway.get(url).json()["variants"]}
    assert [
        (row["price"], row["cost"], row["shipping"], row["profit"], row["margin_percent"])
        for row in figures.values()
    ] == [(599, 180, 199, 220, 36.7), (699, 220, 199, 280, 40.1)]
    assert gateway.get(f"/api/v2/templates/{template['id']}/pricing").json()["variants"] == list(
        figures.values()
    )

    [image_id] = approved_images(gateway, 1, seed=77)
    order = {"template_id": template["id"], "allow_low_resolution": True}
    refused = gateway.post(f"/api/v1/images/{image_id}/publish", json=order)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "VALIDATION_ERROR"
    assert "40000" in refused.json()["error"] and "40001" not in refused.json()["error"]
    assert gateway.get(f"/api/v1/images/{image_id}").json()["status"] == "approved"

    lowered = gateway.request(
        "PUT",
        f"/api/v1/templates/{template['id']}",
        json={"pricing": {**STICKER_RULE, "min_profit_cents": 200}},
    )
    assert lowered.status_code == 200, lowered.text
    started = publish(gateway, image_id, template["id"])
    [done] = wait_final(gateway, [started["publication_id"]], timeout=90)
    assert done["status"] == "published", done
    [product] = emulator_products(printify_emulator)
    prices = {row["id"]: row["price"] for row in product["variants"] if row["is_enabled"]}
    assert prices == {40000: 599, 40001: 699}
