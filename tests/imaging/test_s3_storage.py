"""S3Storage against a real S3-compatible HTTP server (moto) on 127.0.0.1.

The server checks presigned URLs' signatures and expiry as S3 does (see tests/s3_server.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from gateway.app.imaging.storage import (
    S3Storage,
    Storage,
    StorageKeyNotFound,
    StorageUnavailable,
    thumbnail_key,
)
from tests.s3_server import AWS_ENV, running_s3_server

SHA = "ab" * 32


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with running_s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def bucket(s3_client: Any) -> str:
    name = f"pod-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(s3_client: Any, s3_endpoint: str, bucket: str) -> S3Storage:
    return S3Storage(bucket, "gateway/images", endpoint_url=s3_endpoint, client=s3_client)


def test_put_then_get_round_trips_over_http(s3):
    key = thumbnail_key(SHA)

    s3.put(key, b"webp bytes", "image/webp")

    assert s3.get(key) == b"webp bytes"
    assert s3.exists(key)


def test_objects_live_under_the_prefix_with_their_content_type(s3, s3_client, bucket):
    s3.put("originals/a.png", b"png", "image/png")

    head = s3_client.head_object(Bucket=bucket, Key="gateway/images/originals/a.png")

    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == 3


def test_put_is_idempotent_and_overwrites(s3):
    s3.put("a.bin", b"one", "application/octet-stream")
    s3.put("a.bin", b"one", "application/octet-stream")
    s3.put("a.bin", b"two", "application/octet-stream")

    assert s3.get("a.bin") == b"two"


def test_missing_key_raises_a_key_error(s3):
    with pytest.raises(StorageKeyNotFound):
        s3.get("originals/none.png")

    assert not s3.exists("originals/none.png")


def test_delete_removes_and_ignores_missing_objects(s3):
    s3.put("a.bin", b"data", "application/octet-stream")

    s3.delete("a.bin")
    s3.delete("a.bin")

    assert not s3.exists("a.bin")


@pytest.mark.parametrize("key", ["../escape", "/absolute", "back\\slash", "nul\x00"])
def test_path_tricks_are_refused_before_any_request(s3, key):
    with pytest.raises(ValueError, match="invalid storage key"):
        s3.put(key, b"x", "text/plain")


def test_check_passes_for_an_existing_bucket(s3):
    s3.check()


def test_check_fails_for_a_missing_bucket(s3_client, s3_endpoint):
    storage = S3Storage("no-such-bucket", endpoint_url=s3_endpoint, client=s3_client)

    with pytest.raises(StorageUnavailable, match="no-such-bucket"):
        storage.check()


def test_s3_storage_satisfies_the_protocol(s3):
    assert isinstance(s3, Storage)


def test_default_client_uses_the_endpoint_and_environment_credentials(
    monkeypatch, s3_endpoint, bucket
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    storage = S3Storage(bucket, endpoint_url=s3_endpoint)

    storage.put("plain.bin", b"data", "application/octet-stream")

    assert storage.get("plain.bin") == b"data"


@pytest.fixture
def presigning(monkeypatch, s3_endpoint, bucket) -> S3Storage:
    """A storage built as the app builds it: its own client, credentials from the environment."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    return S3Storage(bucket, "gateway/images", endpoint_url=s3_endpoint)


def test_a_presigned_url_gets_the_object_without_credentials(presigning):
    presigning.put("originals/a.png", b"png bytes", "image/png")

    url = presigning.presigned_url(
        "originals/a.png", expires_in=60, content_type="image/png", filename="img_1-original"
    )
    response = requests.get(url, timeout=5)

    assert response.status_code == 200
    assert response.content == b"png bytes"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == 'inline; filename="img_1-original"'
    assert "immutable" in response.headers["Cache-Control"]
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url


def test_a_presigned_url_expires(presigning):
    presigning.put("a.bin", b"data", "application/octet-stream")
    url = presigning.presigned_url("a.bin", expires_in=1)
    assert requests.get(url, timeout=5).status_code == 200

    time.sleep(2)

    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403
    assert b"expired" in expired.content


def test_a_tampered_or_unsigned_url_is_refused(presigning, s3_endpoint, bucket):
    presigning.put("a.bin", b"data", "application/octet-stream")
    presigning.put("b.bin", b"other", "application/octet-stream")
    url = presigning.presigned_url("a.bin", expires_in=60)

    assert requests.get(url.replace("/a.bin?", "/b.bin?"), timeout=5).status_code == 403
    unsigned = f"{s3_endpoint}/{bucket}/gateway/images/a.bin"
    assert requests.get(unsigned, timeout=5).status_code == 403


def test_presigned_urls_use_the_public_endpoint(monkeypatch, s3_endpoint, bucket):
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    public = s3_endpoint.replace("127.0.0.1", "localhost")
    storage = S3Storage(bucket, endpoint_url=s3_endpoint, public_endpoint_url=public)
    storage.put("a.bin", b"data", "application/octet-stream")

    url = storage.presigned_url("a.bin", expires_in=60)

    assert url.startswith(f"{public}/{bucket}/a.bin?")
    assert storage.presigned_origin() == public
    assert requests.get(url, timeout=5).content == b"data"


@pytest.mark.parametrize("expires_in", [0, 7 * 24 * 3600 + 1])
def test_presigned_lifetime_is_bounded_as_sigv4_bounds_it(presigning, expires_in):
    with pytest.raises(ValueError, match="expires_in"):
        presigning.presigned_url("a.bin", expires_in=expires_in)
