"""The review UI's seller's tools: the IP-risk badge and filter, and the "Draft listing" button."""

from __future__ import annotations

import html

import pytest

from gateway.app.extensions import db
from gateway.app.images.models import Image
from tests.ui.test_review import card_ids, generate, htmx, page_html, upload


@pytest.fixture
def key(make_key):
    return {"X-API-Key": make_key()}


def test_flagged_cards_carry_a_badge_and_the_queue_filters_them(client, login, key):
    flagged = upload(client, key, seed=1, title="Pikachu surf club")
    clean = upload(client, key, seed=2, title="Surf club")
    login(client, "reviewer")
    queue = page_html(client, "/review")
    assert set(card_ids(queue)) == {flagged, clean}
    card = queue[queue.index(f'id="card-{flagged}"') :].split("</article>")[0]
    assert 'class="badge ip-risk"' in card and "pikachu" in card
    other = queue[queue.index(f'id="card-{clean}"') :].split("</article>")[0]
    assert "ip-risk" not in other
    filtered = page_html(client, "/review?risk=ip")
    assert card_ids(filtered) == [flagged]
    assert '<option value="ip" selected>' in filtered
    assert client.get("/review?risk=nope").status_code == 400
    detail = page_html(client, f"/review/images/{flagged}?risk=ip")
    assert 'class="badge ip-risk"' in detail


def test_draft_listing_fills_the_form_without_saving(app, client, login, key, make_template):
    image_id = generate(client, key, prompt="(retro:1.2) sunset over the ocean, Disney style, 8k")[
        0
    ]
    template_id = make_template("Hoodie front")
    token = login(client, "reviewer")
    detail = page_html(client, f"/review/images/{image_id}")
    assert 'data-action="draft-listing"' in detail and "Hoodie front" in detail
    url = f"/review/images/{image_id}/metadata/draft"
    fragment = client.post(url, data={"draft_template_id": template_id}, headers=htmx(token))
    assert fragment.status_code == 200
    text = html.unescape(fragment.get_data(as_text=True))
    assert 'value="Retro Sunset Ocean Hoodie"' in text
    assert "Drafted: edit, then save" in text
    assert "disney" not in text.lower().replace("draft", "")
    with app.app_context():
        assert db.session.get(Image, image_id).title == ""
    page = client.post(url, data={"csrf_token": token})
    assert page.status_code == 200
    assert 'value="Retro Sunset Ocean"' in html.unescape(page.get_data(as_text=True))
    unknown = client.post(url, data={"draft_template_id": "tpl_gone"}, headers=htmx(token))
    assert unknown.status_code == 400 and "not found" in unknown.get_data(as_text=True)


def test_saving_a_listing_from_the_form_screens_it_again(app, client, login, key):
    image_id = upload(client, key)
    token = login(client, "reviewer")
    url = f"/review/images/{image_id}/metadata"
    form = {"title": "Gucci snake", "description": "", "tags": ""}
    assert client.post(url, data=form, headers=htmx(token)).status_code == 200
    with app.app_context():
        assert db.session.get(Image, image_id).risk == {"ip": ["gucci"]}
    form = {"title": "Snake", "description": "", "tags": ""}
    assert client.post(url, data=form, headers=htmx(token)).status_code == 200
    with app.app_context():
        assert db.session.get(Image, image_id).risk is None


def test_publishing_a_flagged_image_from_the_page_needs_the_acknowledgement_and_a_note(
    app, client, login, key, make_template
):
    image_id = upload(client, key, title="Gucci snake")
    assert (
        client.post(f"/api/v1/images/{image_id}/approve", headers=key, json={}).status_code == 200
    )
    template_id = make_template()
    token = login(client, "admin")
    detail = page_html(client, f"/review/images/{image_id}")
    assert 'name="acknowledge_risk"' in detail and "(gucci)" in detail
    url = f"/review/images/{image_id}/publish"
    form = {"csrf_token": token, "template_id": template_id, "allow_low_resolution": "y"}
    refused = client.post(url, data=form)
    assert refused.status_code == 409
    assert "names protected terms (gucci)" in html.unescape(refused.get_data(as_text=True))
    no_note = client.post(url, data={**form, "acknowledge_risk": "y"})
    assert no_note.status_code == 400
    done = client.post(url, data={**form, "acknowledge_risk": "y", "risk_note": "licensed"})
    assert done.status_code == 303
    history = client.get(f"/api/v1/images/{image_id}", headers=key).get_json()["history"]
    assert [e["note"] for e in history if e["action"] == "ip_risk_acknowledged"] == ["licensed"]
