"""Mockup previews over real HTTP: gunicorn with two web workers, a job worker, the Printify
emulator's catalog for the colours. A preview asks Printify nothing, is rendered once for every
web worker (the cache is the state folder's), and revalidates with its ETag."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.conftest import emulator_stats
from tests.e2e.conftest import GatewayFactory
from tests.e2e.publishing import browse_catalog, create_template, printify_env, template_body
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e

TEE = "Unisex Jersey Short Sleeve Tee"
# A point on the tee's body beside the print area, in the 1024 px preview.
TEE_BODY = (290, 900)


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    return image.convert("RGB")


def test_previews_show_each_catalog_colour_without_asking_printify(
    module_gateways: GatewayFactory, printify_emulator: EmulatorProcess
):
    printify_emulator.configure(reset=True)
    gateway = module_gateways(printify_env(printify_emulator), web_workers=2)
    job = gateway.wait_job(gateway.generate(prompt="retro sunset", width=256, height=256, seed=3))
    assert job["status"] == "completed", job
    [image_id] = job["image_ids"]
    catalog = browse_catalog(gateway, TEE)
    colour_of = {variant["id"]: variant["options"]["color"] for variant in catalog["variants"]}
    template = create_template(gateway, template_body(catalog, "Tee preview"))
    white = next(v["id"] for v in template["variants"] if colour_of[v["id"]] == "White")
    black = next(v["id"] for v in template["variants"] if colour_of[v["id"]] == "Black")
    printify_calls = emulator_stats(printify_emulator)["requests"]

    url = f"/api/v2/images/{image_id}/preview"
    shown = {}
    for variant_id in (white, black):
        response = gateway.get(
            url, params={"template_id": template["id"], "variant_id": variant_id}
        )
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "image/webp"
        shown[variant_id] = response
    assert min(picture(shown[white].content).getpixel(TEE_BODY)) > 230
    assert max(picture(shown[black].content).getpixel(TEE_BODY)) < 50
    assert shown[white].headers["ETag"] != shown[black].headers["ETag"]

    cache = gateway.state_dir / "cache" / "previews"
    assert len(list(cache.glob("*.webp"))) == 2
    for _ in range(6):  # both web workers answer: the same bytes, from the one cache
        again = gateway.get(url, params={"template_id": template["id"], "variant_id": black})
        assert again.content == shown[black].content
    assert len(list(cache.glob("*.webp"))) == 2
    revalidated = gateway.get(
        url,
        params={"template_id": template["id"], "variant_id": black},
        headers={"If-None-Match": shown[black].headers["ETag"]},
    )
    assert revalidated.status_code == 304
    assert emulator_stats(printify_emulator)["requests"] == printify_calls

    outside = gateway.get(url, params={"template_id": template["id"], "variant_id": 45740})
    assert outside.status_code == 400
    assert [error["field"] for error in outside.json()["errors"]] == ["variant_id"]
    unknown = gateway.get(url, params={"template_id": "tpl_unknown"})
    assert unknown.status_code == 404
