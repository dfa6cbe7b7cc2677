"""Each version's OpenAPI document equals its committed snapshot: a refactor changes neither."""

from __future__ import annotations

import pytest

from tests.api.openapi_snapshot import REGENERATE, VERSIONS, render, snapshot_path


@pytest.mark.parametrize("version", VERSIONS)
def test_the_document_equals_its_snapshot(client, version):
    expected = snapshot_path(version).read_text(encoding="utf-8")
    assert render(client, version) == expected, (
        f"/api/v{version}/swagger.json differs from {snapshot_path(version)}; "
        f"if the change is deliberate, run `{REGENERATE}` and commit the snapshots"
    )
