"""The IP-risk screen through API v1: `risk` on images, the `risk=ip` filter, 409 IP_RISK at
publish unless acknowledged with a note (audited), and the `refuse` policy's 400."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.app.accounts import service as accounts
from gateway.app.audit.models import AuditEntry
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from tests.conftest import ALL_SCOPES, TEE_TEMPLATE, artwork, make_settings
from tests.support import running_app

OFFLINE_TEMPLATE = {**TEE_TEMPLATE, "placeholder": {"width": 900, "height": 1080}}


def upload(client: FlaskClient, headers: dict, *, title: str = "", seed: int = 1) -> dict:
    response = client.post(
        "/api/v1/images",
        headers=headers,
        data={"file": (io.BytesIO(artwork(512, 512, seed=seed)), "d.png"), "title": title},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def generate(client: FlaskClient, headers: dict, prompt: str) -> list[str]:
    body = {"prompt": prompt, "width": 128, "height": 128, "seed": 3}
    response = client.post("/api/v1/generate", headers=headers, json=body)
    assert response.status_code == 202, response.get_json()
    job = client.get(f"/api/v1/jobs/{response.get_json()['job_id']}", headers=headers)
    return job.get_json()["image_ids"]


def test_a_generated_image_names_the_terms_of_its_prompt(client, admin_headers):
    flagged = generate(client, admin_headers, "M1ckey surf club at sunset")[0]
    clean = generate(client, admin_headers, "retro surf club at sunset")[0]
    assert client.get(f"/api/v1/images/{flagged}", headers=admin_headers).get_json()["risk"] == {
        "ip": ["mickey"]
    }
    assert client.get(f"/api/v1/images/{clean}", headers=admin_headers).get_json()["risk"] is None


def test_an_upload_is_screened_and_a_listing_edit_screens_again(client, admin_headers):
    image = upload(client, admin_headers, title="Pikachu beach day")
    assert image["risk"] == {"ip": ["pikachu"]}
    url = f"/api/v1/images/{image['id']}"
    edited = client.patch(url, headers=admin_headers, json={"title": "Beach day"}).get_json()
    assert edited["risk"] is None
    edited = client.patch(url, headers=admin_headers, json={"tags": ["n i k e", "beach"]})
    assert edited.get_json()["risk"] == {"ip": ["nike"]}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_list_filters_flagged_images(client, admin_headers, version):
    flagged = upload(client, admin_headers, title="Darth Vader helmet", seed=1)["id"]
    upload(client, admin_headers, title="Helmet", seed=2)
    response = client.get(f"/api/{version}/images?risk=ip", headers=admin_headers)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["id"] for item in items] == [flagged]
    assert items[0]["risk"] == {"ip": ["darth vader"]}
    assert client.get(f"/api/{version}/images?risk=", headers=admin_headers).status_code == 400
    assert client.get(f"/api/{version}/images?risk=dpi", headers=admin_headers).status_code == 400


def _approved(client: FlaskClient, headers: dict, title: str, seed: int = 1) -> str:
    image_id = upload(client, headers, title=title, seed=seed)["id"]
    approved = client.post(f"/api/v1/images/{image_id}/approve", headers=headers, json={})
    assert approved.status_code == 200
    return image_id


def test_publishing_a_flagged_image_needs_an_acknowledgement_with_a_note(client, admin_headers):
    template = client.post("/api/v1/templates", headers=admin_headers, json=OFFLINE_TEMPLATE)
    template_id = template.get_json()["id"]
    image_id = _approved(client, admin_headers, "Gucci snake")
    url = f"/api/v1/images/{image_id}/publish"
    refused = client.post(url, headers=admin_headers, json={"template_id": template_id})
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "IP_RISK"
    assert refused.get_json()["details"]["terms"] == ["gucci"]
    no_note = {"template_id": template_id, "acknowledge_risk": True}
    assert client.post(url, headers=admin_headers, json=no_note).status_code == 400
    body = {**no_note, "note": "licensed from the brand, contract 42"}
    accepted = client.post(url, headers=admin_headers, json=body)
    assert accepted.status_code == 202, accepted.get_json()
    assert accepted.get_json()["dry_run"] is True
    history = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()["history"]
    acknowledged = [entry for entry in history if entry["action"] == "ip_risk_acknowledged"]
    assert [entry["note"] for entry in acknowledged] == ["licensed from the brand, contract 42"]
    assert acknowledged[0]["details"]["terms"] == ["gucci"]


def test_batch_publish_reports_flagged_images_per_item(client, admin_headers):
    template = client.post("/api/v1/templates", headers=admin_headers, json=OFFLINE_TEMPLATE)
    template_id = template.get_json()["id"]
    flagged = _approved(client, admin_headers, "Hello Kitty bow", seed=1)
    clean = _approved(client, admin_headers, "Bow", seed=2)
    body = {"image_ids": [flagged, clean], "template_id": template_id}
    result = client.post("/api/v1/batch/publish", headers=admin_headers, json=body).get_json()
    assert result["successful"] == [clean]
    assert result["failed"][0]["image_id"] == flagged
    assert result["failed"][0]["error"]["code"] == "IP_RISK"
    body = {**body, "image_ids": [flagged], "acknowledge_risk": True, "note": "parody, cleared"}
    result = client.post("/api/v1/batch/publish", headers=admin_headers, json=body).get_json()
    assert result["successful"] == [flagged]
    with client.application.app_context():
        notes = db.session.scalars(
            select(AuditEntry.note).where(
                AuditEntry.entity_id == flagged, AuditEntry.action == "ip_risk_acknowledged"
            )
        ).all()
    assert notes == ["parody, cleared"]


@pytest.fixture(scope="module")
def refusing_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    terms = Path(tmp_path_factory.mktemp("terms")) / "terms.txt"
    terms.write_text("# a client's competitor\nAcme Rockets\n", encoding="utf-8")
    settings = make_settings(
        tmp_path_factory.mktemp("refuse"), IP_RISK_POLICY="refuse", IP_RISK_TERMS_FILE=str(terms)
    )
    with running_app(settings) as application:
        yield application


def test_the_refuse_policy_refuses_a_flagged_generate_or_edit(refusing_app):
    client = refusing_app.test_client()
    with refusing_app.app_context():
        key = accounts.create_key(
            db.session, "t", plan="enterprise", scopes=ALL_SCOPES, actor=SYSTEM
        )
    headers = {"X-API-Key": key.secret}
    for prompt, term in [("B4tman in the rain", "batman"), ("acme-rockets logo", "acme rockets")]:
        refused = client.post("/api/v1/generate", headers=headers, json={"prompt": prompt})
        assert refused.status_code == 400
        assert term in refused.get_json()["error"]
        assert term in refused.get_json()["details"]["fields"]["prompt"]
    image_id = generate(client, headers, "a fox in the snow")[0]
    edit = {"image_id": image_id, "instruction": "give it Mickey ears"}
    refused = client.post("/api/v1/edit", headers=headers, json=edit)
    assert refused.status_code == 400
    assert "mickey" in refused.get_json()["details"]["fields"]["instruction"]
    v2 = client.post(
        "/api/v2/generate",
        headers={**headers, "Idempotency-Key": "k1"},
        json={"prompt": "nike shoes"},
    )
    assert v2.status_code == 400
    assert "nike" in v2.get_json()["detail"]
