"""The API's shape of an image, shared by every API version and the review UI."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Row,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from gateway.app import json_text
from gateway.app.audit import service as audit
from gateway.app.database import IsoTime, isoformat
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.json_text import RawJSON

VARIANTS = ("original", "print", "thumbnail")
IMAGES = Image.__table__

# An image object, or a Core row of the images table (a list page, a bulk move's RETURNING): same
# attributes, the row's JSON columns as unparsed `RawJSON` text.
ImageLike = Image | Row[Any]


def file_urls(image: ImageLike, api_root: str) -> dict[str, str]:
    """Links into the API at `api_root` (e.g. `https://host/api/v2`): a v2 answer links into v2."""
    return _urls(image.id, api_root)


def _urls(image_id: str, api_root: str) -> dict[str, str]:
    root = f"{api_root}/images/{image_id}/file"
    return {variant: f"{root}?variant={variant}" for variant in VARIANTS}


class _Attributes:
    """An object's attributes by name, as a row's mapping gives its fields."""

    __slots__ = ("image",)

    def __init__(self, image: Image) -> None:
        self.image = image

    def __getitem__(self, name: str) -> Any:
        return getattr(self.image, name)


def _or_empty(value: Any, empty: dict[str, Any] | list[Any]) -> Any:
    """A JSON column's value, or `empty` when it holds nothing (SQL NULL or JSON null)."""
    if isinstance(value, RawJSON):
        return empty if value.text == "null" else value
    return value or empty


def summary(image: ImageLike, api_root: str) -> dict[str, Any]:
    """The list view of an image: everything but duplicates and history.

    A row is read through its mapping: by name it answers in a sixth of the time its attributes
    take, and a list page reads 27 fields of 50 rows.
    """
    fields: Any = image._mapping if isinstance(image, Row) else _Attributes(image)
    return {
        "id": fields["id"],
        "status": fields["status"],
        "source": fields["source"],
        "job_id": fields["job_id"],
        "prompt": fields["prompt"],
        "params": _or_empty(fields["params"], {}),
        "seed": fields["seed"],
        "backend": fields["backend"],
        "parent_id": fields["parent_id"],
        "title": fields["title"],
        "description": fields["description"],
        "tags": _or_empty(fields["tags"], []),
        "width": fields["width"],
        "height": fields["height"],
        "dpi": fields["dpi"],
        "mime": fields["mime"],
        "file_size": fields["file_size"],
        "sha256": fields["sha256"],
        "urls": _urls(fields["id"], api_root),
        "quality": fields["quality"],
        "duplicate_count": fields["duplicate_count"],
        "risk": fields["risk"],
        "reject_reason": fields["reject_reason"],
        "review_note": fields["review_note"],
        "reviewed_by": fields["reviewed_by"],
        "reviewed_at": isoformat(fields["reviewed_at"]),
        "created_at": isoformat(fields["created_at"]),
        "updated_at": isoformat(fields["updated_at"]),
    }


def summaries_in_sql(dialect: str, image_ids: list[str], api_root: str) -> Select[Any]:
    """`summary` of each of these images as JSON the database writes, with its place in
    `image_ids`: columns `data` and `position`.

    Announcing 10,000 moved images otherwise reads every row back, builds its dict and serializes
    it, half of a batch's time; an INSERT ... SELECT of this does it inside the database. The
    shape is `summary`'s, field for field and in order: a test holds the two together on both
    engines.
    """
    sqlite = dialect == "sqlite"
    if sqlite:
        wanted = func.json_each(json_text.dumps(image_ids)).table_valued("key", "value")
    else:
        ids = bindparam("image_ids", image_ids, type_=JSON)
        wanted = (
            func.json_array_elements_text(ids)
            .table_valued("value", with_ordinality="key")
            .render_derived()
        )
    build = _SQLiteSummary() if sqlite else _PostgreSQLSummary()
    c = IMAGES.c
    root = f"{api_root}/images/"
    urls = build.object(
        *(
            item
            for variant in VARIANTS
            for item in (variant, root + c.id + f"/file?variant={variant}")
        )
    )
    fields: dict[str, ColumnElement[Any]] = {
        "id": c.id,
        "status": c.status,
        "source": c.source,
        "job_id": c.job_id,
        "prompt": c.prompt,
        "params": build.json_or(c.params, "{}"),
        "seed": c.seed,
        "backend": c.backend,
        "parent_id": c.parent_id,
        "title": c.title,
        "description": c.description,
        "tags": build.json_or(c.tags, "[]"),
        "width": c.width,
        "height": c.height,
        "dpi": c.dpi,
        "mime": c.mime,
        "file_size": c.file_size,
        "sha256": c.sha256,
        "urls": urls,
        "quality": build.json(c.quality),
        "duplicate_count": c.duplicate_count,
        "risk": build.json(c.risk),
        "reject_reason": c.reject_reason,
        "review_note": c.review_note,
        "reviewed_by": c.reviewed_by,
        "reviewed_at": IsoTime(c.reviewed_at),
        "created_at": IsoTime(c.created_at),
        "updated_at": IsoTime(c.updated_at),
    }
    data = build.object(*(item for pair in fields.items() for item in pair))
    return select(data.label("data"), wanted.c.key.label("position")).select_from(
        wanted.join(IMAGES, IMAGES.c.id == wanted.c.value)
    )


class _SQLiteSummary:
    """SQLite's JSON1 spelling: JSON columns are text, times `YYYY-MM-DD HH:MM:SS.ffffff` text."""

    def object(self, *pairs: Any) -> ColumnElement[Any]:
        return func.json_object(*pairs)

    def json(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.json(type_coerce(column, Text))

    def json_or(self, column: ColumnElement[Any], empty: str) -> ColumnElement[Any]:
        """The column's JSON, or `empty` for SQL NULL and JSON null (as `_or_empty`)."""
        return func.json(func.coalesce(func.nullif(type_coerce(column, Text), "null"), empty))


class _PostgreSQLSummary:
    """PostgreSQL's spelling: JSON columns are `json`, times `timestamptz`."""

    def object(self, *pairs: Any) -> ColumnElement[Any]:
        return func.json_build_object(*pairs)

    def json(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return column

    def json_or(self, column: ColumnElement[Any], empty: str) -> ColumnElement[Any]:
        stored = func.nullif(cast(column, Text), "null")
        return func.coalesce(cast(stored, JSON), cast(literal(empty, Text), JSON))


def detail(session: Session, image: Image, api_root: str) -> dict[str, Any]:
    """The full image: summary plus near-duplicates and its audited history."""
    body = summary(image, api_root)
    body["duplicates"] = images.duplicates_of(session, image.id)
    body["history"] = [audit.to_dict(entry) for entry in audit.history(session, "image", image.id)]
    return body
