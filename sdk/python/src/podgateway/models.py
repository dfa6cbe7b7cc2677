"""Typed views of the v2 resources.

Each dataclass keeps the fields the contract names, parses times into `datetime`, and keeps the
whole answer in `raw`, so fields the gateway adds later are still reachable without a new release.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Self, TypeVar

T = TypeVar("T")
FINAL_JOB_STATUSES = frozenset({"completed", "failed", "cancelled"})


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(hint: Any, value: Any) -> Any:
    """`value` converted to `hint`: datetimes parsed, nested resources built, the rest as is."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(hint)
        return [_decode(item, element) for element in value]
    if hint is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Resource) and isinstance(value, dict):
        return hint.from_dict(value)
    return value


@dataclass
class Resource:
    """Base of every resource: `from_dict` builds it from an answer, `raw` is that answer."""

    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        hints = _hints(cls)
        values = {
            f.name: _decode(hints[f.name], data[f.name])
            for f in dataclasses.fields(cls)
            if f.name != "raw" and f.name in data
        }
        return cls(**values, raw=data)


@dataclass
class Page(Generic[T]):
    """One page of a cursor-paged list; pass `next_cursor` as `cursor` for the next one."""

    items: list[T]
    next_cursor: str | None


@dataclass
class JobError(Resource):
    code: str = ""
    message: str = ""


@dataclass
class JobAccepted(Resource):
    """202 answer of generate and edit."""

    job_id: str = ""
    status: str = "pending"
    status_url: str = ""
    websocket_url: str = ""


@dataclass
class Job(Resource):
    job_id: str = ""
    status: str = ""
    mode: str = ""
    progress: float | None = None
    backend: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    source_image_id: str | None = None
    image_ids: list[str] = field(default_factory=list)
    error: JobError | None = None
    warnings: list[str] = field(default_factory=list)
    attempts: int = 0
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_JOB_STATUSES


@dataclass
class Quality(Resource):
    valid: bool | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Duplicate(Resource):
    image_id: str = ""
    distance: int = 0


@dataclass
class Image(Resource):
    """An image; list pages carry no `duplicates` or `history` (they stay empty)."""

    id: str = ""
    status: str = ""
    source: str | None = None
    job_id: str | None = None
    prompt: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    backend: str | None = None
    parent_id: str | None = None
    title: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    sha256: str | None = None
    urls: dict[str, str] = field(default_factory=dict)
    quality: Quality | None = None
    duplicate_count: int | None = None
    reject_reason: str | None = None
    duplicates: list[Duplicate] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class BatchFailure(Resource):
    image_id: str = ""
    error: JobError | None = None


@dataclass
class BatchResult(Resource):
    """Per-item outcome of a batch call."""

    successful: list[str] = field(default_factory=list)
    failed: list[BatchFailure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Template(Resource):
    id: str = ""
    name: str = ""
    blueprint_id: int | None = None
    print_provider_id: int | None = None
    blueprint_title: str | None = None
    print_provider_title: str | None = None
    variants: list[dict[str, Any]] = field(default_factory=list)
    position: str | None = None
    placement: dict[str, Any] = field(default_factory=dict)
    title_template: str | None = None
    description_template: str | None = None
    tags: list[str] = field(default_factory=list)
    pricing: dict[str, Any] | None = None
    catalog_checked: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class PublishAccepted(Resource):
    publication_id: str = ""
    status: str = ""
    dry_run: bool = False
    status_url: str = ""
    readiness: dict[str, Any] = field(default_factory=dict)


@dataclass
class Publication(Resource):
    publication_id: str = ""
    image_id: str = ""
    template_id: str | None = None
    template_name: str | None = None
    status: str = ""
    dry_run: bool = False
    printify_product_id: str | None = None
    mockups: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    error: JobError | None = None
    readiness: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class Product(Resource):
    printify_product_id: str | None = None
    publication_id: str = ""
    image_id: str = ""
    template_id: str | None = None
    template_name: str | None = None
    mockups: list[dict[str, Any]] = field(default_factory=list)
    published_at: datetime | None = None


@dataclass
class Webhook(Resource):
    """A subscription; `secret` is set only when created or rotated."""

    id: str = ""
    url: str = ""
    events: list[str] = field(default_factory=list)
    description: str | None = None
    enabled: bool = True
    state: str = ""
    secret: str | None = None
    disabled_reason: str | None = None
    previous_secret_expires_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class DeliveryAttempt(Resource):
    number: int = 0
    started_at: datetime | None = None
    duration_ms: int | None = None
    result: str = ""
    status_code: int | None = None
    error: str | None = None


@dataclass
class Delivery(Resource):
    id: str = ""
    webhook_id: str = ""
    event_id: str = ""
    event_type: str = ""
    status: str = ""
    attempt_count: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    redelivery_of: str | None = None
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    created_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class WebhookEvent(Resource):
    """A delivery's body: `data` is the resource as the API returns it."""

    event_type: str = ""
    event_id: str = ""
    timestamp: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Me(Resource):
    name: str = ""
    type: str = ""
    plan: str = ""
    scopes: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    quotas: Usage | None = None


@dataclass
class Period(Resource):
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class Usage(Resource):
    """This month's usage against the plan's quotas (`images`, `products`; None: unlimited)."""

    period: Period | None = None
    plan: str = ""
    used: dict[str, int] = field(default_factory=dict)
    quota: dict[str, int | None] = field(default_factory=dict)
    remaining: dict[str, int | None] = field(default_factory=dict)


@dataclass
class Backend(Resource):
    name: str = ""
    enabled: bool = False
    status: str = ""
    circuit: str = ""
    version: str | None = None
    disabled_reason: str | None = None
