"""Input rules shared by every entry point (API v1/v2, review UI, CLI): one place for each limit."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from gateway.app.errors import ValidationFailed

# Case-insensitive by spelling, so the same pattern serves Python and the OpenAPI documents.
MARKUP_PATTERN = r"<\s*[a-zA-Z!/?]|&#?[a-zA-Z0-9]+;|[jJ][aA][vV][aA][sS][cC][rR][iI][pP][tT]:"
_MARKUP = re.compile(MARKUP_PATTERN)
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_CONTROL_BUT_NEWLINES = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
MAX_TAGS = 13
MAX_TAG_LENGTH = 32
MAX_NOTE_LENGTH = 1000
MAX_BATCH_IDS = 10_000
MAX_ID_LENGTH = 64
ID_PATTERN = f"^[^{_CONTROL}]*$"


# Unicode's control characters (category Cc) are exactly these ranges: one regex search instead of
# a category lookup per character, which 10,000 batch ids made a tenth of a batch's time.
_CONTROL_CHARACTER = re.compile(f"[{_CONTROL}]")
_CONTROL_CHARACTER_BUT_NEWLINES = re.compile(f"[{_CONTROL_BUT_NEWLINES}]")


def _has_control_characters(text: str, *, allow_newlines: bool) -> bool:
    pattern = _CONTROL_CHARACTER_BUT_NEWLINES if allow_newlines else _CONTROL_CHARACTER
    return pattern.search(text) is not None


def clean_text(
    value: object,
    field: str,
    *,
    max_length: int,
    required: bool = False,
    allow_newlines: bool = False,
    allow_markup: bool = False,
) -> str:
    """A trimmed string, refused when too long, holding control characters (anywhere, the ends
    too: trimming takes off spaces, not a stray tab or NUL), or markup."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string", {field: "must be a string"})
    text = unicodedata.normalize("NFC", value)
    if _has_control_characters(text, allow_newlines=allow_newlines):
        raise ValidationFailed(
            f"{field} contains control characters", {field: "contains control characters"}
        )
    text = text.strip()
    if required and not text:
        raise ValidationFailed(f"{field} is required", {field: "is required"})
    if len(text) > max_length:
        message = f"must be at most {max_length} characters (got {len(text)})"
        raise ValidationFailed(f"{field} {message}", {field: message})
    if not allow_markup and _MARKUP.search(text):
        raise ValidationFailed(
            f"{field} must not contain markup", {field: "must not contain HTML or markup"}
        )
    return text


def text_pattern(
    *, required: bool = False, allow_newlines: bool = False, allow_markup: bool = False
) -> str:
    """The JSON-schema `pattern` of the strings `clean_text` accepts (its length aside), so the
    API documents state the rule this module enforces."""
    control = _CONTROL_BUT_NEWLINES if allow_newlines else _CONTROL
    char = f"[^{control}]"
    body = f"{char}*[^\\s{control}]{char}*" if required else f"{char}*"
    guard = "" if allow_markup else f"(?![\\s\\S]*(?:{MARKUP_PATTERN}))"
    return f"^{guard}{body}$"


def integer(value: object, field: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{field} must be an integer", {field: "must be an integer"})
    if not minimum <= value <= maximum:
        message = f"must be between {minimum} and {maximum}"
        raise ValidationFailed(f"{field} {message}", {field: message})
    return value


def number(value: object, field: str, *, minimum: float, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationFailed(f"{field} must be a number", {field: "must be a number"})
    if not minimum <= float(value) <= maximum:
        message = f"must be between {minimum:g} and {maximum:g}"
        raise ValidationFailed(f"{field} {message}", {field: message})
    return float(value)


def choice(value: object, field: str, options: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in options:
        message = f"must be one of: {', '.join(options)}"
        raise ValidationFailed(f"{field} {message}", {field: message})
    return value


def tags(value: object, field: str = "tags") -> list[str]:
    """Tags as a list: trimmed, lower-cased, de-duplicated (a form's comma-separated string is split
    by `comma_separated_tags`; JSON takes only a list)."""
    if not isinstance(value, list):
        raise ValidationFailed(f"{field} must be a list of strings", {field: "must be a list"})
    if len(value) > MAX_TAGS:
        message = f"at most {MAX_TAGS} tags"
        raise ValidationFailed(f"{field}: {message}", {field: message})
    result: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ValidationFailed(f"{field} must hold strings", {field: "must hold strings"})
        tag = clean_text(item, field, max_length=MAX_TAG_LENGTH).lower()
        if tag and tag not in result:
            result.append(tag)
    return result


def comma_separated_tags(value: str | None, field: str = "tags") -> list[str]:
    """Tags from a form field: `retro, Surf` is `["retro", "surf"]`."""
    return tags((value or "").split(","), field)


def tags_pattern() -> str:
    """The `pattern` of a comma-separated tags string `comma_separated_tags` accepts: at most
    MAX_TAGS tags of at most MAX_TAG_LENGTH characters (surrounding spaces aside), no control
    characters, no markup."""
    space = f"[^\\S{_CONTROL}]*"
    tag = f"{space}[^,{_CONTROL}]{{0,{MAX_TAG_LENGTH}}}{space}"
    return f"^(?![\\s\\S]*(?:{MARKUP_PATTERN})){tag}(?:,{tag}){{0,{MAX_TAGS - 1}}}$"


def looks_like_id(value: object) -> bool:
    """Whether `value` could be one of our opaque ids: a short string without control characters.

    Ids from paths and bodies are checked with this before any query, so a NUL byte or an endless
    string answers 404 (or 400) instead of a database error.
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_LENGTH
        and not _has_control_characters(value, allow_newlines=False)
    )


def ids(value: object, field: str = "image_ids") -> list[str]:
    """A non-empty list of at most MAX_BATCH_IDS string ids, order kept, duplicates dropped."""
    if not isinstance(value, list) or not value:
        raise ValidationFailed(
            f"{field} must be a non-empty list", {field: "must be a non-empty list"}
        )
    if len(value) > MAX_BATCH_IDS:
        message = f"at most {MAX_BATCH_IDS} ids per request"
        raise ValidationFailed(f"{field}: {message}", {field: message})
    if not all(looks_like_id(item) for item in value):
        raise ValidationFailed(f"{field} must hold string ids", {field: "must hold string ids"})
    return list(dict.fromkeys(value))


def require_object(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ValidationFailed(
            "request body must be a JSON object", {"body": "must be a JSON object"}
        )
    return body


def refuse_unknown(body: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise ValidationFailed(
            f"unknown field(s): {', '.join(unknown)}",
            {name: "is not a known field" for name in unknown},
        )


class FieldErrors:
    """Collects every field's error so one response lists them all."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as error:
            self.errors.update(error.field_errors or {"body": error.message})
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            summary = "; ".join(f"{name} {text}" for name, text in self.errors.items())
            raise ValidationFailed(f"Invalid request: {summary}", self.errors)
