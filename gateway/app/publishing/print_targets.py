"""The products an image could be printed on, as print targets for its quality report.

Each saved template is one: its design is `placement.scale` of its print area wide, at PRINT_DPI
(as the print file lays it out). With no template saved, the default product is the one target
when DEFAULT_PRINT_WIDTH_INCHES is set, and there is none otherwise: until a seller has a product,
no image is said to print soft.

Every page and API call that shows images needs them, and templates change rarely: they are kept
per process for PRINT_TARGETS_CACHE_SECONDS (a tenth of a list page's time was this query). A
template saved through this process is seen at its commit; one saved by another process within
those seconds.
"""

from __future__ import annotations

import threading
import time
from itertools import chain
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gateway.app.imaging.quality import PrintTarget, PrintTargets
from gateway.app.publishing.models import ProductTemplate
from gateway.app.publishing.printfiles import Placement, design_size
from gateway.app.settings import Settings

DEFAULT_PRODUCT = "the default product"

# (database, print DPI, default width) -> (monotonic expiry, targets)
_cache: dict[tuple[str, int, float | None], tuple[float, PrintTargets]] = {}
_cache_lock = threading.Lock()


def load(session: Session, settings: Settings) -> PrintTargets:
    """Every template's print target, by name; the default product's when there is none."""
    ttl = settings.print_targets_cache_seconds
    key = (str(session.get_bind().url), settings.print_dpi, settings.default_print_width_inches)
    now = time.monotonic()
    if ttl > 0 and (kept := _cache.get(key)) is not None and kept[0] > now:
        return kept[1]
    targets = _read(session, settings)
    if ttl > 0:
        with _cache_lock:
            _cache[key] = (now + ttl, targets)
    return targets


def forget() -> None:
    """Drop every process-kept answer: the next `load` reads the templates."""
    with _cache_lock:
        _cache.clear()


@event.listens_for(Session, "after_flush")
def _note_template_changes(session: Session, _flush_context: Any) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(item, ProductTemplate) for item in changed):
        session.info["print_targets_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_after_template_changes(session: Session) -> None:
    """At the commit, not the flush: a read between the two would keep the old templates."""
    if session.info.pop("print_targets_changed", False):
        forget()


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back_changes(session: Session) -> None:
    session.info.pop("print_targets_changed", None)


def _read(session: Session, settings: Settings) -> PrintTargets:
    rows = session.execute(
        select(
            ProductTemplate.id,
            ProductTemplate.name,
            ProductTemplate.placeholder_width,
            ProductTemplate.placement,
        ).order_by(ProductTemplate.name)
    )
    items = tuple(
        PrintTarget(
            name=f"\N{LEFT DOUBLE QUOTATION MARK}{name}\N{RIGHT DOUBLE QUOTATION MARK}",
            width_px=design_size(1, 1, width, Placement(**placement))[0],
            template_id=template_id,
        )
        for template_id, name, width, placement in rows
    )
    if not items and settings.default_print_width_inches:
        width_px = round(settings.default_print_width_inches * settings.print_dpi)
        items = (PrintTarget(name=DEFAULT_PRODUCT, width_px=width_px),)
    return PrintTargets(items=items, print_dpi=settings.print_dpi)
