"""GET /api/v1|v2/images/{id}/file: presigned redirects with S3 storage, bytes with file storage.

The S3 app stores in a real S3-compatible server on 127.0.0.1 (moto, checking presigned URLs as
S3 does: tests/s3_server.py) and talks to the Printify emulator in URL upload mode, so Printify
fetches print files by presigned URL too.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image as PILImage
from podgateway import Client
from werkzeug.serving import make_server

from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.images import upload as uploads
from gateway.app.images.models import Image
from gateway.app.imaging.storage import FileStorage
from tests.api.v1.test_images import upload
from tests.api.v1.test_publishing import create_template, publish, settle
from tests.conftest import ALL_SCOPES, TEE_TEMPLATE, make_settings, upload_approved
from tests.emulators.printify import SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess
from tests.s3_server import AWS_ENV, running_s3_server
from tests.support import clear_app, running_app

PREFIX = "gateway/images"
PRESIGN_SECONDS = 120


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with running_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str) -> Iterator[str]:
    """A fresh bucket; the module's AWS credentials stay in the environment while it is used."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in AWS_ENV.items():
            env.setenv(name, value)
        name = f"pod-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
        yield name


@pytest.fixture(scope="module")
def s3_app(
    tmp_path_factory: pytest.TempPathFactory,
    s3_endpoint: str,
    bucket: str,
    printify_emulator: EmulatorProcess,
) -> Iterator[Flask]:
    """The gateway on S3 storage, publishing to the Printify emulator by URL upload."""
    settings = make_settings(
        Path(tmp_path_factory.mktemp("s3-files")),
        STORAGE_URL=f"s3://{bucket}/{PREFIX}",
        S3_ENDPOINT_URL=s3_endpoint,
        STORAGE_PRESIGN_SECONDS=PRESIGN_SECONDS,
        PRINTIFY_API_TOKEN=TOKEN,
        PRINTIFY_SHOP_ID=str(SHOP_ID),
        PRINTIFY_BASE_URL=f"{printify_emulator.url}/v1",
        PRINTIFY_UPLOAD_MODE="url",
        PUBLISH_RETRY_BASE_SECONDS=0.01,
        PUBLISH_RETRY_MAX_SECONDS=0.05,
    )
    with running_app(settings) as application:
        yield application


@pytest.fixture
def s3_client(s3_app: Flask, printify_emulator: EmulatorProcess) -> Iterator[FlaskClient]:
    printify_emulator.configure(reset=True)
    yield s3_app.test_client()
    clear_app(s3_app)
    s3_app.extensions["publishing"].pacer.reset()


def key_headers(app: Flask, scopes: list[str]) -> dict[str, str]:
    with app.app_context():
        secret = accounts.create_key(
            db.session, "files", plan="enterprise", scopes=scopes, actor=SYSTEM
        ).secret
    return {"X-API-Key": secret}


@pytest.fixture
def admin(s3_app: Flask, s3_client: FlaskClient) -> dict[str, str]:
    return key_headers(s3_app, ALL_SCOPES)


def stored(app: Flask, key: str) -> bytes:
    return app.extensions["generation"].storage.get(key)


def stored_row(app: Flask, image_id: str) -> Image:
    with app.app_context():
        image = db.session.get(Image, image_id)
        db.session.expunge(image)
        return image


# -- S3 storage ----------------------------------------------------------------------------------


def test_an_uploaded_image_is_stored_in_the_bucket_not_on_disk(s3_app, s3_client, admin, bucket):
    image = upload(s3_client, admin)
    row = stored_row(s3_app, image["id"])

    s3 = boto3.client("s3", endpoint_url=s3_app.extensions["settings"].s3_endpoint_url)
    found = s3.head_object(Bucket=bucket, Key=f"{PREFIX}/{row.original_key}")

    assert found["ContentType"] == "image/png"
    assert not (s3_app.extensions["settings"].state_dir / "images").exists()


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("variant", ["original", "thumbnail", "print"])
def test_file_redirects_to_a_presigned_url_that_serves_the_stored_bytes(
    s3_app, s3_client, admin, s3_endpoint, bucket, version, variant
):
    image = upload(s3_client, admin)

    response = s3_client.get(
        f"/api/{version}/images/{image['id']}/file?variant={variant}", headers=admin
    )

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == f"private, max-age={PRESIGN_SECONDS // 2}"
    location = response.headers["Location"]
    assert location.startswith(f"{s3_endpoint}/{bucket}/{PREFIX}/")
    assert f"X-Amz-Expires={PRESIGN_SECONDS}" in location
    fetched = requests.get(location, timeout=5)
    assert fetched.status_code == 200
    key, mime = uploads.stored_variant(
        s3_app.extensions["generation"], stored_row(s3_app, image["id"]), variant
    )
    assert fetched.headers["Content-Type"] == mime
    assert fetched.headers["Content-Disposition"] == f'inline; filename="{image["id"]}-{variant}"'
    digest = hashlib.sha256(fetched.content).hexdigest()
    assert digest == hashlib.sha256(stored(s3_app, key)).hexdigest()
    if variant == "original":
        assert digest == image["sha256"]
    if variant == "print":
        with PILImage.open(io.BytesIO(fetched.content)) as decoded:
            assert [round(value) for value in decoded.info["dpi"]] == [300, 300]


