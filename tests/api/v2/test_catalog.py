"""The catalog when the gateway's own Printify budget is spent: a 503 that says when to come back,
never a 500, and a stored answer still served."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.clients.pacing import CATALOG
from gateway.app.extensions import db
from tests.conftest import make_settings
from tests.emulators.printify import SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess
from tests.support import running_app

VARIANTS = "/api/v2/catalog/blueprints/{blueprint}/print_providers/{provider}/variants"


def spend_catalog_budget(app: Flask) -> None:
    pacer = app.extensions["publishing"].pacer
    while pacer.remaining()[CATALOG] > 0:
        pacer.acquire([CATALOG], max_wait=0)


def test_a_spent_catalog_budget_is_a_503_with_retry_after_not_a_500(
    live_app: Flask, live_client: FlaskClient, live_headers: dict[str, str]
) -> None:
    spend_catalog_budget(live_app)
    response = live_client.get(VARIANTS.format(blueprint=5, provider=1), headers=live_headers)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["details"] == {"printify_budget": CATALOG}
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_a_spent_catalog_budget_still_serves_the_stored_answer(
    tmp_path: Path, printify_emulator: EmulatorProcess
) -> None:
    settings = make_settings(
        tmp_path,
        PRINTIFY_API_TOKEN=TOKEN,
        PRINTIFY_SHOP_ID=str(SHOP_ID),
        PRINTIFY_BASE_URL=f"{printify_emulator.url}/v1",
        CATALOG_CACHE_SECONDS=0,  # every stored answer is stale at once
    )
    with running_app(settings) as app:
        with app.app_context():
            headers = {
                "X-API-Key": accounts.create_key(
                    db.session, "stale", plan="enterprise", scopes=["read"], actor=SYSTEM
                ).secret
            }
        client = app.test_client()
        fresh = client.get("/api/v2/catalog/blueprints", headers=headers)
        assert fresh.status_code == 200
        spend_catalog_budget(app)
        stale = client.get("/api/v2/catalog/blueprints", headers=headers)
        assert stale.status_code == 200
        assert stale.get_json() == fresh.get_json()
