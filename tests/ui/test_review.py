"""/review and /review/images/<id>: the queue, its pages and filters, decisions, detail, live events.

Pages are fetched through the real login and CSRF checks; images come from the API (uploads and
local generation) or, where a test needs many rows or hostile text, straight from the database.
"""

from __future__ import annotations

import html
import io
import re
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from gateway.app.extensions import db
from gateway.app.generation.models import GenerationJob
from gateway.app.images.models import Image
from gateway.app.review import queries
from gateway.app.review.queries import ReviewQuery
from gateway.app.ui import events
from tests.conftest import artwork

XSS = "<script>alert(1)</script>"
CARD_IDS = re.compile(r'<article class="card[^"]*" id="card-[^"]+" data-image-id="([^"]+)"')


def upload(client, headers, *, seed=1, **form):
    payload = {"file": (io.BytesIO(artwork(96, 96, seed=seed)), "design.png"), **form}
    response = client.post(
        "/api/v1/images", data=payload, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def generate(client, headers, prompt="retro surf club badge", **params):
    """Run a small local generation (the in-process queue is immediate) and return its image ids."""
    body = {"prompt": prompt, "width": 64, "height": 64, **params}
    accepted = client.post("/api/v1/generate", json=body, headers=headers)
    assert accepted.status_code == 202, accepted.get_json()
    job = client.get(f"/api/v1/jobs/{accepted.get_json()['job_id']}", headers=headers).get_json()
    assert job["status"] == "completed", job
    return job["image_ids"]


def set_fields(app, image_id, **values):
    with app.app_context():
        db.session.execute(update(Image).where(Image.id == image_id).values(**values))
        db.session.commit()


def status_of(app, image_id):
    with app.app_context():
        return db.session.get(Image, image_id).status


def clone(app, source_id, count, *, start, step=timedelta(seconds=1), **values):
    """`count` copies of an image row at `start`, `start + step`, ...; returns their ids in order."""
    with app.app_context():
        source = db.session.get(Image, source_id)
        ids = []
        for index in range(count):
            copy = Image(
                id=f"img_{index:04d}{secrets.token_hex(8)}",
                status="pending",
                source=source.source,
                prompt=f"copy {index}",
                params={},
                width=source.width,
                height=source.height,
                mime=source.mime,
                file_size=source.file_size,
                sha256=source.sha256,
                original_key=source.original_key,
                thumbnail_key=source.thumbnail_key,
                phash=source.phash,
                quality=source.quality,
                created_at=start + step * index,
                **values,
            )
            db.session.add(copy)
            ids.append(copy.id)
        db.session.commit()
    return ids


def page_html(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def card_ids(text):
    return CARD_IDS.findall(text)


def link(text, rel):
    match = re.search(rf'rel="{rel}"[^>]*href="([^"]+)"', text)
    return html.unescape(match.group(1)) if match else None


def counts(text):
    return {
        status: int(count) for status, count in re.findall(r'data-count="([a-z_]+)">(\d+)<', text)
    }


def htmx(token):
    return {"X-CSRFToken": token, "HX-Request": "true"}


def assert_no_inline_code(text):
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", text)), "inline <script>"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert "<style" not in text
    assert not re.search(r"\son[a-z]+\s*=", text), "on* handler attribute"


@pytest.fixture
def key(make_key):
    return {"X-API-Key": make_key()}


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/review", "/review/images/img_x", "/review/events", "/review/cards?ids=img_x"]
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_viewer_sees_the_pages_without_any_action(app, client, login, key):
    image_id = upload(client, key)
    login(client, "viewer")
    for url in ("/review", f"/review/images/{image_id}"):
        text = page_html(client, url)
        assert f'data-image-id="{image_id}"' in text
        assert "data-action=" not in text
        assert 'id="batchbar"' not in text
        assert "/approve" not in text and "/reject" not in text and "/metadata" not in text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("approve", {}),
        ("reject", {"reason": "low_quality"}),
        ("metadata", {"title": "New"}),
        ("regenerate", {}),
        ("edit", {"instruction": "make it blue"}),
    ],
)
def test_a_viewer_gets_403_from_every_action(app, client, login, key, path, data):
    image_id = upload(client, key)
    token = login(client, "viewer")
    response = client.post(f"/review/images/{image_id}/{path}", data=data, headers=htmx(token))
    assert response.status_code == 403
    assert "<!doctype html>" in response.get_data(as_text=True)
    assert status_of(app, image_id) == "pending"


