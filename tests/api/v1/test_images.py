"""/api/v1/images: list, detail, upload and its refusals, files, metadata, review moves, deletion."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import update

from gateway.app.extensions import db
from gateway.app.images.models import Image
from tests.conftest import artwork
from tests.imaging.images import png_declaring_size

CONTRACT_FIELDS = {
    "id",
    "status",
    "prompt",
    "params",
    "seed",
    "backend",
    "parent_id",
    "title",
    "description",
    "tags",
    "width",
    "height",
    "dpi",
    "sha256",
    "urls",
    "quality",
    "duplicates",
    "history",
    "created_at",
    "updated_at",
}


def upload(client, headers, *, seed=1, size=128, filename="design.png", data=None, **form):
    """Upload a design through the API and return the created image."""
    payload = {"file": (io.BytesIO(data or artwork(size, size, seed=seed)), filename), **form}
    response = client.post(
        "/api/v1/images", data=payload, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def set_status(app, image_id, status, **values):
    """Put an image straight into `status` (e.g. published), as another process would."""
    with app.app_context():
        db.session.execute(
            update(Image).where(Image.id == image_id).values(status=status, **values)
        )
        db.session.commit()


def image_count(client, headers):
    return client.get("/api/v1/images", headers=headers).get_json()["total"]


def stored_files(app):
    root = app.extensions["settings"].state_dir / "images"
    return sorted(str(path) for path in Path(root).rglob("*") if path.is_file())


@pytest.fixture
def image(client, admin_headers):
    return upload(client, admin_headers, title="Sunset Surf Club", tags="retro, Surf")


# --- listing -----------------------------------------------------------------------------------


def test_list_filters_by_status_including_a_comma_list(app, client, admin_headers):
    pending = upload(client, admin_headers, seed=1)["id"]
    approved = upload(client, admin_headers, seed=2)["id"]
    rejected = upload(client, admin_headers, seed=3)["id"]
    set_status(app, approved, "approved")
    set_status(app, rejected, "rejected")

    def ids(query):
        response = client.get(f"/api/v1/images?{query}", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert ids("status=pending") == {pending}
    assert ids("status=approved,rejected") == {approved, rejected}
    assert ids("status=published") == set()
    assert ids("") == {pending, approved, rejected}


def test_list_searches_prompt_and_title_case_insensitively(client, admin_headers):
    generated = client.post(
        "/api/v1/generate",
        json={"prompt": "Neon Tiger roaring", "width": 64, "height": 64, "seed": 5},
        headers=admin_headers,
    ).get_json()
    job = client.get(f"/api/v1/jobs/{generated['job_id']}", headers=admin_headers).get_json()
    from_prompt = job["image_ids"][0]
    from_title = upload(client, admin_headers, seed=2, title="Tiger Lily Tee")["id"]
    upload(client, admin_headers, seed=3, title="Ocean waves")

    def ids(q):
        body = client.get(f"/api/v1/images?q={q}", headers=admin_headers).get_json()
        return {item["id"] for item in body["items"]}

    assert ids("tiger") == {from_prompt, from_title}
    assert ids("NEON") == {from_prompt}
    assert ids("lily") == {from_title}
    assert ids("zebra") == set()


def test_list_filters_by_backend(client, admin_headers):
    generated = client.post(
        "/api/v1/generate",
        json={"prompt": "mountain badge", "width": 64, "height": 64, "seed": 9},
        headers=admin_headers,
    ).get_json()
    job = client.get(f"/api/v1/jobs/{generated['job_id']}", headers=admin_headers).get_json()
    upload(client, admin_headers, seed=4)
    body = client.get("/api/v1/images?backend=local", headers=admin_headers).get_json()
    assert [item["id"] for item in body["items"]] == job["image_ids"]
    assert (
        client.get("/api/v1/images?backend=runpod", headers=admin_headers).get_json()["items"] == []
    )


def test_list_filters_by_duplicates_and_warnings(app, client, admin_headers):
    first = upload(client, admin_headers, seed=7)["id"]
    copy = upload(client, admin_headers, seed=7)["id"]
    unique = upload(client, admin_headers, size=160, seed=40)
    assert unique["duplicates"] == []
    clean = unique["id"]
    set_status(app, clean, "pending", has_quality_warnings=False)

    def ids(query):
        body = client.get(f"/api/v1/images?{query}", headers=admin_headers).get_json()
        return {item["id"] for item in body["items"]}

    assert ids("has_duplicates=true") == {first, copy}
    assert ids("has_duplicates=false") == {clean}
    assert ids("has_warnings=false") == {clean}
    assert ids("has_warnings=true") == {first, copy}
    assert ids("has_duplicates=true&has_warnings=false") == set()


def test_list_paginates_newest_first_with_total_page_and_per_page(client, admin_headers):
    created = [upload(client, admin_headers, seed=seed)["id"] for seed in (1, 2, 3)]
    first = client.get("/api/v1/images?limit=2&page=1", headers=admin_headers).get_json()
    second = client.get("/api/v1/images?limit=2&page=2", headers=admin_headers).get_json()
    beyond = client.get("/api/v1/images?limit=2&page=3", headers=admin_headers).get_json()
    assert (first["total"], first["page"], first["per_page"]) == (3, 1, 2)
    assert (second["total"], second["page"], second["per_page"]) == (3, 2, 2)
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert [i["id"] for i in first["items"] + second["items"]] == list(reversed(created))
    assert beyond["items"] == [] and beyond["total"] == 3
    default = client.get("/api/v1/images", headers=admin_headers).get_json()
    assert (default["page"], default["per_page"]) == (1, 50)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("status=bogus", "status"),
        ("status=pending,bogus", "status"),
        ("status=pendingapproved", "status"),
        ("has_duplicates=maybe", "has_duplicates"),
        ("has_warnings=2", "has_warnings"),
        ("has_warnings=", "has_warnings"),
        ("has_duplicates=", "has_duplicates"),
        ("risk=", "risk"),
        ("q=%3Cscript%3E", "q"),
    ],
)
def test_list_refuses_bad_query_parameters(client, admin_headers, query, field):
    response = client.get(f"/api/v1/images?{query}", headers=admin_headers)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert field in body["details"]["fields"]


# --- detail ------------------------------------------------------------------------------------


def test_detail_has_every_contract_field_with_its_shape(client, admin_headers, image):
    response = client.get(f"/api/v1/images/{image['id']}", headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["id"] == image["id"]
    assert body["status"] == "pending"
    assert body["title"] == "Sunset Surf Club"
    assert body["tags"] == ["retro", "surf"]
    assert (body["width"], body["height"]) == (128, 128)
    assert isinstance(body["params"], dict)
    assert len(body["sha256"]) == 64
    assert body["parent_id"] is None
    assert set(body["urls"]) == {"original", "print", "thumbnail"}
    for variant, url in body["urls"].items():
        assert url == (f"http://gateway.test/api/v1/images/{image['id']}/file?variant={variant}")
    quality = body["quality"]
    assert {"valid", "errors", "warnings", "info"} <= set(quality)
    assert isinstance(quality["valid"], bool)
    assert isinstance(quality["errors"], list) and isinstance(quality["warnings"], list)
    assert {"resolution", "dpi", "print_size_inches"} <= set(quality["info"])
    assert quality["info"]["resolution"] == "128x128"
    assert body["duplicates"] == []
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    [created] = body["history"]
    assert created["action"] == "created"
    assert created["to_status"] == "pending"
    assert created["actor"]["type"] == "api_key"


def test_detail_lists_near_duplicates_with_distance(client, admin_headers):
    first = upload(client, admin_headers, seed=11)["id"]
    second = upload(client, admin_headers, seed=11)
    assert second["duplicates"] == [{"image_id": first, "distance": 0}]
    again = client.get(f"/api/v1/images/{first}", headers=admin_headers).get_json()
    assert again["duplicates"] == [{"image_id": second["id"], "distance": 0}]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/images/img_doesnotexist",
        "/api/v1/images/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd/file",
        "/api/v1/images/..%5C..%5Cwindows%5Cwin.ini/file?variant=original",
        "/api/v1/images/%2e%2e/file",
        "/api/v1/images/img_x%00.png/file",
    ],
)
def test_unknown_ids_and_path_tricks_are_json_404(client, admin_headers, path):
    response = client.get(path, headers=admin_headers)
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["code"] == "NOT_FOUND"
    assert b"root:" not in response.data


# --- upload ------------------------------------------------------------------------------------


def test_upload_stores_a_pending_image_with_its_metadata(client, admin_headers):
    body = upload(
        client,
        admin_headers,
        seed=3,
        title="  Mountain Club  ",
        description="Line one\nline two",
        tags="Hiking,outdoors,hiking",
    )
    assert body["status"] == "pending"
    assert body["title"] == "Mountain Club"
    assert body["description"] == "Line one\nline two"
    assert body["tags"] == ["hiking", "outdoors"]
    assert body["prompt"] is None and body["backend"] is None
    listed = client.get("/api/v1/images", headers=admin_headers).get_json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_upload_accepts_jpeg_and_webp(client, admin_headers):
    jpeg = upload(client, admin_headers, data=artwork(96, 96, seed=1, fmt="JPEG"), filename="d.jpg")
    webp = upload(
        client, admin_headers, data=artwork(96, 96, seed=2, fmt="WEBP"), filename="d.webp"
    )
    original = client.get(f"/api/v1/images/{jpeg['id']}/file", headers=admin_headers)
    assert original.mimetype == "image/jpeg"
    original = client.get(f"/api/v1/images/{webp['id']}/file", headers=admin_headers)
    assert original.mimetype == "image/webp"


def _png(size=96, seed=1):
    return artwork(size, size, seed=seed)


REFUSALS = [
    pytest.param(
        {"file": (lambda: (io.BytesIO(_png()), "design.jpg"))},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        id="png-renamed-jpg",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(b"just some text, honest\n" * 20), "design.png"))},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        id="text-named-png",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(b"GIF89a" + b"\x00" * 64), "design.gif"))},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        id="gif",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(_png()[: len(_png()) // 2]), "design.png"))},
        400,
        "VALIDATION_ERROR",
        id="truncated-png",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(b""), "design.png"))},
        400,
        "VALIDATION_ERROR",
        id="empty-file",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(png_declaring_size(60_000, 60_000)), "bomb.png"))},
        413,
        "FILE_TOO_LARGE",
        id="decompression-bomb",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(png_declaring_size(9000, 64)), "wide.png"))},
        400,
        "VALIDATION_ERROR",
        id="side-over-max-dimension",
    ),
    pytest.param({"title": (lambda: "no file")}, 400, "VALIDATION_ERROR", id="missing-file"),
    pytest.param(
        {
            "file": (lambda: (io.BytesIO(_png()), "design.png")),
            "title": (lambda: "<b>Sale</b>"),
        },
        400,
        "VALIDATION_ERROR",
        id="markup-in-title",
    ),
    pytest.param(
        {
            "file": (lambda: (io.BytesIO(_png()), "design.png")),
            "description": (lambda: '<img src=x onerror="alert(1)">'),
        },
        400,
        "VALIDATION_ERROR",
        id="markup-in-description",
    ),
    pytest.param(
        {
            "file": (lambda: (io.BytesIO(_png()), "design.png")),
            "tags": (lambda: ",".join(f"tag{i}" for i in range(20))),
        },
        400,
        "VALIDATION_ERROR",
        id="too-many-tags",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(_png()), "design.png")), "tags": (lambda: "surf,\x07")},
        400,
        "VALIDATION_ERROR",
        id="control-character-in-tags",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(_png()), "design.png")), "colour": (lambda: "red")},
        400,
        "VALIDATION_ERROR",
        id="unknown-field",
    ),
    pytest.param(
        {
            "file": (lambda: (io.BytesIO(_png()), "design.png")),
            "extra": (lambda: (io.BytesIO(_png()), "second.png")),
        },
        400,
        "VALIDATION_ERROR",
        id="unknown-file",
    ),
    pytest.param(
        {"file": (lambda: (io.BytesIO(_png()), "design.png")), "title": (lambda: ["One", "Two"])},
        400,
        "VALIDATION_ERROR",
        id="repeated-field",
    ),
]


@pytest.mark.parametrize(("form", "status", "code"), REFUSALS)
def test_refused_uploads_store_nothing(app, client, admin_headers, form, status, code):
    upload(client, admin_headers, seed=1)
    files_before = stored_files(app)
    response = client.post(
        "/api/v1/images",
        data={name: make() for name, make in form.items()},
        headers=admin_headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == code
    assert body["request_id"]
    assert image_count(client, admin_headers) == 1
    assert stored_files(app) == files_before


def test_upload_over_max_upload_mb_is_413_and_stores_nothing(app, client, admin_headers):
    limit = app.extensions["settings"].max_upload_bytes
    assert app.config["MAX_CONTENT_LENGTH"] > limit
    files_before = stored_files(app)
    for size in (limit + 1, app.config["MAX_CONTENT_LENGTH"] + 1024):
        payload = b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)
        response = client.post(
            "/api/v1/images",
            data={"file": (io.BytesIO(payload), "huge.png")},
            headers=admin_headers,
            content_type="multipart/form-data",
        )
        assert response.status_code == 413, size
        assert response.get_json()["code"] == "FILE_TOO_LARGE"
    assert image_count(client, admin_headers) == 0
    assert stored_files(app) == files_before


def test_upload_needs_the_generate_scope(client, viewer_headers):
    response = client.post(
        "/api/v1/images",
        data={"file": (io.BytesIO(_png()), "design.png")},
        headers=viewer_headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


# --- files -------------------------------------------------------------------------------------


def test_file_variants_have_their_types(client, admin_headers, image):
    root = f"/api/v1/images/{image['id']}/file"
    original = client.get(root, headers=admin_headers)
    assert original.status_code == 200
    assert original.mimetype == "image/png"
    assert original.data.startswith(b"\x89PNG")
    assert client.get(f"{root}?variant=original", headers=admin_headers).data == original.data

    thumbnail = client.get(f"{root}?variant=thumbnail", headers=admin_headers)
    assert thumbnail.mimetype == "image/webp"
    assert thumbnail.data[:4] == b"RIFF" and thumbnail.data[8:12] == b"WEBP"

    printable = client.get(f"{root}?variant=print", headers=admin_headers)
    assert printable.mimetype == "image/png"
    with PILImage.open(io.BytesIO(printable.data)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.size == (128, 128)
        assert [round(value) for value in decoded.info["dpi"]] == [300, 300]
    again = client.get(f"{root}?variant=print", headers=admin_headers)
    assert again.data == printable.data


def test_file_etag_answers_304_when_unchanged(client, admin_headers, image):
    url = f"/api/v1/images/{image['id']}/file?variant=thumbnail"
    first = client.get(url, headers=admin_headers)
    etag = first.headers["ETag"]
    assert etag and image["sha256"] in etag
    assert "immutable" in first.headers["Cache-Control"]
    cached = client.get(url, headers={**admin_headers, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.data == b""
    assert cached.headers["ETag"] == etag
    other = client.get(url, headers={**admin_headers, "If-None-Match": '"something-else"'})
    assert other.status_code == 200
    original = client.get(
        f"/api/v1/images/{image['id']}/file?variant=original",
        headers={**admin_headers, "If-None-Match": etag},
    )
    assert original.status_code == 200


def test_unknown_file_variant_is_400(client, admin_headers, image):
    response = client.get(
        f"/api/v1/images/{image['id']}/file?variant=../../secret", headers=admin_headers
    )
    assert response.status_code == 400
    assert "variant" in response.get_json()["details"]["fields"]


# --- metadata ----------------------------------------------------------------------------------


def test_patch_updates_metadata_and_records_history(client, admin_headers, image):
    response = client.patch(
        f"/api/v1/images/{image['id']}",
        json={"title": "Surf Club 1979", "description": "Front print", "tags": ["Beach", "surf"]},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "Surf Club 1979"
    assert body["description"] == "Front print"
    assert body["tags"] == ["beach", "surf"]
    entry = body["history"][-1]
    assert entry["action"] == "metadata_updated"
    assert entry["details"]["before"]["title"] == "Sunset Surf Club"
    assert entry["details"]["after"]["title"] == "Surf Club 1979"
    assert entry["actor"]["type"] == "api_key"
    only_title = client.patch(
        f"/api/v1/images/{image['id']}", json={"title": "Just this"}, headers=admin_headers
    ).get_json()
    assert only_title["title"] == "Just this"
    assert only_title["tags"] == ["beach", "surf"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 5}, "title"),
        ({"description": "javascript:alert(1)"}, "description"),
        ({"tags": "a" * 33}, "tags"),
        ({"tags": "retro, surf"}, "tags"),
        ({"tags": [f"t{i}" for i in range(14)]}, "tags"),
        ({"tags": {"a": 1}}, "tags"),
        ({"status": "approved"}, "status"),
        ({"title": "<i>x</i>", "tags": 3}, "tags"),
        ({}, "body"),
    ],
)
def test_patch_refuses_bad_fields_and_changes_nothing(client, admin_headers, image, body, field):
    response = client.patch(f"/api/v1/images/{image['id']}", json=body, headers=admin_headers)
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"]
    after = client.get(f"/api/v1/images/{image['id']}", headers=admin_headers).get_json()
    assert after["title"] == "Sunset Surf Club"
    assert after["status"] == "pending"
    assert len(after["history"]) == 1


def test_patch_reports_every_bad_field_at_once(client, admin_headers, image):
    response = client.patch(
        f"/api/v1/images/{image['id']}",
        json={"title": "<b>x</b>", "tags": 3, "description": "\x07"},
        headers=admin_headers,
    )
    assert set(response.get_json()["details"]["fields"]) == {"title", "tags", "description"}


# --- review moves ------------------------------------------------------------------------------


def test_approve_moves_pending_to_approved_once(client, reviewer_headers, image):
    url = f"/api/v1/images/{image['id']}/approve"
    response = client.post(url, json={"note": "crisp lines"}, headers=reviewer_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved"
    assert body["review_note"] == "crisp lines"
    assert body["reviewed_by"] == "reviewer"
    again = client.post(url, headers=reviewer_headers)
    assert again.status_code == 409
    error = again.get_json()
    assert error["code"] == "INVALID_TRANSITION"
    assert error["details"]["from"] == "approved"
    assert error["details"]["to"] == "approved"
    assert error["request_id"]


@pytest.mark.parametrize(("action", "body"), [("approve", {}), ("reject", {"reason": "other"})])
def test_review_moves_refuse_unknown_fields(client, admin_headers, image, action, body):
    response = client.post(
        f"/api/v1/images/{image['id']}/{action}",
        json={**body, "notes": "typo of note"},
        headers=admin_headers,
    )
    assert response.status_code == 400
    assert response.get_json()["details"]["fields"] == {"notes": "is not a known field"}


def test_approve_without_a_body_works(client, admin_headers, image):
    response = client.post(f"/api/v1/images/{image['id']}/approve", headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved"


def test_reject_needs_a_known_reason(client, reviewer_headers, image):
    url = f"/api/v1/images/{image['id']}/reject"
    for body in ({}, {"reason": "ugly"}, {"reason": None}, {"note": "no reason"}):
        response = client.post(url, json=body, headers=reviewer_headers)
        assert response.status_code == 400, body
        assert "reason" in response.get_json()["details"]["fields"]
    assert client.post(url, headers=reviewer_headers).status_code == 400
    response = client.post(
        url, json={"reason": "text_artifacts", "note": "garbled"}, headers=reviewer_headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected"
    assert body["reject_reason"] == "text_artifacts"
    again = client.post(url, json={"reason": "other"}, headers=reviewer_headers)
    assert again.status_code == 409
    details = again.get_json()["details"]
    assert (details["from"], details["to"]) == ("rejected", "rejected")


def test_approved_image_cannot_be_rejected(client, admin_headers, image):
    client.post(f"/api/v1/images/{image['id']}/approve", headers=admin_headers)
    response = client.post(
        f"/api/v1/images/{image['id']}/reject", json={"reason": "other"}, headers=admin_headers
    )
    assert response.status_code == 409
    details = response.get_json()["details"]
    assert (details["from"], details["to"]) == ("approved", "rejected")


def test_reset_is_for_admins_only(client, admin_headers, reviewer_headers, image):
    client.post(
        f"/api/v1/images/{image['id']}/reject", json={"reason": "other"}, headers=admin_headers
    )
    url = f"/api/v1/images/{image['id']}/reset"
    refused = client.post(url, headers=reviewer_headers)
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "FORBIDDEN"
    after_refusal = client.get(f"/api/v1/images/{image['id']}", headers=admin_headers).get_json()
    assert after_refusal["status"] == "rejected"
    response = client.post(url, headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["reject_reason"] is None
    assert client.post(url, headers=admin_headers).status_code == 409


def test_every_state_change_is_in_history(client, admin_headers, reviewer_headers, image):
    url = f"/api/v1/images/{image['id']}"
    client.post(f"{url}/approve", json={"note": "nice"}, headers=reviewer_headers)
    client.post(f"{url}/reset", headers=admin_headers)
    client.post(f"{url}/reject", json={"reason": "ip_risk", "note": "logo"}, headers=admin_headers)
    history = client.get(url, headers=admin_headers).get_json()["history"]
    moves = [
        (e["action"], e["actor"]["name"], e["from_status"], e["to_status"], e["reason"], e["note"])
        for e in history
    ]
    assert moves == [
        ("created", "test", None, "pending", None, None),
        ("approved", "reviewer", "pending", "approved", None, "nice"),
        ("reset", "test", "approved", "pending", None, None),
        ("rejected", "test", "pending", "rejected", "ip_risk", "logo"),
    ]
    assert all(entry["at"].endswith("Z") for entry in history)


@pytest.mark.parametrize("action", ["approve", "reject", "reset"])
def test_review_moves_on_unknown_images_are_404(client, admin_headers, action):
    body = {"reason": "other"} if action == "reject" else None
    response = client.post(f"/api/v1/images/img_missing/{action}", json=body, headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "NOT_FOUND"


def test_viewer_cannot_review_and_anonymous_cannot_read(client, viewer_headers, image):
    url = f"/api/v1/images/{image['id']}"
    assert client.get(url, headers=viewer_headers).status_code == 200
    for path, body in (("/approve", None), ("/reject", {"reason": "other"}), ("/reset", None)):
        response = client.post(f"{url}{path}", json=body, headers=viewer_headers)
        assert response.status_code == 403, path
        assert response.get_json()["code"] == "FORBIDDEN"
    assert client.patch(url, json={"title": "x"}, headers=viewer_headers).status_code == 403
    assert client.delete(url, headers=viewer_headers).status_code == 403
    for method, path in (
        ("get", "/api/v1/images"),
        ("get", url),
        ("get", f"{url}/file"),
        ("post", f"{url}/approve"),
        ("delete", url),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.get_json()["code"] == "UNAUTHORIZED"
    assert client.get(url, headers=viewer_headers).get_json()["status"] == "pending"


# --- deletion ----------------------------------------------------------------------------------


def test_delete_removes_the_image_and_its_files(app, client, admin_headers, image):
    client.get(f"/api/v1/images/{image['id']}/file?variant=print", headers=admin_headers)
    own = [path for path in stored_files(app) if image["sha256"] in path]
    assert len(own) == 3
    response = client.delete(f"/api/v1/images/{image['id']}", headers=admin_headers)
    assert response.status_code == 204
    assert response.data == b""
    assert client.get(f"/api/v1/images/{image['id']}", headers=admin_headers).status_code == 404
    assert client.delete(f"/api/v1/images/{image['id']}", headers=admin_headers).status_code == 404
    assert not [path for path in stored_files(app) if image["sha256"] in path]


def test_delete_keeps_files_another_image_shares(app, client, admin_headers):
    first = upload(client, admin_headers, seed=5)
    second = upload(client, admin_headers, seed=5)
    files = stored_files(app)
    assert client.delete(f"/api/v1/images/{first['id']}", headers=admin_headers).status_code == 204
    assert stored_files(app) == files
    remaining = client.get(f"/api/v1/images/{second['id']}", headers=admin_headers).get_json()
    assert remaining["duplicates"] == []
    assert client.get(f"/api/v1/images/{second['id']}/file", headers=admin_headers).data


def test_deleting_a_published_image_needs_force(app, client, admin_headers, image):
    set_status(app, image["id"], "published")
    url = f"/api/v1/images/{image['id']}"
    refused = client.delete(url, headers=admin_headers)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "INVALID_TRANSITION"
    assert client.get(url, headers=admin_headers).status_code == 200
    assert client.delete(f"{url}?force=maybe", headers=admin_headers).status_code == 400
    assert client.delete(f"{url}?force=true", headers=admin_headers).status_code == 204
    assert client.get(url, headers=admin_headers).status_code == 404
