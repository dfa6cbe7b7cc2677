"""The committed OpenAPI snapshots: how a document is rendered, and the command that rewrites them.

flask-restx lists an operation's methods in set order, which follows the hash seed, so a document
is compared as `json.dumps(sort_keys=True, indent=1)` of its parsed text: the same content in a
stable order. After a deliberate API change, rewrite both snapshots with
`make openapi-snapshot` (that is, `.venv/bin/python -m tests.api.openapi_snapshot`).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask.testing import FlaskClient

from gateway.app import create_app
from tests.conftest import make_settings

SNAPSHOTS = Path(__file__).parent / "snapshots"
VERSIONS = (1, 2)
REGENERATE = "make openapi-snapshot"


def snapshot_path(version: int) -> Path:
    return SNAPSHOTS / f"v{version}.json"


def render(client: FlaskClient, version: int) -> str:
    """The version's swagger.json as served, normalised to sorted keys and one-space indents."""
    response = client.get(f"/api/v{version}/swagger.json")
    assert response.status_code == 200, response.status_code
    return json.dumps(json.loads(response.data), sort_keys=True, indent=1) + "\n"


def main() -> None:
    """Rewrite every snapshot from an app built with the test suite's settings."""
    with tempfile.TemporaryDirectory() as state_dir:
        app = create_app({"SETTINGS": make_settings(Path(state_dir)), "QUEUE_IMMEDIATE": True})
        client = app.test_client()
        for version in VERSIONS:
            snapshot_path(version).write_text(render(client, version), encoding="utf-8")
            print(f"wrote {snapshot_path(version)}")


if __name__ == "__main__":
    main()