ACTIONS = [
    ("approve", {}),
    ("reject", {"reason": "low_quality"}),
    ("metadata", {"title": "Changed"}),
    ("regenerate", {}),
    ("edit", {"instruction": "make it blue"}),
]


@pytest.mark.parametrize(("path", "data"), ACTIONS)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_action_refuses_a_missing_or_wrong_csrf_token(
    app, client, login, key, path, data, token
):
    image_id = generate(client, key)[0]
    login(client, "admin")
    headers = {"HX-Request": "true"} | ({"X-CSRFToken": token} if token else {})
    form = data | ({"csrf_token": token} if token else {})
    response = client.post(f"/review/images/{image_id}/{path}", data=form, headers=headers)
    assert response.status_code == 403
    with app.app_context():
        image = db.session.get(Image, image_id)
        assert (image.status, image.title) == ("pending", "")
        assert (
            db.session.scalar(
                select(GenerationJob.id).where(GenerationJob.source_image_id == image_id)
            )
            is None
        )


def test_the_batch_api_answers_the_session_with_a_per_item_outcome(app, client, login, key):
    first, second = upload(client, key, seed=1), upload(client, key, seed=2)
    token = login(client, "reviewer")
    set_fields(app, second, status="approved")
    body = {"image_ids": [first, second, "img_missing"]}
    assert client.post("/api/v1/batch/approve", json=body).status_code == 403
    response = client.post("/api/v1/batch/approve", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    outcome = response.get_json()
    assert outcome["successful"] == [first]
    assert outcome["skipped"] == [second]
    assert outcome["failed"][0]["image_id"] == "img_missing"


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_shows_thumbnails_only_with_the_data_hooks(client, login, key):
    ids = [upload(client, key, seed=seed) for seed in (1, 2, 3)]
    login(client, "reviewer")
    text = page_html(client, "/review")
    assert card_ids(text) == ids  # pending, oldest first
    assert text.count("variant=thumbnail") == 3
    assert "variant=original" not in text and "variant=print" not in text
    for image_id in ids:
        tag = re.search(
            rf'<img src="/api/v2/images/{image_id}/file\?variant=thumbnail"[^>]*>', text
        )
        assert tag and 'loading="lazy"' in tag.group(0)
        assert 'width="96"' in tag.group(0) and 'height="96"' in tag.group(0)
    assert text.count('data-action="approve"') == 3
    assert text.count('data-action="reject"') == 3
    assert 'data-action="publish"' not in text  # no templates yet: no dead button
    assert_no_inline_code(text)


def test_thumbnails_in_the_queue_load_with_the_session(client, login, key):
    image_id = upload(client, key)
    login(client, "viewer")
    response = client.get(f"/api/v1/images/{image_id}/file?variant=thumbnail")
    assert response.status_code == 200
    assert response.mimetype == "image/webp"


def test_status_tabs_count_every_status(app, client, login, key):
    ids = [upload(client, key, seed=seed) for seed in range(1, 6)]
    set_fields(app, ids[0], status="approved")
    set_fields(app, ids[1], status="rejected", reject_reason="off_prompt")
    set_fields(app, ids[2], status="published")
    login(client, "reviewer")
    found = counts(page_html(client, "/review"))
    assert found["all"] == 5
    assert (found["pending"], found["approved"], found["rejected"], found["published"]) == (
        2,
        1,
        1,
        1,
    )
    assert found["publish_failed"] == 0
    assert card_ids(page_html(client, "/review?status=approved")) == [ids[0]]
    assert set(card_ids(page_html(client, "/review?status=all"))) == set(ids)


def test_filters_narrow_the_queue_and_stay_in_the_links(app, client, login, key):
    surf = generate(client, key, prompt="Retro SURF club")[0]
    forest = generate(client, key, prompt="misty forest")[0]
    plain = upload(client, key)
    set_fields(app, forest, has_quality_warnings=False)
    set_fields(app, plain, duplicate_count=2, backend=None)
    login(client, "reviewer")
    assert card_ids(page_html(client, "/review?q=surf")) == [surf]
    assert card_ids(page_html(client, "/review?backend=local")) == [surf, forest]
    assert card_ids(page_html(client, "/review?duplicates=yes")) == [plain]
    assert card_ids(page_html(client, "/review?warnings=no")) == [forest]
    assert card_ids(page_html(client, "/review?sort=newest")) == [plain, forest, surf]
    text = page_html(client, "/review?q=surf&sort=newest")
    assert f"/review/images/{surf}?q=surf&amp;sort=newest" in text
    assert counts(text)["pending"] == 1  # counts follow the other filters


def test_the_date_filter_takes_whole_utc_days(app, client, login, key):
    source = upload(client, key)
    day = datetime(2024, 3, 10, tzinfo=UTC)
    before, inside, after = clone(
        app, source, 3, start=day - timedelta(seconds=1), step=timedelta(days=1)
    )
    login(client, "reviewer")
    assert card_ids(page_html(client, "/review?from=2024-03-10&to=2024-03-10")) == [inside]
    assert card_ids(page_html(client, "/review?from=2024-03-10")) == [inside, after, source]
    assert card_ids(page_html(client, "/review?to=2024-03-09")) == [before]


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "sort=random", "from=yesterday", "after=not-a-cursor", "duplicates=maybe"],
)
def test_bad_queue_parameters_answer_a_friendly_400_page(client, login, query):
    login(client, "reviewer")
    response = client.get(f"/review?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert 'class="error-page"' in response.get_data(as_text=True)


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_keyset_pages_cover_the_queue_once_forwards_and_backwards(app, client, login, key, sort):
    source = upload(client, key)
    set_fields(app, source, status="approved")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ids = clone(app, source, 60, start=start)
    ids += clone(app, source, 60, start=start + timedelta(minutes=5), step=timedelta(0))  # ties
    with app.app_context():
        rows = db.session.execute(select(Image.created_at, Image.id).where(Image.id.in_(ids)))
        expected = [image_id for _, image_id in sorted(rows, reverse=sort == "newest")]
    login(client, "reviewer")
    url, pages = f"/review?sort={sort}", []
    while url:
        text = page_html(client, url)
        pages.append(card_ids(text))
        url = link(text, "next")
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [image_id for page in pages for image_id in page] == expected
    url, back = link(text, "prev"), []
    while url:
        text = page_html(client, url)
        back.append(card_ids(text))
        url = link(text, "prev")
    assert back == pages[-2::-1]


def test_a_page_does_not_shift_when_images_before_it_are_decided(app, client, login, key):
    source = upload(client, key)
    set_fields(app, source, status="approved")
    ids = clone(app, source, 75, start=datetime(2024, 1, 1, tzinfo=UTC))
    login(client, "reviewer")
    first = page_html(client, "/review")
    for image_id in ids[:50]:
        set_fields(app, image_id, status="approved")
    assert card_ids(page_html(client, link(first, "next"))) == ids[50:]


def test_the_cards_endpoint_renders_cards_in_order_with_fresh_counts(client, login, key):
    first, second = upload(client, key, seed=1), upload(client, key, seed=2)
    login(client, "viewer")
    response = client.get(f"/review/cards?ids={second},{first},img_gone")
    text = response.get_data(as_text=True)
    assert card_ids(text) == [second, first]
    assert 'id="status-tabs" class="tabs" aria-label="Images by status" hx-swap-oob="true"' in text
    replaced = client.get(f"/review/cards?ids={first}&mode=replace").get_data(as_text=True)
    assert f'data-image-id="{first}"' in replaced and replaced.count('hx-swap-oob="true"') == 2
    counts_only = client.get("/review/cards?ids=&mode=replace").get_data(as_text=True)
    assert card_ids(counts_only) == [] and counts(counts_only)["pending"] == 2


# --- decisions ---------------------------------------------------------------------------------


def test_approve_from_a_card_swaps_in_the_updated_card(app, client, login, key):
    image_id = upload(client, key)
    token = login(client, "reviewer")
    response = client.post(f"/review/images/{image_id}/approve", headers=htmx(token))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f'data-image-id="{image_id}"' in text and 'data-status="approved"' in text
    assert "data-action=" not in text  # decided: no more buttons
    assert counts(text)["approved"] == 1 and counts(text)["pending"] == 0
    assert status_of(app, image_id) == "approved"
    with app.app_context():
        assert db.session.get(Image, image_id).reviewed_by == "reviewer-op"


def test_reject_from_a_card_records_reason_and_note(app, client, login, key):
    image_id = upload(client, key)
    token = login(client, "reviewer")
    response = client.post(
        f"/review/images/{image_id}/reject",
        data={"reason": "text_artifacts", "note": "garbled lettering"},
        headers=htmx(token),
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'data-status="rejected"' in text and "text artifacts: garbled lettering" in text
    with app.app_context():
        image = db.session.get(Image, image_id)
        assert (image.status, image.reject_reason, image.review_note) == (
            "rejected",
            "text_artifacts",
            "garbled lettering",
        )


@pytest.mark.parametrize(
    ("first", "second", "data", "status"),
    [
        ("approve", "reject", {"reason": "low_quality"}, 409),
        (None, "reject", {"reason": "not-a-reason"}, 400),
    ],
)
def test_a_refused_decision_shows_on_the_card(app, client, login, key, first, second, data, status):
    image_id = upload(client, key)
    token = login(client, "reviewer")
    if first:
        client.post(f"/review/images/{image_id}/{first}", headers=htmx(token))
    response = client.post(f"/review/images/{image_id}/{second}", data=data, headers=htmx(token))
    assert response.status_code == status
    assert response.headers["X-Partial"] == "true"
    text = response.get_data(as_text=True)
    assert 'class="refusal" role="alert"' in text and f'data-image-id="{image_id}"' in text


def test_a_plain_form_post_redirects_back_to_the_queue(app, client, login, key):
    image_id = upload(client, key)
    token = login(client, "reviewer")
    response = client.post(
        f"/review/images/{image_id}/approve?sort=newest", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/review?sort=newest"
    assert status_of(app, image_id) == "approved"


def test_deciding_on_the_detail_page_moves_to_the_next_image(app, client, login, key):
    first, second = upload(client, key, seed=1), upload(client, key, seed=2)
    token = login(client, "reviewer")
    response = client.post(f"/review/images/{first}/approve?advance=1", headers=htmx(token))
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/review/images/{second}"
    response = client.post(
        f"/review/images/{second}/reject?advance=1&sort=oldest",
        data={"reason": "duplicate", "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/review"  # the end of the queue
    assert (status_of(app, first), status_of(app, second)) == ("approved", "rejected")


def test_the_detail_page_preloads_the_next_image_and_links_its_neighbours(client, login, key):
    ids = [upload(client, key, seed=seed) for seed in (1, 2, 3)]
    login(client, "viewer")
    text = page_html(client, f"/review/images/{ids[1]}")
    assert f'<link rel="prefetch" href="/api/v2/images/{ids[2]}/file?variant=original">' in text
    assert link(text, "next") == f"/review/images/{ids[2]}"
    assert link(text, "prev") == f"/review/images/{ids[0]}"
    newest = page_html(client, f"/review/images/{ids[1]}?sort=newest")
    assert link(newest, "next") == f"/review/images/{ids[0]}?sort=newest"


# --- detail ------------------------------------------------------------------------------------


def test_the_detail_page_shows_the_image_report_duplicates_and_history(app, client, login, key):
    original = upload(client, key, seed=4)
    copy = upload(client, key, seed=4)
    token = login(client, "reviewer")
    client.post(f"/review/images/{copy}/reject", data={"reason": "duplicate"}, headers=htmx(token))
    text = page_html(client, f"/review/images/{copy}")
    assert f'src="/api/v2/images/{copy}/file?variant=original"' in text
    duplicates = text[text.index('id="duplicates"') : text.index('id="lineage"')]
    assert f'data-image-id="{original}"' in duplicates and "distance 0" in duplicates
    assert "too small to print" in text  # the quality report
    history = text[text.index("<h2>History</h2>") :]
    assert "reviewer-op" in history and "pending → rejected" in history and "duplicate" in history
    assert_no_inline_code(text)


def test_the_detail_page_shows_lineage_both_ways(client, login, key):
    parent = generate(client, key)[0]
    edit = client.post(
        "/api/v1/edit", json={"image_id": parent, "instruction": "invert"}, headers=key
    )
    child = client.get(f"/api/v1/jobs/{edit.get_json()['job_id']}", headers=key).get_json()[
        "image_ids"
    ][0]
    login(client, "viewer")
    parent_page = page_html(client, f"/review/images/{parent}?status=all")
    lineage = parent_page[parent_page.index('id="lineage"') :]
    assert f'data-image-id="{child}"' in lineage
    child_page = page_html(client, f"/review/images/{child}")
    assert f'href="/review/images/{parent}" rel="up"' in child_page


def test_metadata_saves_through_the_service_and_shows_errors_inline(app, client, login, key):
    image_id = upload(client, key)
    token = login(client, "reviewer")
    url = f"/review/images/{image_id}/metadata"
    saved = client.post(
        url,
        data={"title": "Surf Club", "description": "Retro", "tags": "Surf, retro"},
        headers=htmx(token),
    )
    assert saved.status_code == 200 and "Saved" in saved.get_data(as_text=True)
    with app.app_context():
        image = db.session.get(Image, image_id)
        assert (image.title, image.tags) == ("Surf Club", ["surf", "retro"])
    refused = client.post(
        url, data={"title": XSS, "description": "", "tags": ""}, headers=htmx(token)
    )
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert 'id="meta-title-error"' in text and XSS not in text and "&lt;script&gt;" in text
    assert client.post(url, data={"title": "Plain", "csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(Image, image_id).title == "Plain"


def test_regenerate_repeats_the_prompt_with_a_new_seed(app, client, login, key):
    image_id = generate(client, key, prompt="neon tiger", steps=12)[0]
    token = login(client, "reviewer")
    response = client.post(f"/review/images/{image_id}/regenerate", headers=htmx(token))
    assert response.status_code == 202
    job_id = re.search(r'data-job-id="([^"]+)"', response.get_data(as_text=True)).group(1)
    with app.app_context():
        job = db.session.get(GenerationJob, job_id)
        source = db.session.get(Image, image_id)
        assert job.requested_by == "reviewer-op"
        assert (job.params["prompt"], job.params["steps"], job.params["batch_size"]) == (
            "neon tiger",
            12,
            1,
        )
        assert job.params["seed"] != source.seed


def test_regenerating_an_edit_repeats_the_edit_of_its_parent(app, client, login, key):
    parent = generate(client, key)[0]
    edit = client.post(
        "/api/v1/edit", json={"image_id": parent, "instruction": "invert"}, headers=key
    )
    job = client.get(f"/api/v1/jobs/{edit.get_json()['job_id']}", headers=key).get_json()
    token = login(client, "reviewer")
    response = client.post(f"/review/images/{job['image_ids'][0]}/regenerate", headers=htmx(token))
    assert response.status_code == 202
    job_id = re.search(r'data-job-id="([^"]+)"', response.get_data(as_text=True)).group(1)
    with app.app_context():
        again = db.session.get(GenerationJob, job_id)
        assert (again.mode, again.source_image_id, again.params["instruction"]) == (
            "edit",
            parent,
            "invert",
        )


def test_edit_starts_a_job_on_the_image(app, client, login, key):
    image_id = generate(client, key)[0]
    token = login(client, "reviewer")
    response = client.post(
        f"/review/images/{image_id}/edit", data={"instruction": "make it navy"}, headers=htmx(token)
    )
    assert response.status_code == 202
    job_id = re.search(r'data-job-id="([^"]+)"', response.get_data(as_text=True)).group(1)
    with app.app_context():
        job = db.session.get(GenerationJob, job_id)
        assert (job.mode, job.source_image_id, job.params["instruction"]) == (
            "edit",
            image_id,
            "make it navy",
        )
    empty = client.post(
        f"/review/images/{image_id}/edit", data={"instruction": ""}, headers=htmx(token)
    )
    assert empty.status_code == 400 and "instruction is required" in empty.get_data(as_text=True)


def test_an_upload_cannot_be_regenerated(client, login, key):
    image_id = upload(client, key)
    token = login(client, "reviewer")
    assert "Regenerate" not in page_html(client, f"/review/images/{image_id}")
    response = client.post(f"/review/images/{image_id}/regenerate", headers=htmx(token))
    assert response.status_code == 400
    assert "no prompt to regenerate from" in response.get_data(as_text=True)


def test_an_unknown_image_is_a_404_page(client, login):
    login(client, "viewer")
    response = client.get("/review/images/img_nope")
    assert response.status_code == 404
    assert 'class="error-page"' in response.get_data(as_text=True)


# --- escaping ----------------------------------------------------------------------------------


def test_hostile_text_is_shown_escaped_everywhere(app, client, login, key):
    image_id = upload(client, key)
    set_fields(
        app,
        image_id,
        title=XSS,
        prompt=XSS,
        description=XSS,
        tags=[XSS],
        status="rejected",
        reject_reason="other",
        review_note=XSS,
        reviewed_by=XSS,
    )
    login(client, "reviewer")
    for url in (
        "/review?status=all",
        f"/review/images/{image_id}",
        f"/review/cards?ids={image_id}",
    ):
        text = page_html(client, url)
        assert XSS not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert_no_inline_code(text)


def test_no_page_has_inline_script_or_style(app, client, login, key):
    image_id = upload(client, key)
    assert_no_inline_code(client.get("/login").get_data(as_text=True))
    login(client, "admin")
    for url in (
        "/review",
        f"/review/images/{image_id}",
        "/review/images/img_nope",
        "/review?sort=x",
    ):
        assert_no_inline_code(client.get(url).get_data(as_text=True))


# --- live arrivals -----------------------------------------------------------------------------


def test_the_event_stream_announces_an_image_created_after_connecting(client, login, key):
    before = upload(client, key, seed=1)
    login(client, "viewer")
    response = client.get("/review/events")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    stream = (chunk.decode() for chunk in response.response)
    assert next(stream).startswith("retry: ")
    created = upload(client, key, seed=2)
    received, deadline = "", time.monotonic() + 10
    while "event: images" not in received and time.monotonic() < deadline:
        received += next(stream)
        assert len(received) < 10_000
    response.close()
    assert f'"ids": ["{created}"]' in received
    assert before not in received
    assert '"pending": 2' in received


def test_a_reconnecting_stream_resumes_from_its_last_event_id(client, login, key):
    login(client, "viewer")
    resume = datetime.now(UTC).isoformat()
    missed = upload(client, key)
    response = client.get("/review/events?status=all", headers={"Last-Event-ID": resume})
    stream = (chunk.decode() for chunk in response.response)
    received = next(stream) + next(stream)
    response.close()
    assert "event: images" in received and missed in received


def test_the_stream_sends_each_arrival_once_and_ends(app, key, client):
    image_id = upload(client, key)
    with app.app_context():
        engine = app.extensions["generation"].engine
        since = datetime.now(UTC) - timedelta(seconds=5)
        chunks = list(
            events.arrival_stream(engine, ReviewQuery(), since, lifetime=0.3, sleep=lambda _: None)
        )
    announced = [chunk for chunk in chunks if chunk.startswith("event: images")]
    assert len(announced) == 1 and image_id in announced[0]
    assert chunks[0] == f"retry: {events.RETRY_MILLISECONDS}\n\n"


# --- query plans -------------------------------------------------------------------------------


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # SQLite's EXPLAIN QUERY PLAN
def test_queue_queries_walk_the_indexes_on_sqlite(app, client, key):
    source = upload(client, key)
    clone(app, source, 5, start=datetime(2024, 1, 1, tzinfo=UTC))
    with app.app_context():
        image = db.session.get(Image, source)
        cursor = queries.QUEUE_ORDER.cursor_of(image)
        statements: list[tuple[str, object]] = []

        def capture(conn, cursor_, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        def plans(call):
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                call()
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
            raw = db.engine.raw_connection()
            try:
                return [
                    " ".join(
                        row[-1] for row in raw.cursor().execute(f"EXPLAIN QUERY PLAN {sql}", params)
                    )
                    for sql, params in statements
                ]
            finally:
                raw.close()

        cases = {
            "ix_images_status_created": [
                lambda: queries.page(db.session, ReviewQuery()),
                lambda: queries.page(db.session, ReviewQuery(), after=cursor),
                lambda: queries.page(
                    db.session, ReviewQuery(sort=queries.Sort.NEWEST), before=cursor
                ),
            ],
            # The tab counts read the few maintained rows, not the images.
            "image_status_counts": [lambda: queries.counts_by_status(db.session, ReviewQuery())],
            "ix_images_created": [
                lambda: queries.page(db.session, ReviewQuery(status=None)),
                lambda: queries.page(db.session, ReviewQuery(status=None), after=cursor),
            ],
        }
        for index, calls in cases.items():
            for call in calls:
                for plan in plans(call):
                    assert index in plan, plan
                    assert "TEMP B-TREE" not in plan, plan
