"""The publication state machine (contract section 4, Publishing), in one place."""

from __future__ import annotations

from enum import StrEnum


class PublicationStatus(StrEnum):
    QUEUED = "queued"
    UPLOADING = "uploading"
    CREATING = "creating"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    DRY_RUN = "dry_run"
    UNPUBLISHED = "unpublished"


# Steps in order; a publication moves forward through them and may fail from any of them.
STEPS = (
    PublicationStatus.QUEUED,
    PublicationStatus.UPLOADING,
    PublicationStatus.CREATING,
    PublicationStatus.PUBLISHING,
)
ACTIVE = frozenset(STEPS)
FINAL = frozenset(
    {
        PublicationStatus.PUBLISHED,
        PublicationStatus.FAILED,
        PublicationStatus.DRY_RUN,
        PublicationStatus.UNPUBLISHED,
    }
)
RETRYABLE = frozenset({PublicationStatus.FAILED})
UNPUBLISHABLE = frozenset({PublicationStatus.PUBLISHED})
