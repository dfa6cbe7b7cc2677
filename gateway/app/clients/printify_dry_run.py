"""A Printify client that sends nothing: it records the exact requests a real run would send and
answers with plausible stand-ins, so a dry run walks the same publishing code as a real one."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from gateway.app.clients.pacing import Pacer
from gateway.app.clients.printify import PrintifyClient, PrintifyConfig
from gateway.app.clients.printify_errors import PrintifyUnavailable


class DryRunPrintify(PrintifyClient):
    """Records every request a real run would send, and answers with stand-ins; sends nothing."""

    dry_run = True

    def __init__(self, config: PrintifyConfig, pacer: Pacer) -> None:
        super().__init__(config, pacer, None)
        self.recorded: list[dict[str, Any]] = []

    def _exchange(self, method: str, path: str, *, json: object = None, **_: object) -> Any:
        """Record the call instead of sending it; pacing, retries and query parameters do not
        apply to a call that is never made."""
        if method == "GET":
            raise PrintifyUnavailable("dry run: Printify is not asked anything", status=0)
        self.recorded.append(
            {"method": method, "url": f"{self.base_url}{path}", "body": _summarised(json)}
        )
        if path.endswith("/uploads/images.json"):
            return {"id": f"dryrun-upload-{secrets.token_hex(6)}", "file_name": "", "images": []}
        if path.endswith("/products.json"):
            return {
                "id": f"dryrun-product-{secrets.token_hex(6)}",
                "images": [],
                "is_locked": False,
            }
        return {}


def _summarised(body: object) -> object:
    """The body as sent, with base64 file contents replaced by their size and digest."""
    if isinstance(body, dict) and isinstance(body.get("contents"), str):
        contents = body["contents"]
        digest = hashlib.sha256(contents.encode("ascii")).hexdigest()[:16]
        return body | {"contents": f"<base64, {len(contents)} characters, sha256 {digest}...>"}
    return body
