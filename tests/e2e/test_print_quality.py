"""Quality warnings over real HTTP (gunicorn + worker): a generated design carries no
print-resolution warning until a product template it would print soft on exists, and then every
web process says so at once, with no reprocessing of the image."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Gateway
from tests.e2e.publishing import unchecked_template

pytestmark = pytest.mark.e2e


def _flagged(gateway: Gateway) -> set[str]:
    listing = gateway.get("/api/v2/images", params={"has_warnings": "true", "limit": 200}).json()
    return {item["id"] for item in listing["items"]}


def test_a_template_that_would_print_the_design_soft_brings_its_warning(gateway: Gateway) -> None:
    job = gateway.wait_job(gateway.generate(prompt="botanical badge", width=1024, height=1024))
    [image_id] = job["image_ids"]
    assert gateway.get(f"/api/v1/images/{image_id}").json()["quality"]["warnings"] == []
    assert image_id not in _flagged(gateway)

    mug = unchecked_template(
        gateway,
        "Mug e2e",
        blueprint_id=68,
        print_provider_id=1,
        variant={"id": 33719, "price": 1499},
        size=(2700, 1120),
    )

    quality = gateway.get(f"/api/v1/images/{image_id}").json()["quality"]
    assert quality["warnings"] == [
        "prints soft on “Mug e2e”: 114 DPI, below 300 (1024 px for a design 2700 px wide)"
    ]
    assert quality["info"]["soft_on"][0]["template_id"] == mug["id"]
    assert image_id in _flagged(gateway)
    readiness = gateway.get(f"/api/v1/templates/{mug['id']}/readiness/{image_id}").json()
    assert readiness["upscale_for_print"] == {
        "needed": True,
        "factor": 4,
        "reachable": True,
        "allowed": [2, 4],
    }
