"""S3Storage against a real S3-compatible HTTP server (moto) on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from gateway.app.imaging.storage import (
    S3Storage,
    Storage,
    StorageKeyNotFound,
    StorageUnavailable,
    thumbnail_key,
)

SHA = "ab" * 32


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
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
