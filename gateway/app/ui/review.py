"""The review queue (/review), its cards, the approve / reject actions (htmx or plain forms) and
the batch publish of a selection.

Views parse the request, call the review, image, generation and publishing services and render;
every rule (transitions, reject reasons, metadata limits, generation parameters, publishing) stays
in those services. An action answers htmx with the fragment to swap in, and a plain form post with
a redirect. The image detail page and its own actions live in `ui.image_detail`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from gateway.app import context as app_context
from gateway.app import validation as v
from gateway.app import versioning
from gateway.app.accounts.sessions import operator_principal
from gateway.app.database import utcnow
from gateway.app.dates import parse_day
from gateway.app.errors import GatewayError, ValidationFailed
from gateway.app.extensions import db
from gateway.app.generation import context as generation
from gateway.app.generation.params import BACKENDS
from gateway.app.images import presenter
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.states import ImageStatus
from gateway.app.imaging.quality import PrintTargets, soft_targets
from gateway.app.imaging.thumbnails import thumbnail_dimensions
from gateway.app.pagination import Cursor
from gateway.app.publishing import context as publishing_context
from gateway.app.publishing import print_targets as targets
from gateway.app.publishing import service as publications
from gateway.app.publishing import templates as product_templates
from gateway.app.query_args import bool_arg
from gateway.app.review import queries
from gateway.app.review import service as review
from gateway.app.review.queries import QUEUE_ORDER, ReviewQuery, Sort
from gateway.app.security import Principal
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.actions import attempt, require_token
from gateway.app.ui.forms import BatchPublishForm

ALL_STATUSES = "all"
EXCERPT_LENGTH = 90
# A batch publish flashes one line per failed or skipped image, up to this many.
OUTCOME_LINES = 20


def print_targets() -> PrintTargets:
    """The products images are judged against (`publishing.print_targets`), once per request."""
    if "print_targets" not in g:
        g.print_targets = targets.load(db.session, generation.current().settings)
    return g.print_targets


def read_query() -> ReviewQuery:
    """The queue's filters and sort from the URL (so every view of the queue can be shared)."""
    args = request.args
    status = args.get("status") or "pending"
    backend = args.get("backend") or None
    return ReviewQuery(
        status=None if status == ALL_STATUSES else status,
        q=v.clean_text(args.get("q"), "q", max_length=200) or None,
        backend=v.choice(backend, "backend", BACKENDS) if backend else None,
        has_duplicates=bool_arg("duplicates", empty_means_any=True),
        has_warnings=bool_arg("warnings", empty_means_any=True),
        risk=v.choice(args.get("risk"), "risk", images.RISK_KINDS) if args.get("risk") else None,
        soft_below_width=print_targets().widest,
        created_from=parse_day(args.get("from"), "from"),
        created_to=parse_day(args.get("to"), "to"),
        sort=Sort(v.choice(args.get("sort") or Sort.OLDEST.value, "sort", list(Sort))),
    )


def _cursor(name: str) -> Cursor | None:
    raw = request.args.get(name)
    return QUEUE_ORDER.decode(raw, name) if raw else None


def query_args(query: ReviewQuery) -> dict[str, str]:
    """The URL parameters that reproduce `query`; defaults are left out so links stay short."""
    args: dict[str, str] = {}
    if query.status != "pending":
        args["status"] = query.status or ALL_STATUSES
    for name, value in (("q", query.q), ("backend", query.backend), ("risk", query.risk)):
        if value:
            args[name] = value
    for name, flag in (("duplicates", query.has_duplicates), ("warnings", query.has_warnings)):
        if flag is not None:
            args[name] = "yes" if flag else "no"
    for name, day in (("from", query.created_from), ("to", query.created_to)):
        if day:
            args[name] = day.isoformat()
    if query.sort is not Sort.OLDEST:
        args["sort"] = query.sort.value
    return args


