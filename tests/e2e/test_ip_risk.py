"""The IP-risk screen over real HTTP (gunicorn, a job worker, the Printify emulator), under both
policies: `flag` marks the images and holds their publishing until acknowledged with a note;
`refuse` turns a flagged generate or edit away with 400, with the terms of IP_RISK_TERMS_FILE too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import emulator_stats
from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway
from tests.e2e.publishing import printify_env, publish, sticker_template, wait_final
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e


def _generated(gateway: Gateway, prompt: str) -> str:
    job = gateway.wait_job(gateway.generate(prompt=prompt, width=256, height=256, seed=5))
    assert job["status"] == "completed", job
    return job["image_ids"][0]


def test_flag_marks_the_image_and_publishing_needs_an_acknowledged_note(
    module_gateways: GatewayFactory, printify_emulator: EmulatorProcess
):
    printify_emulator.configure(reset=True)
    gateway = module_gateways(printify_env(printify_emulator), web_workers=1)
    flagged = _generated(gateway, "N1KE running club, retro badge")
    clean = _generated(gateway, "running club, retro badge")
    assert gateway.get(f"/api/v1/images/{flagged}").json()["risk"] == {"ip": ["nike"]}
    listed = gateway.get("/api/v2/images", params={"risk": "ip"}).json()["items"]
    assert [item["id"] for item in listed] == [flagged]

    template = sticker_template(gateway, "Sticker, IP risk")
    approved = gateway.post("/api/v1/batch/approve", json={"image_ids": [flagged, clean]})
    assert approved.json()["counts"]["successful"] == 2
    body = {"template_id": template["id"], "allow_low_resolution": True}
    refused = gateway.post(f"/api/v1/images/{flagged}/publish", json=body)
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["details"]["terms"]) == ("IP_RISK", ["nike"])
    problem = gateway.post(f"/api/v2/images/{flagged}/publish", json=body)
    assert problem.status_code == 409
    assert problem.headers["Content-Type"].startswith("application/problem+json")
    assert emulator_stats(printify_emulator)["products"] == 0

    accepted = publish(
        gateway, flagged, template["id"], acknowledge_risk=True, note="licensed, PO 1234"
    )
    [done] = wait_final(gateway, [accepted["publication_id"]], timeout=90)
    assert done["status"] == "published", done
    history = gateway.get(f"/api/v1/images/{flagged}").json()["history"]
    assert any(
        entry["action"] == "ip_risk_acknowledged" and entry["note"] == "licensed, PO 1234"
        for entry in history
    )
    # A listing edit screens again: the clean image's new title flags it.
    edited = gateway.request("PATCH", f"/api/v1/images/{clean}", json={"title": "Pikachu run"})
    assert edited.json()["risk"] == {"ip": ["pikachu"]}


def test_refuse_turns_flagged_generations_and_edits_away(
    module_gateways: GatewayFactory, tmp_path: Path
):
    terms = tmp_path / "terms.txt"
    terms.write_text("# the shop's own list\nAcme Rockets\n", encoding="utf-8")
    gateway = module_gateways(
        {"IP_RISK_POLICY": "refuse", "IP_RISK_TERMS_FILE": str(terms)}, web_workers=1
    )
    for prompt, term in [("M i c k e y surf club", "mickey"), ("ACME-rockets tee", "acme rockets")]:
        refused = gateway.post("/api/v1/generate", json={"prompt": prompt})
        assert refused.status_code == 400, refused.text
        assert term in refused.json()["details"]["fields"]["prompt"]
    source = _generated(gateway, "paper rocket in the sky")
    edit = gateway.post("/api/v1/edit", json={"image_id": source, "instruction": "add Darth Vader"})
    assert edit.status_code == 400
    assert "darth vader" in edit.json()["error"]
    assert gateway.get(f"/api/v1/images/{source}").json()["risk"] is None


def test_a_malformed_terms_file_stops_the_start_with_the_file_and_line(tmp_path: Path):
    terms = tmp_path / "terms.txt"
    terms.write_bytes(b"fine\n\xff\n")
    gateway = Gateway(tmp_path / "state", {"IP_RISK_TERMS_FILE": str(terms)})
    (gateway.state_dir / "prometheus").mkdir(parents=True)
    result = gateway.flask("config", "check", check=False)
    assert result.returncode != 0
    assert "IP_RISK_TERMS_FILE" in result.stderr
    assert f"{terms}: not UTF-8 text" in result.stderr
