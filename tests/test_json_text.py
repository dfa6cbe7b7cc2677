"""JSON text passed through unparsed: written verbatim, read back as the same document."""

from __future__ import annotations

import json

from gateway.app.json_text import RawJSON, dumps


def test_raw_values_are_written_verbatim_and_the_document_reads_back_the_same():
    quality = {"valid": True, "warnings": ["low dpi"], "info": {"dpi": 72}}
    data = {"id": "img_1", "quality": RawJSON(json.dumps(quality)), "tags": RawJSON("[]")}
    text = dumps(data)
    assert json.dumps(quality) in text
    assert json.loads(text) == {"id": "img_1", "quality": quality, "tags": []}


def test_without_raw_values_it_is_plain_json_and_with_only_raw_values_still_an_object():
    assert dumps({"a": 1, "b": 'x"y'}) == json.dumps({"a": 1, "b": 'x"y'})
    assert json.loads(dumps({"only": RawJSON('{"k": null}')})) == {"only": {"k": None}}
    assert dumps({}) == "{}"
