"""JSON text passed through unparsed: written verbatim, read back as the same document."""

from __future__ import annotations

import json

import pytest

from gateway.app.json_text import RawJSON, dumps


def test_raw_values_are_written_verbatim_and_the_document_reads_back_the_same():
    quality = {"valid": True, "warnings": ["low dpi"], "info": {"dpi": 72}}
    data = {"id": "img_1", "quality": RawJSON(json.dumps(quality)), "tags": RawJSON("[]")}
    text = dumps(data)
    assert json.dumps(quality) in text
    assert json.loads(text) == {"id": "img_1", "quality": quality, "tags": []}


def test_without_raw_values_it_is_plain_json_and_with_only_raw_values_still_an_object():
    assert dumps({"a": 1, "b": 'x"y'}) == json.dumps({"a": 1, "b": 'x"y'}, separators=(",", ":"))
    assert json.loads(dumps({"only": RawJSON('{"k": null}')})) == {"only": {"k": None}}
    assert dumps({}) == "{}"


def test_raw_values_at_any_depth_are_written_in_their_place():
    data = {"items": [{"a": 1, "q": RawJSON('{"k": [1, 2]}'), "z": None}], "next": RawJSON("[]")}
    assert dumps(data) == '{"items":[{"a":1,"q":{"k": [1, 2]},"z":null}],"next":[]}'
    assert dumps(data, indent=1).startswith('{\n "items": [\n  {\n   "a": 1,\n   "q": {"k"')


def test_what_the_fast_encoder_refuses_is_written_by_the_standard_one():
    data = {"seed": 10**30, 7: RawJSON('{"k": 1}')}  # beyond 64 bits; a key that is no string
    assert json.loads(dumps(data)) == {"seed": 10**30, "7": {"k": 1}}


def test_anything_else_json_cannot_write_is_still_refused():
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        dumps({"tags": {"a"}})
