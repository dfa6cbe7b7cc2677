"""Images (list, read, upload, files, mockup previews, metadata, review, deletion) and batch
actions."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from podgateway._base import Calls, drop_unset
from podgateway.models import BatchResult, Image, Page, PublishAccepted

FileInput = bytes | str | os.PathLike[str] | IO[bytes]


class ImageCalls(Calls):
    def list_images(
        self,
        *,
        status: str | Sequence[str] | None = None,
        q: str | None = None,
        backend: str | None = None,
        has_duplicates: bool | None = None,
        has_warnings: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Image]:
        """One page of images, newest first."""
        params = _filters(status, q, backend, has_duplicates, has_warnings)
        return self._page(Image, "/images", {**params, "limit": limit, "cursor": cursor})

    def iter_images(
        self,
        *,
        status: str | Sequence[str] | None = None,
        q: str | None = None,
        backend: str | None = None,
        has_duplicates: bool | None = None,
        has_warnings: bool | None = None,
        page_size: int = 50,
    ) -> Iterator[Image]:
        """Every matching image, newest first, following `next_cursor`."""
        params = _filters(status, q, backend, has_duplicates, has_warnings)
        return self._iterate(Image, "/images", params, page_size)

    def get_image(self, image_id: str) -> Image:
        """One image with its quality report, near-duplicates and history."""
        return self._one(Image, "GET", f"/images/{image_id}")

    def update_image(
        self,
        image_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Image:
        """Change title, description and/or tags (PATCH)."""
        body = drop_unset(
            {"title": title, "description": description, "tags": None if tags is None else [*tags]}
        )
        return self._one(Image, "PATCH", f"/images/{image_id}", json=body)

    def upload_image(
        self,
        file: FileInput,
        *,
        filename: str | None = None,
        title: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Image:
        """Upload an own design (PNG, JPEG or WebP); it waits in `pending` review."""
        data, name = _read(file, filename)
        form = drop_unset(
            {
                "title": title,
                "description": description,
                "tags": None if tags is None else ",".join(tags),
            }
        )
        return self._one(
            Image,
            "POST",
            "/images",
            files={"file": (name, data)},
            data=form,
            idempotency_key=idempotency_key,
        )

    def download_image(self, image_id: str, variant: str = "original") -> bytes:
        """The file's bytes: `original`, `print` or `thumbnail` (WebP).

        A gateway on S3 storage answers with a redirect to a presigned URL, fetched without the
        API key (which is for the gateway alone).
        """
        response = self._http.request(
            "GET", f"/images/{image_id}/file", params={"variant": variant}
        )
        if response.is_redirect:
            return self._http.download(response.headers["Location"])
        return response.content

    def preview_image(
        self, image_id: str, template_id: str, *, variant_id: int | None = None
    ) -> bytes:
        """The mockup preview (WebP): the design on the template's product, placed as its print
        file places it, in the variant's colour (default: the template's first variant)."""
        params = drop_unset({"template_id": template_id, "variant_id": variant_id})
        return self._http.request("GET", f"/images/{image_id}/preview", params=params).content

    def delete_image(self, image_id: str, *, force: bool = False) -> None:
        """Delete an image; a published one needs `force`."""
        self._http.request("DELETE", f"/images/{image_id}", params={"force": force or None})

    def approve_image(
        self, image_id: str, *, note: str | None = None, idempotency_key: str | None = None
    ) -> Image:
        return self._one(
            Image,
            "POST",
            f"/images/{image_id}/approve",
            json=drop_unset({"note": note}),
            idempotency_key=idempotency_key,
        )

    def reject_image(
        self,
        image_id: str,
        reason: str,
        *,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> Image:
        """Reject with a reason code (e.g. `low_quality`, `off_prompt`, `duplicate`, `other`)."""
        return self._one(
            Image,
            "POST",
            f"/images/{image_id}/reject",
            json=drop_unset({"reason": reason, "note": note}),
            idempotency_key=idempotency_key,
        )

    def reset_image(self, image_id: str, *, idempotency_key: str | None = None) -> Image:
        """Send an approved or rejected image back to pending (admin)."""
        return self._one(
            Image, "POST", f"/images/{image_id}/reset", idempotency_key=idempotency_key
        )

    def publish_image(
        self,
        image_id: str,
        template_id: str,
        *,
        dry_run: bool = False,
        allow_low_resolution: bool = False,
        idempotency_key: str | None = None,
    ) -> PublishAccepted:
        """Queue the publication of an approved image with a product template."""
        body = {
            "template_id": template_id,
            "dry_run": dry_run,
            "allow_low_resolution": allow_low_resolution,
        }
        return self._one(
            PublishAccepted,
            "POST",
            f"/images/{image_id}/publish",
            json=body,
            idempotency_key=idempotency_key,
        )

    def batch_approve(
        self, image_ids: Sequence[str], *, idempotency_key: str | None = None
    ) -> BatchResult:
        return self._batch("approve", {"image_ids": [*image_ids]}, idempotency_key)

    def batch_reject(
        self,
        image_ids: Sequence[str],
        reason: str,
        *,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        body = drop_unset({"image_ids": [*image_ids], "reason": reason, "note": note})
        return self._batch("reject", body, idempotency_key)

    def batch_publish(
        self,
        image_ids: Sequence[str],
        template_id: str,
        *,
        dry_run: bool = False,
        allow_low_resolution: bool = False,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        body = {
            "image_ids": [*image_ids],
            "template_id": template_id,
            "dry_run": dry_run,
            "allow_low_resolution": allow_low_resolution,
        }
        return self._batch("publish", body, idempotency_key)

    def batch_delete(
        self, image_ids: Sequence[str], *, force: bool = False, idempotency_key: str | None = None
    ) -> BatchResult:
        return self._batch("delete", {"image_ids": [*image_ids], "force": force}, idempotency_key)

    def _batch(self, action: str, body: dict[str, Any], key: str | None) -> BatchResult:
        return self._one(BatchResult, "POST", f"/batch/{action}", json=body, idempotency_key=key)


def _filters(
    status: str | Sequence[str] | None,
    q: str | None,
    backend: str | None,
    has_duplicates: bool | None,
    has_warnings: bool | None,
) -> dict[str, Any]:
    statuses = status if status is None or isinstance(status, str) else ",".join(status)
    return {
        "status": statuses,
        "q": q,
        "backend": backend,
        "has_duplicates": has_duplicates,
        "has_warnings": has_warnings,
    }


def _read(file: FileInput, filename: str | None) -> tuple[bytes, str]:
    """The upload's bytes (read once, so every retry sends them again) and its file name."""
    if isinstance(file, bytes):
        return file, filename or "upload"
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        return path.read_bytes(), filename or path.name
    name = getattr(file, "name", None)
    return file.read(), filename or (Path(name).name if isinstance(name, str) else "upload")