@dataclass(frozen=True)
class Card:
    """What a queue card shows of an image."""

    image: Image

    @property
    def label(self) -> str:
        text = self.image.title or self.image.prompt or "Untitled upload"
        return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"

    @property
    def thumbnail(self) -> str:
        return presenter.file_urls(self.image, versioning.CURRENT_API)["thumbnail"]

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        return thumbnail_dimensions(self.image.width, self.image.height)

    @property
    def quality(self) -> tuple[str, str]:
        """(css class, label): not printable, the products it prints soft on, its other
        warnings' count, or print-ready."""
        report = self.image.quality or {}
        if report.get("errors"):
            return "bad", "not printable"
        soft = len(soft_targets(self.image.width, print_targets()))
        if soft:
            return "warn", f"soft on {soft} product{'s' if soft > 1 else ''}"
        warnings = len(report.get("warnings") or [])
        if warnings:
            return "warn", f"{warnings} warning{'s' if warnings > 1 else ''}"
        return "ok", "print-ready"

    @property
    def pending(self) -> bool:
        return self.image.status == ImageStatus.PENDING


def status_tabs(query: ReviewQuery) -> list[tuple[str, str, int]]:
    """(value, label, count) per status tab, counted under the other filters."""
    counts = queries.counts_by_status(db.session, query)
    tabs = [(ALL_STATUSES, "All", sum(counts.values()))]
    for status in ImageStatus:
        if status == ImageStatus.GENERATING and not counts.get(status):
            continue
        tabs.append(
            (status.value, status.value.replace("_", " ").capitalize(), counts.get(status, 0))
        )
    return tabs


def reasons() -> list[tuple[str, str]]:
    """(code, label) of the configured reject reasons, in their configured order (keys 1-9)."""
    return [
        (code, code.replace("_", " ").capitalize())
        for code in app_context.settings().reject_reasons
    ]


def principal() -> Principal:
    """The logged-in operator as the services' principal (the form's CSRF token was checked)."""
    return operator_principal(current_user)  # type: ignore[arg-type]


def is_htmx() -> bool:
    """Whether htmx sent the request, so it wants a fragment rather than a page or redirect."""
    return request.headers.get("HX-Request") == "true"


def fragment(html: str, status: int = 200) -> Response:
    """An htmx fragment; `X-Partial` lets review.js swap it in even when it reports an error."""
    response = Response(html, status=status, mimetype="text/html")
    response.headers["X-Partial"] = "true"
    return response


def queue_context(query: ReviewQuery) -> dict[str, Any]:
    """What every queue template needs: filters, their URL form, tabs, reasons, permissions."""
    return {
        "query": query,
        "qargs": query_args(query),
        "tabs": status_tabs(query),
        "reasons": reasons(),
        "backends": BACKENDS,
        "can_review": current_user.can("review"),
        "can_generate": current_user.can("generate"),
        "can_publish": current_user.can("publish"),
    }


@blueprint.get("/review", endpoint="review")
@ui_access("read")
def review_queue() -> str:
    query = read_query()
    result = queries.page(db.session, query, after=_cursor("after"), before=_cursor("before"))
    can_publish = current_user.can("publish")
    return render_template(
        "ui/review/queue.html",
        page=result,
        cards=[Card(image) for image in result.items],
        since=utcnow().isoformat(),
        publish_templates=product_templates.list_all(db.session) if can_publish else [],
        printify_live=publishing_context.current().live,
        **queue_context(query),
    )


@blueprint.get("/review/cards")
@ui_access("read")
def review_cards() -> Response:
    """Cards by id (new arrivals, or images a batch changed) with fresh status counts.

    No ids at all answers the counts alone (after a batch deleted every image it touched).
    """
    wanted = [part for part in request.args.get("ids", "").split(",") if part]
    ids = v.ids(wanted, "ids") if wanted else []
    if len(ids) > queries.MAX_ARRIVALS:
        raise ValidationFailed("too many ids", {"ids": f"at most {queries.MAX_ARRIVALS}"})
    query = read_query()
    found = queries.by_ids(db.session, ids)
    html = render_template(
        "ui/review/_cards.html",
        cards=[Card(image) for image in found],
        replace=request.args.get("mode") == "replace",
        **queue_context(query),
    )
    return fragment(html)


