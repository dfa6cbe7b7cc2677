"""The field rules every feature's v1 models share: text, ids, tags, pages and query parameters,
each documented as the validators take it."""

from __future__ import annotations

from flask_restx import Model, Namespace, fields

from gateway.app import pagination
from gateway.app import validation as v
from gateway.app.api.spec import nullable


def limit_param(description: str = "page size") -> dict[str, object]:
    """`common.page_size`'s parameter."""
    return {
        "type": "integer",
        "default": pagination.PAGE_SIZE,
        "minimum": 1,
        "maximum": pagination.MAX_PAGE_SIZE,
        "description": description,
    }


PAGE_PARAM = {
    "type": "integer",
    "minimum": 1,
    "maximum": pagination.MAX_PAGE,
    "description": "1-based page",
}
ID_PARAM = {
    "type": "string",
    "minLength": 1,
    "maxLength": v.MAX_ID_LENGTH,
    "pattern": v.ID_PATTERN,
}


def id_field(**kwargs: object) -> fields.String:
    """An id in a body, as `validation.looks_like_id` takes it."""
    return fields.String(min_length=1, max_length=v.MAX_ID_LENGTH, pattern=v.ID_PATTERN, **kwargs)


def flag_param(description: str) -> dict[str, object]:
    """A true/false query parameter (`query_args.bool_arg`)."""
    return {"type": "boolean", "description": description}


def choice_param(options: list[str] | tuple[str, ...], description: str = "") -> dict[str, object]:
    """A query parameter taking one of `options`."""
    return {"type": "string", "enum": list(options), "description": description}


def text(
    *,
    max_length: int | None = None,
    required: bool = False,
    allow_newlines: bool = False,
    allow_markup: bool = False,
    **kwargs: object,
) -> fields.String:
    """A request string checked by `validation.clean_text`, documented with the same rule."""
    return fields.String(
        required=required,
        min_length=1 if required else None,
        max_length=max_length,
        pattern=v.text_pattern(
            required=required, allow_newlines=allow_newlines, allow_markup=allow_markup
        ),
        **kwargs,
    )


def optional_text(**kwargs: object) -> fields.String:
    """An optional request string where null means "not given"."""
    return nullable(text(**kwargs))


class ChangeModel(Model):
    """A strict request model that must change something: at least one field."""

    @property
    def _schema(self) -> dict[str, object]:
        return {**super()._schema, "minProperties": 1}


def offset_page(ns: Namespace, name: str, item: Model) -> Model:
    """v1's page of `item`s: `{items, total, page, per_page}` (v2 documents a cursor page)."""
    return ns.model(
        name,
        {
            "items": fields.List(fields.Nested(item)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
    )


def tag_list() -> fields.List:
    """Tags as `validation.tags` takes them: at most MAX_TAGS strings."""
    return fields.List(
        text(max_length=v.MAX_TAG_LENGTH), max_items=v.MAX_TAGS, example=["retro", "surf"]
    )