def test_a_redirect_url_stops_working_once_expired(s3_app, s3_client, admin):
    image = upload(s3_client, admin)
    storage = s3_app.extensions["generation"].storage
    url = storage.presigned_url(stored_row(s3_app, image["id"]).original_key, expires_in=1)
    assert requests.get(url, timeout=5).status_code == 200

    time.sleep(2)

    assert requests.get(url, timeout=5).status_code == 403


@pytest.mark.parametrize(
    ("scopes", "status"),
    [(None, 401), (["generate"], 403), (["read"], 302)],
    ids=["anonymous", "no-read-scope", "viewer"],
)
def test_access_is_checked_before_a_url_is_handed_out(s3_app, s3_client, admin, scopes, status):
    image = upload(s3_client, admin)
    headers = key_headers(s3_app, scopes) if scopes else {}

    response = s3_client.get(f"/api/v1/images/{image['id']}/file", headers=headers)

    assert response.status_code == status
    assert ("Location" in response.headers) is (status == 302)
    assert b"X-Amz-Signature" not in response.data or status == 302


def test_an_unknown_image_is_404_without_a_url(s3_client, admin):
    response = s3_client.get("/api/v1/images/img_missing/file", headers=admin)

    assert response.status_code == 404
    assert "Location" not in response.headers


def test_pages_allow_images_from_the_storage_origin(s3_client, s3_endpoint):
    policy = s3_client.get("/login").headers["Content-Security-Policy"]

    img_src = next(part for part in policy.split("; ") if part.startswith("img-src"))
    assert s3_endpoint in img_src.split()


def test_printify_fetches_the_print_file_by_presigned_url(
    s3_app, s3_client, admin, printify_emulator, make_artwork
):
    tee = create_template(s3_client, admin, TEE_TEMPLATE)
    image_id = upload_approved(s3_client, admin, make_artwork)

    accepted = publish(s3_client, admin, image_id, template_id=tee["id"], allow_low_resolution=True)
    found = settle(s3_app, s3_client, admin, accepted["publication_id"])

    assert found["status"] == "published", found
    preview = requests.get(
        f"{printify_emulator.url}/_emulator/uploads/{found['upload_id']}/preview", timeout=5
    )
    print_key = f"publications/{accepted['publication_id']}.png"
    assert preview.content == stored(s3_app, print_key)


class _SentRecorder(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        return super().send(request, **kwargs)


def test_the_python_client_follows_the_redirect_without_its_api_key(
    s3_app, s3_client, admin, s3_endpoint
):
    image = upload(s3_client, admin)
    server = make_server("127.0.0.1", 0, s3_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    session = _SentRecorder()
    try:
        client = Client(
            f"http://127.0.0.1:{server.server_port}", admin["X-API-Key"], session=session
        )
        data = client.download_image(image["id"])
    finally:
        server.shutdown()
        thread.join()

    assert hashlib.sha256(data).hexdigest() == image["sha256"]
    gateway, storage = session.sent
    assert gateway.headers["X-API-Key"] == admin["X-API-Key"]
    assert storage.url.startswith(s3_endpoint)
    assert "X-API-Key" not in storage.headers


# -- file storage ----------------------------------------------------------------------------------


def test_file_storage_answers_bytes_and_304_without_reading_them(
    app, client, admin_headers, monkeypatch
):
    image = upload(client, admin_headers)
    url = f"/api/v1/images/{image['id']}/file?variant=original"
    first = client.get(url, headers=admin_headers)
    assert first.status_code == 200
    assert hashlib.sha256(first.data).hexdigest() == image["sha256"]
    assert "immutable" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]

    def no_reads(self, key):
        raise AssertionError(f"read {key} for a 304")

    monkeypatch.setattr(FileStorage, "get", no_reads)
    for if_none_match in (etag, f'"other", {etag}', "*"):
        cached = client.get(url, headers={**admin_headers, "If-None-Match": if_none_match})
        assert cached.status_code == 304
        assert cached.headers["ETag"] == etag