def _decide(image_id: str, act: Callable[[Principal], object]) -> ResponseReturnValue:
    """Run a review decision, then answer the page it came from.

    From the detail page the operator moves on to the next image of the queue. From a queue card
    the card is re-rendered in place, with the service's refusal (say, someone else decided
    first) shown on the card rather than as a page.
    """
    query = read_query()
    advance = request.args.get("advance") == "1"
    refusal: GatewayError | None = None
    try:
        act(principal())
    except GatewayError as error:
        db.session.rollback()
        if advance or not is_htmx():
            raise
        refusal = error
    if advance:
        image = images.get(db.session, image_id)
        _, next_id = queries.neighbours(db.session, query, image)
        target = (
            url_for("ui.review_image", image_id=next_id, **query_args(query))
            if next_id
            else url_for("ui.review", **query_args(query))
        )
        if is_htmx():
            return Response(status=200, headers={"HX-Redirect": target})
        return redirect(target, 303)
    if not is_htmx():
        return redirect(url_for("ui.review", **query_args(query)), 303)
    image = images.get(db.session, image_id)
    html = render_template(
        "ui/review/_cards.html",
        cards=[Card(image)],
        refusal=refusal.message if refusal else None,
        replace=False,
        **queue_context(query),
    )
    return fragment(html, refusal.status if refusal else 200)


@blueprint.post("/review/images/<image_id>/approve")
@ui_access("review")
def review_approve(image_id: str) -> ResponseReturnValue:
    note = request.form.get("note") or None
    return _decide(
        image_id,
        lambda who: review.approve(
            db.session, image_id, who, note=note, base_url=app_context.settings().resolved_base_url
        ),
    )


@blueprint.post("/review/images/<image_id>/reject")
@ui_access("review")
def review_reject(image_id: str) -> ResponseReturnValue:
    form = request.form
    return _decide(
        image_id,
        lambda who: review.reject(
            db.session,
            image_id,
            who,
            reason=form.get("reason"),
            reasons=app_context.settings().reject_reasons,
            note=form.get("note") or None,
            base_url=app_context.settings().resolved_base_url,
        ),
    )


def _flash_outcome(result: dict[str, Any], template_name: str, dry_run: bool) -> None:
    """The batch's per-image outcome as flashes: a summary, then each failed or skipped image."""
    counts = result["counts"]
    mode = " (dry run)" if dry_run or not publishing_context.current().live else ""
    images = "image" if counts["total"] == 1 else "images"
    flash(
        f"Batch publish with “{template_name}”{mode}: {counts['total']} {images} · "
        f"{counts['successful']} queued · {counts['failed']} failed · "
        f"{counts['skipped']} skipped.",
        "error" if counts["failed"] else "ok",
    )
    lines = [
        ("error", f"{item['image_id']} failed: {item['error']['code']}: {item['error']['message']}")
        for item in result["failed"]
    ] + [
        ("info", f"{image_id} skipped: already publishing or published.")
        for image_id in result["skipped"]
    ]
    for category, line in lines[:OUTCOME_LINES]:
        flash(line, category)
    if len(lines) > OUTCOME_LINES:
        flash(f"… and {len(lines) - OUTCOME_LINES} more.", "info")


@blueprint.post("/review/batch/publish")
@ui_access("publish")
def review_batch_publish() -> Response:
    """Publish the selected images with one template; each image's outcome is flashed."""
    form = BatchPublishForm()
    require_token(form)
    query = read_query()
    result = attempt(
        lambda: publications.batch_publish(
            db.session,
            publishing_context.current(),
            form.body(),
            principal(),
            publishing_context.enqueue,
        ),
        "Batch publish refused",
    )
    if result is not None:
        template = product_templates.get(db.session, form.template_id.data or "")
        _flash_outcome(result, template.name, bool(form.dry_run.data))
    return redirect(url_for("ui.review", **query_args(query)), 303)
