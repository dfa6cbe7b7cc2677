"""A publication's print file: where Printify fetches it (a presigned S3 URL, a signed token URL of
the gateway's own print-file endpoint, or nowhere: the file goes inline), and the files an image's
publications hold, which go when the image is deleted."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.app import versioning
from gateway.app.errors import NotFound
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.models import Publication

PRINT_FILE_SALT = "publication-print-file"
# Printify fetches a URL upload within the upload call; an hour leaves room for slow fetches. A
# presigned S3 URL and a token URL of the gateway's print-file endpoint live as long.
PRINT_FILE_URL_SECONDS = 3600


def print_file_token(context: PublishingContext, publication_id: str) -> str:
    """A signed token that lets Printify fetch this publication's print file without a key."""
    return URLSafeTimedSerializer(
        context.settings.resolved_secret_key(), salt=PRINT_FILE_SALT
    ).dumps(publication_id)


def publication_for_token(context: PublishingContext, token: str) -> str | None:
    """The publication id a print-file URL's token was issued for, if genuine and fresh (issued
    within PRINT_FILE_URL_SECONDS, the life of a presigned URL too)."""
    serializer = URLSafeTimedSerializer(
        context.settings.resolved_secret_key(), salt=PRINT_FILE_SALT
    )
    try:
        return str(serializer.loads(token, max_age=PRINT_FILE_URL_SECONDS))
    except BadData:
        return None


def print_file(
    session: Session, context: PublishingContext, publication_id: str, token: str
) -> bytes:
    """The PNG a token URL names. A forged, expired or borrowed token and a publication with no
    rendered file are one NotFound alike, so the answer tells a prober nothing."""
    granted = publication_for_token(context, token) == publication_id
    publication = session.get(Publication, publication_id) if granted else None
    if publication is None or not publication.print_key:
        raise NotFound("print file not found")
    return context.storage.get(publication.print_key)


def _base_url_is_public(base_url: str) -> bool:
    """Whether Printify could reach `base_url` from the internet (a global address or a name)."""
    host = urlsplit(base_url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return "." in host and not host.endswith((".local", ".internal", ".localhost"))


def upload_url(context: PublishingContext, publication_id: str, key: str) -> str | None:
    """Where Printify may fetch the print file, or None to send it inline (base64).

    With S3 storage Printify fetches a presigned URL of the object itself; else, or in `auto`
    mode when that URL is not public, a token URL of the gateway's own print-file endpoint.
    """
    mode = context.settings.printify_upload_mode
    if mode == "base64":
        return None
    presigned = context.storage.presigned_url(
        key, expires_in=PRINT_FILE_URL_SECONDS, content_type="image/png"
    )
    if presigned and (mode == "url" or _base_url_is_public(presigned)):
        return presigned
    base_url = context.settings.resolved_base_url
    if mode == "auto" and not _base_url_is_public(base_url):
        return None
    token = print_file_token(context, publication_id)
    return (
        f"{base_url}{versioning.CURRENT_API}/publications/{publication_id}/print-file?token={token}"
    )


def of_images(session: Session, image_ids: list[str]) -> list[tuple[str, str]]:
    """(image id, print file) of the images' publications: they go with their image (ON DELETE
    CASCADE), so read them before the images are deleted."""
    rows = session.execute(
        select(Publication.image_id, Publication.print_key).where(
            Publication.image_id.in_(image_ids), Publication.print_key.is_not(None)
        )
    )
    return [(image_id, key) for image_id, key in rows]


def of_image(session: Session, image_id: str) -> list[str]:
    """The print files of one image's publications (see `of_images`)."""
    return [key for _, key in of_images(session, [image_id]) if key]
