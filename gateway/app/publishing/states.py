"""The publication state machine (contract section 4, Publishing), in one place: the runner and
the retry and unpublish services move publications by it."""

from __future__ import annotations

from enum import StrEnum

from gateway.app.state_machine import StateMachine


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

PUBLICATION_TRANSITIONS: dict[PublicationStatus, frozenset[PublicationStatus]] = {
    # A queued (or retried) publication resumes after the last step Printify confirmed.
    PublicationStatus.QUEUED: frozenset({*STEPS[1:], PublicationStatus.FAILED}),
    PublicationStatus.UPLOADING: frozenset({PublicationStatus.CREATING, PublicationStatus.FAILED}),
    PublicationStatus.CREATING: frozenset({PublicationStatus.PUBLISHING, PublicationStatus.FAILED}),
    PublicationStatus.PUBLISHING: frozenset(
        {PublicationStatus.PUBLISHED, PublicationStatus.DRY_RUN, PublicationStatus.FAILED}
    ),
    PublicationStatus.PUBLISHED: frozenset({PublicationStatus.UNPUBLISHED}),
    # failed -> queued is an operator's retry.
    PublicationStatus.FAILED: frozenset({PublicationStatus.QUEUED}),
    PublicationStatus.DRY_RUN: frozenset(),
    PublicationStatus.UNPUBLISHED: frozenset(),
}
PUBLICATION_STATES = StateMachine(PUBLICATION_TRANSITIONS)
RETRYABLE = PUBLICATION_STATES.sources(PublicationStatus.QUEUED)
UNPUBLISHABLE = PUBLICATION_STATES.sources(PublicationStatus.UNPUBLISHED)
