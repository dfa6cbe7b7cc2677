"""/templates: a markup rule chosen on the form, price/cost/profit/margin per variant on the
template's page, and "Refresh costs" (CSRF-protected; without Printify it says why it cannot)."""

from __future__ import annotations

import re

import pytest

from gateway.app.publishing import pricing
from tests.ui.conftest import csrf_token
from tests.ui.test_publishing_ui import page, upload
from tests.ui.test_templates_page import field_error, offline_form, post, stored

LEARNED = {
    "id": "probe",
    "blueprint_id": 6,
    "print_provider_id": 99,
    "variants": [
        {"id": 12100, "cost": 1150, "title": "White / S"},
        {"id": 12101, "cost": 1150, "title": "White / M"},
    ],
}
SHIPPING = {
    "profiles": [{"variant_ids": [12100, 12101], "first_item": {"cost": 475}, "countries": ["US"]}]
}


@pytest.fixture
def admin(client, login):
    return login(client, "admin")


def rule_form(**fields):
    rule = {
        "variant_lines": "12100\n12101 30.00",
        "price_mode": "rule",
        "markup_percent": "100",
        "round_to_cents": "99",
        "min_profit": "8.00",
    }
    return offline_form(**(rule | fields))


def test_a_markup_rule_is_saved_and_blank_prices_follow_it(app, client, admin):
    response = post(client, "/templates", rule_form())
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    (template,) = stored(app)
    assert template.variants == [{"id": 12100}, {"id": 12101, "price": 3000}]
    assert template.pricing == {
        "markup_percent": 100.0,
        "round_to_cents": 99,
        "min_profit_cents": 800,
    }
    edit = client.get(f"/templates/{template.id}").get_data(as_text=True)
    assert 'checked id="price_mode-1" name="price_mode" type="radio" value="rule"' in edit
    assert re.search(r'<input[^>]*name="markup_percent"[^>]*value="100"', edit)
    assert re.search(r'<input[^>]*name="min_profit"[^>]*value="8.00"', edit)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"markup_percent": "5000"}, "markup_percent", "between 0 and 1000"),
        ({"markup_percent": "-5"}, "markup_percent", "between 0 and 1000"),
        ({"round_to_cents": "120"}, "round_to_cents", "between 0 and 99"),
        ({"min_profit": "three"}, "min_profit", "not an amount like 3.00"),
    ],
)
def test_an_absurd_rule_is_refused_next_to_its_field(app, client, admin, fields, field, message):
    response = post(client, "/templates", rule_form(**fields))
    assert response.status_code == 400
    assert message in (field_error(response.get_data(as_text=True), field) or "")
    assert stored(app) == []


def test_the_template_page_shows_price_cost_profit_and_margin_per_variant(app, client, admin):
    post(client, "/templates", rule_form())
    (template,) = stored(app)
    unknown = client.get(f"/templates/{template.id}").get_data(as_text=True)
    assert re.search(r'<tr data-variant-id="12100" data-known="false"', unknown)
    engine = app.extensions["publishing"].writer
    pricing.learn_product(engine, LEARNED)
    pricing.learn_shipping(engine, 6, 99, SHIPPING, "US")
    page = client.get(f"/templates/{template.id}").get_data(as_text=True)
    row = re.search(r'<tr data-variant-id="12100"[^>]*>(.*?)</tr>', page, re.S).group(1)
    cells = [cell.strip() for cell in re.findall(r"<td class=\"num[^\"]*\">([^<]*)", row)]
    assert cells == ["23.99", "11.50", "4.75", "7.74", "32.3 %"]
    assert "below minimum" in row
    dear = re.search(r'<tr data-variant-id="12101"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert "30.00" in dear and "13.75" in dear and "below minimum" not in dear


def test_refresh_costs_needs_the_csrf_token_and_says_printify_is_not_configured(app, client, admin):
    post(client, "/templates", rule_form())
    (template,) = stored(app)
    url = f"/templates/{template.id}/pricing/refresh"
    assert client.post(url, data={}).status_code == 403
    token = csrf_token(client.get(f"/templates/{template.id}").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "Costs could not be learned" in response.get_data(as_text=True)
    assert "Printify is not configured" in response.get_data(as_text=True)


def test_the_review_detail_page_shows_price_cost_and_profit_per_template(
    app, client, login, make_key, make_template
):
    image_id = upload(client, {"X-API-Key": make_key()})
    explicit = make_template("Tee, front")
    by_rule = make_template(
        "Tee by rule",
        variants=[{"id": 12100}],
        pricing={"markup_percent": 100, "min_profit_cents": 800},
    )
    pricing.learn_product(app.extensions["publishing"].writer, LEARNED)
    login(client, "viewer")
    text = page(client, f"/review/images/{image_id}")
    section = re.search(r'<section id="template-pricing".*?</section>', text, re.S).group(0)
    tee = re.search(rf'data-template-id="{explicit}".*?</table>', section, re.S).group(0)
    row = re.search(r'<tr data-variant-id="12100"[^>]*>(.*?)</tr>', tee, re.S).group(1)
    cells = [cell.strip() for cell in re.findall(r"<td class=\"num[^\"]*\">([^<]*)", row)]
    assert cells == ["24.99", "11.50", "—", "13.49", "54.0 %"]
    rule = re.search(rf'data-template-id="{by_rule}".*?</table>', section, re.S).group(0)
    assert "cost + 100 %" in rule and "23.99" in rule and "below minimum" not in rule
