"""Listing drafts over real HTTP (gunicorn, a job worker, the Printify emulator): a design generated
by the worker gets a deterministic draft naming the template's product, with no protected term and
within the listing limits; the operator's saved listing (the draft, edited) is the product's copy at
Printify, published once the prompt's IP-risk finding is acknowledged."""

from __future__ import annotations

import pytest

from tests.conftest import emulator_products
from tests.e2e.conftest import GatewayFactory
from tests.e2e.publishing import (
    STICKERS,
    browse_catalog,
    create_template,
    printify_env,
    publish,
    template_body,
    wait_final,
)
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e

PROMPT = "retro M1ckey surf club sunset over the ocean, 8k, highly detailed"


def test_a_generated_design_is_drafted_edited_and_published_with_its_listing(
    module_gateways: GatewayFactory, printify_emulator: EmulatorProcess
):
    printify_emulator.configure(reset=True)
    gateway = module_gateways(printify_env(printify_emulator), web_workers=2)
    template = create_template(
        gateway, template_body(browse_catalog(gateway, STICKERS), "Sticker drafts")
    )
    job = gateway.wait_job(gateway.generate(prompt=PROMPT, width=256, height=256, seed=5))
    assert job["status"] == "completed", job
    [image_id] = job["image_ids"]

    url = f"/api/v2/images/{image_id}/listing/draft"
    drafts = [gateway.post(url, json={"template_id": template["id"]}) for _ in range(3)]
    assert [response.status_code for response in drafts] == [200, 200, 200]
    draft = drafts[0].json()
    assert all(response.json() == draft for response in drafts)  # either web worker, same draft
    assert "sticker" in draft["title"].lower()
    assert len(draft["title"]) <= 140
    assert 0 < len(draft["tags"]) <= 13
    assert all(tag == tag.lower() and len(tag) <= 20 for tag in draft["tags"])
    assert len(set(draft["tags"])) == len(draft["tags"])
    text = f"{draft['title']} {draft['description']} {' '.join(draft['tags'])}".lower()
    for unwanted in ("mickey", "m1ckey", "8k", "highly detailed"):
        assert unwanted not in text
    assert gateway.get(f"/api/v1/images/{image_id}").json()["title"] == ""  # not saved

    listing = {**draft, "title": draft["title"] + " Gift"}
    saved = gateway.request("PATCH", f"/api/v1/images/{image_id}", json=listing)
    assert saved.status_code == 200, saved.text
    # Re-screened on the save: the clean listing adds nothing, the prompt keeps its finding.
    assert gateway.get(f"/api/v1/images/{image_id}").json()["risk"] == {"ip": ["mickey"]}
    assert gateway.post(f"/api/v1/images/{image_id}/approve", json={}).status_code == 200

    note = {"acknowledge_risk": True, "note": "the listing never names the character"}
    started = publish(gateway, image_id, template["id"], **note)
    [done] = wait_final(gateway, [started["publication_id"]], timeout=90)
    assert done["status"] == "published", done
    [product] = emulator_products(printify_emulator)
    assert product["title"] == template["title_template"].format(title=listing["title"])
    assert set(draft["tags"]) <= set(product["tags"])
