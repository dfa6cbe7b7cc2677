"""The detail page's Upscale buttons: the factor that reaches the print DPI at each template, and
the job they queue (htmx gets its notice, a plain post a flash message and the page again)."""

from __future__ import annotations

import html
import io
import re

import pytest

from gateway.app.extensions import db
from gateway.app.generation.models import GenerationJob
from gateway.app.images.models import Image
from tests.conftest import artwork

X = "\N{MULTIPLICATION SIGN}"


@pytest.fixture
def key(make_key):
    return {"X-API-Key": make_key()}


def upload(client, headers, width: int) -> str:
    payload = {"file": (io.BytesIO(artwork(width, width)), "design.png")}
    response = client.post(
        "/api/v1/images", data=payload, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def upscale_block(text: str, template_id: str) -> str:
    """The readiness list's entry of one template."""
    section = re.search(r'<section id="template-readiness".*?</section>', text, re.S)
    assert section, "the page has no readiness section"
    items = section.group(0).split('<li class="readiness"')
    found = [item for item in items if f'data-template-id="{template_id}"' in item]
    assert found, f"template {template_id} is not on the page"
    return found[0]


def test_each_template_offers_the_upscale_that_reaches_its_print_dpi(
    client, login, key, make_template
):
    image_id = upload(client, key, 100)
    small = make_template("Sticker", placeholder={"width": 100, "height": 100})
    tee = make_template("Tee", placeholder={"width": 300, "height": 360})
    poster = make_template("Poster", placeholder={"width": 400, "height": 600})
    huge = make_template("Banner", placeholder={"width": 4000, "height": 900})
    login(client, "reviewer")
    text = html.unescape(client.get(f"/review/images/{image_id}").get_data(as_text=True))

    assert "Prints at 300 DPI as it is." in upscale_block(text, small)
    tee_block = upscale_block(text, tee)
    assert f"Upscale {X}4 reaches 300 DPI here (400.0 DPI)." in tee_block
    assert 'data-upscale-factor="4"' in tee_block
    assert re.search(rf'data-factor="4" class="primary">Upscale {X}4<', tee_block)
    assert f'data-factor="2">Upscale {X}2<' in tee_block
    assert 'data-upscale-factor="4"' in upscale_block(text, poster)
    assert f"Even {X}4 stays below 300 DPI here (30.0 DPI)." in upscale_block(text, huge)


def test_a_viewer_sees_the_advice_without_buttons(client, login, key, make_template):
    image_id = upload(client, key, 100)
    template = make_template()
    login(client, "viewer")
    block = upscale_block(client.get(f"/review/images/{image_id}").get_data(as_text=True), template)
    assert "reaches 300 DPI" in block
    assert 'data-action="upscale"' not in block


def test_upscale_from_the_page_queues_a_job_whose_child_is_pending(
    app, client, login, key, make_template
):
    image_id = upload(client, key, 100)
    make_template()
    token = login(client, "reviewer")
    response = client.post(
        f"/review/images/{image_id}/upscale",
        data={"factor": "4"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 202
    notice = html.unescape(response.get_data(as_text=True))
    assert f"Upscale {X}4" in notice
    job_id = re.search(r'data-job-id="([^"]+)"', notice).group(1)
    with app.app_context():
        job = db.session.get(GenerationJob, job_id)
        assert (job.mode, job.source_image_id, job.requested_by) == (
            "upscale",
            image_id,
            "reviewer-op",
        )
        child = db.session.query(Image).filter_by(job_id=job_id).one()
        assert (child.parent_id, child.status, child.width) == (image_id, "pending", 400)
    queue = client.get("/review").get_data(as_text=True)
    card = re.search(rf'data-image-id="{child.id}".*?</article>', queue, re.S).group(0)
    assert 'title="made by an upscale">upscale</span>' in card
    parent = html.unescape(client.get(f"/review/images/{image_id}").get_data(as_text=True))
    assert f"{X}4 upscale" in parent


def test_a_plain_form_post_flashes_the_job_and_returns_to_the_page(app, client, login, key):
    image_id = upload(client, key, 100)
    token = login(client, "reviewer")
    response = client.post(
        f"/review/images/{image_id}/upscale", data={"factor": "2", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/review/images/{image_id}")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert re.search(rf"Upscale {X}2 job job_\w+ queued", page)


@pytest.mark.parametrize("factor", ["3", "", "four"])
def test_another_factor_is_refused_with_the_reason(client, login, key, factor):
    image_id = upload(client, key, 100)
    token = login(client, "reviewer")
    response = client.post(
        f"/review/images/{image_id}/upscale",
        data={"factor": factor},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "factor must be one of: 2, 4" in response.get_data(as_text=True)


def _badge(text: str, image_id: str) -> tuple[str, ...]:
    card = re.search(rf'data-image-id="{image_id}".*?</article>', text, re.S)
    assert card, f"no card for {image_id}"
    return re.search(r'<span class="badge quality (\w+)">([^<]*)<', card.group(0)).groups()


def test_the_queue_badge_warns_only_when_a_template_would_print_soft(
    client, login, key, make_template
):
    small = upload(client, key, 200)
    large = upload(client, key, 600)
    login(client, "reviewer")
    before = client.get("/review").get_data(as_text=True)
    assert _badge(before, small) == ("bad", "not printable")
    assert _badge(before, large) == ("ok", "print-ready")

    make_template("Tee", placeholder={"width": 600, "height": 720})
    make_template("Sticker", placeholder={"width": 300, "height": 300})
    after = client.get("/review").get_data(as_text=True)
    assert _badge(after, large) == ("ok", "print-ready")
    flagged = client.get("/review?warnings=yes").get_data(as_text=True)
    assert f'data-image-id="{small}"' in flagged and f'data-image-id="{large}"' not in flagged

    make_template("Poster", placeholder={"width": 1200, "height": 1800})
    later = client.get("/review").get_data(as_text=True)
    assert _badge(later, large) == ("warn", "soft on 1 product")
    detail = html.unescape(client.get(f"/review/images/{large}").get_data(as_text=True))
    assert "prints soft on “Poster”: 150 DPI, below 300" in detail
