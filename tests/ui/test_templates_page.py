"""/templates: admin-only product templates, made offline (typed ids and print area) or by walking
the cached catalog; the service's refusals shown next to the fields; edit, delete, refresh."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from gateway.app.database import utcnow
from gateway.app.extensions import db
from gateway.app.publishing.models import CatalogEntry, ProductTemplate
from tests.ui.conftest import csrf_token

BLUEPRINTS = [
    {"id": 6, "title": "Unisex Jersey Short Sleeve Tee", "brand": "Bella+Canvas", "model": "3001"},
    {"id": 384, "title": "Poster", "brand": "Generic brand", "model": "Matte Vertical Poster"},
]
PROVIDERS = [{"id": 99, "title": "Printify Choice"}, {"id": 29, "title": "Monster Digital"}]
TEE_AREAS = [
    {"position": "front", "width": 4500, "height": 5400},
    {"position": "back", "width": 4500, "height": 5400},
]
VARIANTS = {
    "id": 99,
    "title": "Printify Choice",
    "variants": [
        {
            "id": 12100 + index,
            "title": f"White / {size}",
            "options": {"color": "White", "size": size},
            "placeholders": TEE_AREAS,
        }
        for index, size in enumerate(("S", "M", "L", "XL"))
    ],
}


@pytest.fixture
def admin(client, login):
    return login(client, "admin")


@pytest.fixture
def cached_catalog(app):
    """The catalog answers for blueprint 6 and provider 99, as if fetched from Printify just now."""
    with app.app_context():
        for key, data in (
            ("blueprints", BLUEPRINTS),
            ("providers:6", PROVIDERS),
            ("variants:6:99", VARIANTS),
        ):
            db.session.add(CatalogEntry(key=key, data=data, fetched_at=utcnow()))
        db.session.commit()


def offline_form(**fields):
    """A typed (offline) template form: ids, variant lines and the print area."""
    return {
        "name": "Tee, front",
        "blueprint_id": "6",
        "print_provider_id": "99",
        "variant_input": "typed",
        "variant_lines": "12100 24.99\n12101\n12102, 26.5",
        "default_price": "25",
        "position": "front",
        "placement_x": "0.5",
        "placement_y": "0.45",
        "placement_scale": "0.8",
        "placement_angle": "0",
        "placeholder_width": "4500",
        "placeholder_height": "5400",
        "title_template": "{title} | Graphic Tee",
        "description_template": "{description}",
        "tags": "tee, retro",
        **fields,
    }


def post(client, url, data):
    token = csrf_token(client.get("/templates").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def stored(app):
    with app.app_context():
        rows = db.session.scalars(select(ProductTemplate).order_by(ProductTemplate.name)).all()
        db.session.expunge_all()
        return rows


def field_error(text, field):
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', text)
    return html.unescape(match.group(1)) if match else None


def assert_no_inline_code(text):
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", text)), "inline <script>"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "on* handler attribute"


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_non_admins_are_refused_the_templates_pages(client, login, make_template, role):
    template_id = make_template()
    token = login(client, role)
    for path in ("/templates", f"/templates/{template_id}", f"/templates/{template_id}/delete"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.mimetype == "text/html"
    refused = client.post("/templates", data={**offline_form(name="Sneaky"), "csrf_token": token})
    assert refused.status_code == 403


def test_only_admins_see_the_templates_link(client, login):
    login(client, "reviewer")
    assert 'href="/templates"' not in client.get("/review").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/review").get_data(True))})
    login(client, "admin")
    assert 'href="/templates"' in client.get("/review").get_data(as_text=True)


# --- offline: typed ids and print area -----------------------------------------------------------


def test_without_printify_the_page_says_so_and_asks_for_ids_and_print_area(client, admin):
    text = client.get("/templates").get_data(as_text=True)
    assert 'data-catalog="offline"' in text and "Printify is offline" in text
    for name in ("blueprint_id", "print_provider_id", "variant_lines", "placeholder_width"):
        assert f'name="{name}"' in text, name
    assert 'name="variant_input" type="hidden" value="typed"' in text
    assert "No templates yet" in text
    assert_no_inline_code(text)


def test_an_admin_creates_a_template_offline_with_prices_in_cents(app, client, admin):
    response = post(client, "/templates", offline_form())
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    (template,) = stored(app)
    assert template.variants == [
        {"id": 12100, "price": 2499},
        {"id": 12101, "price": 2500},
        {"id": 12102, "price": 2650},
    ]
    assert (template.placeholder_width, template.placeholder_height) == (4500, 5400)
    assert template.placement == {"x": 0.5, "y": 0.45, "scale": 0.8, "angle": 0.0}
    assert template.tags == ["tee", "retro"]
    assert template.catalog_checked_at is None
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "created unchecked" in listing
    row = re.search(rf'<tr data-template-id="{template.id}">(.*?)</tr>', listing, re.S).group(1)
    assert "Tee, front" in row and ">3<" in row
    assert "24.99 \N{EN DASH} 26.50" in row
    assert "unchecked" in row and "4500\N{MULTIPLICATION SIGN}5400" in row


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"placeholder_width": "", "placeholder_height": ""}, "placeholder_width", "is required"),
        ({"placement_scale": "40"}, "placement_scale", "between 0.01 and 10"),
        ({"blueprint_id": "tee"}, "blueprint_id", "must be an integer"),
        ({"title_template": "{colour} tee"}, "title_template", "unknown placeholder"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_the_services_refusals_show_next_to_their_fields(client, admin, fields, field, message):
    response = post(client, "/templates", offline_form(**fields))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in (field_error(text, field) or ""), text[:3000]
    assert 'aria-invalid="true"' in text
    assert "12100 24.99" in text  # what was typed stays


def test_a_price_that_is_not_a_decimal_is_refused_by_line(app, client, admin):
    lines = "12100 24,99.0\n12101 abc\n12102 1e30\n12103 2.499"
    response = post(client, "/templates", offline_form(variant_lines=lines))
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "Line 1: write a variant id, then optionally its price." in text
    assert "Line 2: 'abc' is not a price like 24.99." in text
    assert "Line 3: '1e30' is not a price like 24.99." in text
    assert "Line 4: '2.499' is not a price like 24.99." in text
    assert stored(app) == []


def test_a_variant_the_service_refuses_is_named_by_its_id(client, admin):
    response = post(client, "/templates", offline_form(variant_lines="12100 24.99\nabc 20\n12100"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Variant abc: must be an integer" in text


def test_a_price_the_service_refuses_is_named_with_its_unit(client, admin):
    response = post(client, "/templates", offline_form(variant_lines="12100 -1"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Variant 12100 price (cents): must be between 0 and 10000000" in text


def test_a_taken_name_is_a_409_shown_next_to_the_name(app, client, admin, make_template):
    make_template("Tee, front")
    response = post(client, "/templates", offline_form(name="tee, FRONT"))
    assert response.status_code == 409
    assert "exists" in (field_error(html.unescape(response.get_data(as_text=True)), "name") or "")
    assert len(stored(app)) == 1


# --- the catalog walk (from the cache) --------------------------------------------------------


def test_the_catalog_is_walked_blueprint_then_provider_then_variants(
    app, client, admin, cached_catalog
):
    first = client.get("/templates").get_data(as_text=True)
    assert "Printify is offline" not in first
    assert '<select id="step-blueprint" name="blueprint_id"' in first
    assert "Unisex Jersey Short Sleeve Tee · Bella+Canvas 3001 (#6)" in first
    assert (
        'name="print_provider_id"' not in first
        and '<table class="data variants-table"' not in first
    )

    second = client.get("/templates?blueprint_id=6").get_data(as_text=True)
    assert '<select id="step-provider" name="print_provider_id"' in second
    assert "Printify Choice (#99)" in second and "Monster Digital (#29)" in second
    assert 'name="variant"' not in second

    third = client.get("/templates?blueprint_id=6&print_provider_id=99").get_data(as_text=True)
    assert third.count('type="checkbox" name="variant"') == 4
    assert 'name="price-12103"' in third and "White / XL" in third and "size: XL" in third
    assert "front 4500\N{MULTIPLICATION SIGN}5400" in third
    assert '<option value="back">back</option>' in third
    assert 'name="placeholder_width"' not in third
    assert 'name="variant_input" type="hidden" value="catalog"' in third
    assert_no_inline_code(third)


def test_ticked_variants_with_their_prices_make_a_template_checked_against_the_catalog(
    app, client, admin, cached_catalog
):
    data = {
        "name": "Tee, back",
        "blueprint_id": "6",
        "print_provider_id": "99",
        "variant_input": "catalog",
        "variant": ["12100", "12103"],
        "price-12100": "",
        "price-12103": "29.99",
        "price-12101": "99",  # not ticked: ignored
        "default_price": "24.50",
        "position": "back",
    }
    response = post(client, "/templates", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    (template,) = stored(app)
    assert template.variants == [{"id": 12100, "price": 2450}, {"id": 12103, "price": 2999}]
    assert template.position == "back"
    assert template.blueprint_title == "Unisex Jersey Short Sleeve Tee"
    assert template.print_provider_title == "Printify Choice"
    assert (template.placeholder_width, template.placeholder_height) == (4500, 5400)
    assert template.catalog_checked_at is not None
    listing = client.get("/templates").get_data(as_text=True)
    assert "checked against the Printify catalog" in listing
    assert '<span class="badge ok">checked</span>' in listing


def test_catalog_refusals_keep_the_ticks_and_name_the_variant(app, client, admin, cached_catalog):
    data = {
        "name": "Tee",
        "blueprint_id": "6",
        "print_provider_id": "99",
        "variant_input": "catalog",
        "variant": ["12101"],
        "price-12101": "",
        "position": "front",
    }
    response = post(client, "/templates", data)
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "Variant 12101: give it a price" in text
    assert 'value="12101" id="variant-12101" checked' in text
    assert stored(app) == []


def test_refresh_catalog_forgets_the_cache(app, client, admin, cached_catalog):
    response = post(client, "/templates/catalog/refresh", {"blueprint_id": "6"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/templates?blueprint_id=6"
    with app.app_context():
        assert db.session.scalars(select(CatalogEntry)).all() == []
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Catalog cache cleared (3 answers)" in text
    assert "Printify is offline" in text


# --- edit and delete -----------------------------------------------------------------------------


def test_the_edit_page_is_filled_in_and_saves_changes(app, client, admin, make_template):
    template_id = make_template("Tee, front", tags=["tee"])
    page = client.get(f"/templates/{template_id}").get_data(as_text=True)
    assert 'value="Tee, front"' in page
    assert "12100 24.99\n12101 26.99" in page
    assert re.search(r'name="placeholder_width"[^>]* value="300"', page)
    response = post(
        client,
        f"/templates/{template_id}",
        offline_form(
            name="Tee, front (v2)",
            variant_lines="12100 19.99",
            placeholder_width="300",
            placeholder_height="360",
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    (template,) = stored(app)
    assert template.name == "Tee, front (v2)"
    assert template.variants == [{"id": 12100, "price": 1999}]
    assert "Template “Tee, front (v2)” saved" in client.get("/templates").get_data(as_text=True)


def test_an_invalid_edit_is_shown_on_the_edit_page_and_changes_nothing(
    app, client, admin, make_template
):
    template_id = make_template()
    response = post(client, f"/templates/{template_id}", offline_form(placement_x="9"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "between -1 and 2" in (field_error(text, "placement_x") or "")
    assert "Edit template" in text
    assert stored(app)[0].name == "Tee, front"


def test_a_template_is_deleted_after_confirming(app, client, admin, make_template):
    template_id = make_template()
    confirm = client.get(f"/templates/{template_id}/delete").get_data(as_text=True)
    assert "Delete this template?" in confirm and "Tee, front" in confirm
    response = post(client, f"/templates/{template_id}/delete", {})
    assert response.status_code == 303
    assert stored(app) == []
    assert "deleted" in client.get("/templates").get_data(as_text=True)
    assert client.get(f"/templates/{template_id}").status_code == 404
