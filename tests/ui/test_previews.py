"""Mockup previews on the review detail page: one per template, a swatch per catalog colour, and
pictures the operator's session may load (the API's preview route, as the thumbnails are)."""

from __future__ import annotations

import re

from gateway.app.extensions import db
from gateway.app.publishing.models import CatalogEntry
from tests.ui.test_publishing_ui import page, upload

TEE_VARIANTS = {
    "variants": [
        {"id": 12100, "title": "White / S", "options": {"color": "White", "size": "S"}},
        {"id": 12101, "title": "Black / S", "options": {"color": "Black", "size": "S"}},
    ]
}


def previews_section(text: str) -> str:
    match = re.search(r'<section id="previews".*?</section>', text, re.S)
    assert match, "the page has no previews section"
    return match.group(0)


def figure_of(section: str, template_id: str) -> str:
    match = re.search(
        rf'<figure class="preview" data-template-id="{template_id}".*?</figure>', section, re.S
    )
    assert match, f"no preview of template {template_id}"
    return match.group(0)


def test_every_template_gets_a_preview_the_session_can_load(
    client, login, admin_headers, make_template
):
    image_id = upload(client, admin_headers)
    tee, poster = (
        make_template("Tee, front"),
        make_template("Poster", placeholder={"width": 300, "height": 400}),
    )
    login(client, "viewer")
    section = previews_section(page(client, f"/review/images/{image_id}"))
    for template_id in (tee, poster):
        source = re.search(
            r'<img class="preview-image" src="([^"]+)"', figure_of(section, template_id)
        ).group(1)
        assert source.startswith(
            f"/api/v2/images/{image_id}/preview?template_id={template_id}&variant_id="
        )
        picture = client.get(source)
        assert picture.status_code == 200
        assert picture.mimetype == "image/webp"


def test_each_catalog_colour_gets_a_swatch_linking_its_own_preview(
    app, client, login, admin_headers, make_template
):
    image_id = upload(client, admin_headers)
    template_id = make_template("Tee, front")
    with app.app_context():
        db.session.add(CatalogEntry(key="variants:6:99", data=TEE_VARIANTS))
        db.session.commit()
    login(client, "viewer")
    figure = figure_of(previews_section(page(client, f"/review/images/{image_id}")), template_id)
    swatches = re.findall(
        r'<a class="swatch" href="([^"]+)"[^>]*aria-pressed="(\w+)" title="([^"]+)"', figure
    )
    assert [(title, pressed) for _, pressed, title in swatches] == [
        ("White", "true"),
        ("Black", "false"),
    ]
    assert [href.rsplit("=", 1)[1] for href, _, _ in swatches] == ["12100", "12101"]
    white, black = (client.get(href) for href, _, _ in swatches)
    assert white.status_code == black.status_code == 200
    assert white.headers["ETag"] != black.headers["ETag"]


def test_a_product_without_colours_shows_no_swatches(client, login, admin_headers, make_template):
    image_id = upload(client, admin_headers)
    template_id = make_template("Tee, front")
    login(client, "viewer")
    figure = figure_of(previews_section(page(client, f"/review/images/{image_id}")), template_id)
    assert 'class="swatch"' not in figure


def test_without_templates_the_previews_section_says_so(client, login, admin_headers):
    image_id = upload(client, admin_headers)
    login(client, "admin")
    section = previews_section(page(client, f"/review/images/{image_id}"))
    assert "No product templates yet" in section
    assert 'href="/templates"' in section
