"""Publishing in the review UI: readiness per template and the publish form on the detail page,
publications with their dry-run requests, retry and unpublish, and batch publish from the queue.

The test app has no Printify token, so every publication is a dry run, and its immediate queue runs
it to the end before the publish request returns.
"""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from gateway.app.extensions import db
from gateway.app.images.models import Image
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.models import Publication
from tests.conftest import artwork

MOCKUP = "https://images-api.printify.com/mockup/5f0c/12100/front.png"


@pytest.fixture
def key(make_key):
    return {"X-API-Key": make_key()}


def upload(client, headers, *, seed=1, approve=True):
    """A 300 x 300 design (300 DPI on the default 300 px wide template), approved by default."""
    payload = {"file": (io.BytesIO(artwork(300, 300, seed=seed)), "design.png")}
    response = client.post(
        "/api/v1/images", data=payload, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    image_id = response.get_json()["id"]
    if approve:
        approved = client.post(f"/api/v1/images/{image_id}/approve", json={}, headers=headers)
        assert approved.status_code == 200, approved.get_json()
    return image_id


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def publications_of(app, image_id):
    with app.app_context():
        rows = db.session.scalars(select(Publication).where(Publication.image_id == image_id)).all()
        db.session.expunge_all()
        return rows


def add_publication(app, image_id, template_id, status, **values):
    """A publication row in `status`, as the worker would have left it."""
    with app.app_context():
        template = product_templates.to_dict(product_templates.get(db.session, template_id))
        publication = Publication(
            image_id=image_id,
            template_id=template_id,
            template=template,
            status=status,
            marker=f"podgw-{status}-{image_id[-8:]}",
            created_by="reviewer-op",
            **values,
        )
        db.session.add(publication)
        db.session.commit()
        return publication.id


def publication_block(text, publication_id):
    match = re.search(
        rf'<article class="publication" data-publication-id="{publication_id}".*?</article>',
        text,
        re.S,
    )
    assert match, f"publication {publication_id} is not on the page"
    return match.group(0)


# --- the detail page -----------------------------------------------------------------------------


def test_the_detail_page_shows_print_readiness_at_every_template(client, login, key, make_template):
    image_id = upload(client, key)
    fits = make_template("Tee, front")
    poster = make_template("Poster", placeholder={"width": 4500, "height": 5400})
    login(client, "viewer")
    text = page(client, f"/review/images/{image_id}")
    section = re.search(r'<section id="template-readiness".*?</section>', text, re.S).group(0)
    tee = re.search(rf'data-template-id="{fits}".*?</li>', section, re.S).group(0)
    assert 'data-below-floor="false"' in tee and "print-ready" in tee
    assert "300.0" in tee and "none" in tee  # 300 DPI, no upscale
    big = re.search(rf'data-template-id="{poster}".*?</li>', section, re.S).group(0)
    assert 'data-below-floor="true"' in big and "below DPI floor" in big
    assert "\N{MULTIPLICATION SIGN}15.0" in big and "20.0" in big  # 15x upscale gives 20 DPI
    assert "below the 150 DPI floor" in big


def test_without_templates_the_detail_page_points_admins_to_the_templates_page(client, login, key):
    image_id = upload(client, key)
    login(client, "admin")
    text = page(client, f"/review/images/{image_id}")
    assert "No product templates yet" in text and 'href="/templates"' in text
    assert 'data-action="publish"' not in text


@pytest.mark.parametrize(("role", "sees_form"), [("viewer", False), ("reviewer", True)])
def test_only_operators_who_may_publish_get_the_publish_form(
    client, login, key, make_template, role, sees_form
):
    image_id = upload(client, key)
    make_template()
    login(client, role)
    text = page(client, f"/review/images/{image_id}")
    assert ('data-action="publish"' in text) is sees_form
    assert ('id="publish-form"' in text) is sees_form
    assert ("/publish" in text) is sees_form
    assert 'id="template-readiness"' in text


def test_a_pending_image_gets_no_publish_form(client, login, key, make_template):
    image_id = upload(client, key, approve=False)
    make_template()
    login(client, "reviewer")
    text = page(client, f"/review/images/{image_id}")
    assert 'data-action="publish"' not in text
    assert 'id="template-readiness"' in text


def test_publishing_a_dry_run_shows_the_publication_with_its_recorded_requests(
    app, client, login, key, make_template
):
    image_id = upload(client, key)
    template_id = make_template()
    token = login(client, "reviewer")
    text = page(client, f"/review/images/{image_id}")
    assert "Printify is not configured, so every publication is a dry run" in text
    response = client.post(
        f"/review/images/{image_id}/publish?q=tee",
        data={"csrf_token": token, "template_id": template_id, "dry_run": "y"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/review/images/{image_id}?q=tee#publications"
    (publication,) = publications_of(app, image_id)
    assert publication.status == "dry_run" and publication.dry_run
    text = page(client, response.headers["Location"])
    assert "Dry run with “Tee, front” queued" in text
    block = publication_block(text, publication.id)
    assert 'data-status="dry_run"' in block and ">dry run</span>" in block
    assert re.search(
        r"<summary>\d+ recorded requests \(dry run: nothing was sent\)</summary>", block
    )
    assert "POST https://api.printify.com/v1/shops/" in block
    assert '"blueprint_id": 6,' in block and '"price": 2499' in block  # pretty JSON
    assert "Retry" not in block and "Unpublish" not in block
    with app.app_context():
        assert db.session.get(Image, image_id).status == "approved"  # a dry run changes nothing


def test_below_the_dpi_floor_publishing_needs_publish_anyway(
    app, client, login, key, make_template
):
    image_id = upload(client, key)
    poster = make_template("Poster", placeholder={"width": 4500, "height": 5400})
    token = login(client, "reviewer")
    refused = client.post(
        f"/review/images/{image_id}/publish", data={"csrf_token": token, "template_id": poster}
    )
    assert refused.status_code == 400
    text = html.unescape(refused.get_data(as_text=True))
    assert "below the print DPI floor at this template. Tick “Publish anyway”" in text
    assert publications_of(app, image_id) == []
    allowed = client.post(
        f"/review/images/{image_id}/publish",
        data={"csrf_token": token, "template_id": poster, "allow_low_resolution": "y"},
    )
    assert allowed.status_code == 303
    (publication,) = publications_of(app, image_id)
    assert publication.readiness["below_floor"] is True


def test_publishing_an_image_that_is_not_approved_is_refused_on_the_page(
    app, client, login, key, make_template
):
    image_id = upload(client, key, approve=False)
    template_id = make_template()
    token = login(client, "reviewer")
    response = client.post(
        f"/review/images/{image_id}/publish",
        data={"csrf_token": token, "template_id": template_id},
    )
    assert response.status_code == 409
    assert "only approved (or publish_failed) images publish" in response.get_data(as_text=True)
    assert publications_of(app, image_id) == []


# --- publications: states, retry, unpublish ---------------------------------------------------


def test_retry_and_unpublish_buttons_appear_only_in_their_states(
    app, client, login, key, make_template
):
    image_id = upload(client, key)
    template_id = make_template()
    failed = add_publication(
        app,
        image_id,
        template_id,
        "failed",
        attempts=8,
        error_code="EXTERNAL_SERVICE_ERROR",
        error_message="gave up after 8 attempts: Printify answered 503",
    )
    published = add_publication(
        app,
        image_id,
        template_id,
        "published",
        printify_product_id="5f0c9a1b2c3d4e5f6a7b8c9d",
        mockups=[{"src": MOCKUP, "position": "front"}, {"src": "javascript:alert(1)"}],
        attempts=1,
    )
    dry_run = add_publication(app, image_id, template_id, "dry_run", dry_run=True, attempts=1)
    login(client, "reviewer")
    text = page(client, f"/review/images/{image_id}")
    failed_block = publication_block(text, failed)
    assert 'data-publication-action="retry"' in failed_block
    assert "EXTERNAL_SERVICE_ERROR" in failed_block and "gave up after 8 attempts" in failed_block
    assert 'data-publication-action="unpublish"' not in failed_block
    published_block = publication_block(text, published)
    assert 'data-publication-action="unpublish"' in published_block
    assert 'data-publication-action="retry"' not in published_block
    assert "5f0c9a1b2c3d4e5f6a7b8c9d" in published_block
    assert f'<img src="{MOCKUP}"' in published_block
    assert "javascript:" not in published_block
    dry_block = publication_block(text, dry_run)
    assert "data-publication-action" not in dry_block

    client.post("/logout", data={"csrf_token": re.search(r'csrf-token" content="([^"]+)', text)[1]})
    login(client, "viewer")
    text = page(client, f"/review/images/{image_id}")
    assert "data-publication-action" not in text
    assert 'data-status="failed"' in text and 'data-status="published"' in text


def test_a_failed_dry_run_is_retried_and_completes(app, client, login, key, make_template):
    image_id = upload(client, key)
    template_id = make_template()
    failed = add_publication(
        app,
        image_id,
        template_id,
        "failed",
        dry_run=True,
        attempts=3,
        error_code="INTERNAL_ERROR",
        error_message="boom",
    )
    token = login(client, "reviewer")
    response = client.post(f"/review/publications/{failed}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/review/images/{image_id}#publications"
    (publication,) = publications_of(app, image_id)
    assert publication.status == "dry_run" and publication.error_code is None
    assert "Publication queued again" in page(client, response.headers["Location"])


def test_retrying_a_publication_that_did_not_fail_is_refused_with_a_message(
    app, client, login, key, make_template
):
    image_id = upload(client, key)
    done = add_publication(app, image_id, make_template(), "dry_run", dry_run=True)
    token = login(client, "reviewer")
    response = client.post(f"/review/publications/{done}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Retry refused" in page(client, response.headers["Location"])


def test_unpublish_takes_a_published_product_down_and_approves_the_image_again(
    app, client, login, key, make_template
):
    image_id = upload(client, key)
    with app.app_context():
        db.session.get(Image, image_id).status = "published"
        db.session.commit()
    published = add_publication(
        app, image_id, make_template(), "published", printify_product_id="5f0c9a1b2c3d4e5f6a7b8c9d"
    )
    token = login(client, "reviewer")
    response = client.post(
        f"/review/publications/{published}/unpublish", data={"csrf_token": token}
    )
    assert response.status_code == 303
    (publication,) = publications_of(app, image_id)
    assert publication.status == "unpublished"
    with app.app_context():
        assert db.session.get(Image, image_id).status == "approved"
    assert "Product taken down" in page(client, response.headers["Location"])


def test_an_unknown_publication_is_a_404_page(client, login):
    token = login(client, "reviewer")
    response = client.post("/review/publications/pub_nope/retry", data={"csrf_token": token})
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- batch publish from the queue ---------------------------------------------------------------


@pytest.mark.parametrize(("role", "sees_it"), [("viewer", False), ("reviewer", True)])
def test_the_batch_bar_offers_publish_with_a_template_to_publishers(
    client, login, key, make_template, role, sees_it
):
    upload(client, key)
    template_id = make_template()
    login(client, role)
    text = page(client, "/review?status=approved")
    assert ('data-action="publish"' in text) is sees_it
    assert (f'<option value="{template_id}">Tee, front</option>' in text) is sees_it


def test_batch_publish_flashes_each_images_outcome(app, client, login, key, make_template):
    first, second = upload(client, key, seed=1), upload(client, key, seed=2)
    pending = upload(client, key, seed=3, approve=False)
    template_id = make_template()
    token = login(client, "reviewer")
    response = client.post(
        "/review/batch/publish?status=approved",
        data={
            "csrf_token": token,
            "template_id": template_id,
            "dry_run": "y",
            "image_ids": [first, second, pending],
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/review?status=approved"
    text = page(client, response.headers["Location"])
    assert "Batch publish with “Tee, front” (dry run): 3 images · 2 queued · 1 failed" in text
    assert f"{pending} failed: INVALID_TRANSITION:" in text
    for image_id in (first, second):
        (publication,) = publications_of(app, image_id)
        assert publication.status == "dry_run"
    assert publications_of(app, pending) == []


def test_a_batch_publish_without_a_selection_is_refused_with_a_message(
    client, login, make_template
):
    template_id = make_template()
    token = login(client, "reviewer")
    response = client.post(
        "/review/batch/publish", data={"csrf_token": token, "template_id": template_id}
    )
    assert response.status_code == 303
    assert "Batch publish refused: image_ids must be a non-empty list" in page(
        client, response.headers["Location"]
    )


def test_cards_show_publishing_states(app, client, login, key):
    ids = {
        status: upload(client, key, seed=index)
        for index, status in enumerate(("publishing", "published", "publish_failed"), 1)
    }
    with app.app_context():
        for status, image_id in ids.items():
            db.session.get(Image, image_id).status = status
        db.session.commit()
    login(client, "viewer")
    text = page(client, "/review?status=all")
    for status, image_id in ids.items():
        card = re.search(
            rf'<article class="card status-{status}"[^>]*data-image-id="{image_id}"', text
        )
        assert card, status
        assert (
            f'<span class="badge status-badge {status}">{status.replace("_", " ")}</span>' in text
        )
