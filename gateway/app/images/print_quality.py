"""An image's `quality` as shown: what its pixels are (stored) plus the products it prints soft on.

Printing soft depends on the saved templates, which change after an image is stored, so it is
judged when the image is shown, against print targets loaded once per page or API call
(`publishing.print_targets`): the API's `quality` gains a warning per such product and
`info.soft_on`, the review queue's badge counts them, and the `has_warnings` filter matches
images narrower than the widest product's design in SQL, so it agrees with the badges.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, false, not_, or_

from gateway.app.images.models import Image
from gateway.app.imaging.quality import PrintTargets, soft_info, soft_targets, soft_warning
from gateway.app.json_text import RawJSON


def has_warnings(wanted: bool, soft_below_width: int | None) -> ColumnElement[bool]:
    """The SQL condition of `has_warnings=wanted`: a stored warning or error, or narrower than
    `soft_below_width` (the widest product's design; None: no product)."""
    soft = Image.width < soft_below_width if soft_below_width else false()
    flagged = or_(Image.has_quality_warnings.is_(True), soft)
    return flagged if wanted else not_(flagged)


def judged(quality: Any, width: int, targets: PrintTargets) -> Any:
    """`quality` (a dict, or a list page's unparsed `RawJSON`) with a warning and an `info.soft_on`
    entry per product the image prints soft on; unchanged (and unparsed) when there is none."""
    soft = soft_targets(width, targets)
    if not soft:
        return quality
    report = json.loads(quality.text) if isinstance(quality, RawJSON) else quality
    dpi = targets.print_dpi
    return {
        **report,
        "warnings": [*report["warnings"], *(soft_warning(width, t, dpi) for t in soft)],
        "info": {**report["info"], "soft_on": [soft_info(width, t, dpi) for t in soft]},
    }


def judge_body(body: dict[str, Any], targets: PrintTargets) -> dict[str, Any]:
    """An API image (`presenter.summary` or `detail`) with its quality judged, in place."""
    body["quality"] = judged(body["quality"], body["width"], targets)
    return body
