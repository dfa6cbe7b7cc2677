"""Runner rules that need no Printify: where a retried publication resumes, how uploads travel."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gateway.app.publishing import publication_files, runner, steps
from gateway.app.publishing.states import PublicationStatus


@pytest.mark.parametrize(
    ("upload_id", "product_id", "step"),
    [
        (None, None, PublicationStatus.UPLOADING),
        ("up1", None, PublicationStatus.CREATING),
        ("up1", "prod1", PublicationStatus.PUBLISHING),
    ],
)
def test_a_queued_publication_resumes_after_the_last_confirmed_step(upload_id, product_id, step):
    row = SimpleNamespace(upload_id=upload_id, printify_product_id=product_id)
    assert runner._resume_step(row) == step


@pytest.mark.parametrize(
    ("base_url", "public"),
    [
        ("https://pod.example.com", True),
        ("https://203.0.113.9", False),
        ("https://8.8.8.8", True),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://gateway.local", False),
        ("http://gateway", False),
        ("http://10.0.0.5", False),
    ],
)
def test_printify_fetches_by_url_only_from_a_public_base_url(base_url, public):
    assert publication_files._base_url_is_public(base_url) is public


def test_product_body_bakes_the_placement_into_the_print_file():
    row = SimpleNamespace(
        marker="podgw-1",
        template={
            "blueprint_id": 6,
            "print_provider_id": 99,
            "variants": [{"id": 12100, "price": 2500}, {"id": 12101, "price": 2600}],
            "position": "front",
            "title_template": "{title}",
            "description_template": "{description}",
            "tags": [],
        },
    )
    image = SimpleNamespace(title="T", description="D", prompt="p", tags=[])
    body = steps.product_body(row, image, "upload-1")
    [area] = body["print_areas"]
    assert area["variant_ids"] == [12100, 12101]
    assert area["placeholders"][0]["images"] == [
        {"id": "upload-1", "x": 0.5, "y": 0.5, "scale": 1.0, "angle": 0}
    ]
    assert body["variants"][1] == {"id": 12101, "price": 2600, "is_enabled": True}


class _Storage:
    """A storage that presigns (S3-like) when given an `endpoint`, else does not (file://)."""

    def __init__(self, endpoint: str | None) -> None:
        self.endpoint = endpoint

    def presigned_url(
        self, key: str, *, expires_in: int, content_type: str | None = None
    ) -> str | None:
        return f"{self.endpoint}/bucket/{key}?X-Amz-Expires={expires_in}" if self.endpoint else None


@pytest.mark.parametrize(
    ("mode", "endpoint", "base_url", "expected"),
    [
        ("url", "http://127.0.0.1:9000", "http://127.0.0.1:8000", "http://127.0.0.1:9000/bucket/"),
        ("auto", "https://s3.example.com", "http://127.0.0.1:8000", "https://s3.example.com/"),
        ("auto", "http://minio:9000", "https://pod.example.com", "https://pod.example.com/api/"),
        ("auto", "http://minio:9000", "http://127.0.0.1:8000", None),
        ("url", None, "http://127.0.0.1:8000", "http://127.0.0.1:8000/api/"),
        ("base64", "https://s3.example.com", "https://pod.example.com", None),
    ],
)
def test_printify_gets_a_presigned_storage_url_where_storage_has_one(
    mode, endpoint, base_url, expected
):
    settings = SimpleNamespace(
        printify_upload_mode=mode, resolved_base_url=base_url, resolved_secret_key=lambda: "k"
    )
    context = SimpleNamespace(settings=settings, storage=_Storage(endpoint))

    url = publication_files.upload_url(context, "pub_1", "publications/pub_1.png")

    if expected is None:
        assert url is None
    else:
        assert url.startswith(expected)
    if endpoint and expected and expected.startswith(endpoint):
        assert f"X-Amz-Expires={publication_files.PRINT_FILE_URL_SECONDS}" in url
