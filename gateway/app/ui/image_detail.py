"""The image detail page (/review/images/<id>): listing metadata, regenerate, edit and publish.

Approve and reject from this page go through `ui.review` (with `advance=1`, which answers with the
next image of the queue). Publishing shows the print readiness at every product template, the
image's publications (with a dry run's recorded requests), and, for operators with the `publish`
scope, the publish form and each publication's retry or unpublish button.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from gateway.app import context as app_context
from gateway.app import versioning
from gateway.app.errors import GatewayError, IpRisk, ValidationFailed
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.generation import service as generation
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.params import GENERATE_FIELDS, parse_edit, parse_generate
from gateway.app.images import presenter
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.print_quality import judge_body
from gateway.app.images.states import ImageStatus, can_move
from gateway.app.listings import service as listings
from gateway.app.publishing import context as publishing_context
from gateway.app.publishing import presenter as publication_presenter
from gateway.app.publishing import service as publications
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.states import ACTIVE
from gateway.app.review import queries
from gateway.app.review import service as review
from gateway.app.review.queries import ReviewQuery
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.actions import attempt, require_token
from gateway.app.ui.forms import PublishForm
from gateway.app.ui.previews import preview_panels
from gateway.app.ui.pricing_panels import pricing_panels
from gateway.app.ui.review import (
    Card,
    fragment,
    is_htmx,
    principal,
    print_targets,
    query_args,
    queue_context,
    read_query,
)

# A regeneration repeats the request but draws a new seed, one image at a time.
REGENERATE_FIELDS = GENERATE_FIELDS - {"seed", "batch_size"}


def _repeatable(image: Image) -> str | None:
    """How `image` can be made again: by repeating its edit or its generation (uploads cannot)."""
    if image.source == "edit" and image.parent_id and (image.params or {}).get("instruction"):
        return "edit"
    if image.source == "generated" and image.prompt:
        return "generate"
    return None


def pretty_json(value: object) -> str:
    """A recorded request's body, indented for reading."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def _publishing_context(
    image: Image, form: PublishForm | None, refusal: str | None
) -> dict[str, Any]:
    """Readiness at every template, the image's publications, and what the operator may do."""
    context = publishing_context.current()
    templates = product_templates.list_all(db.session)
    return {
        "previews": preview_panels(image, templates),
        "readiness": [
            (template, publications.readiness_for(context, image, template).to_dict())
            for template in templates
        ],
        "publications": [
            publication_presenter.to_dict(publication)
            for publication in publications.for_image(db.session, image.id)
        ],
        "active_statuses": [str(status) for status in ACTIVE],
        "can_publish": current_user.can("publish"),
        "can_admin": current_user.can("admin"),
        "publishable": can_move(image.status, ImageStatus.PUBLISHING),
        "printify_live": context.live,
        "pretty_json": pretty_json,
        "publish_form": form or PublishForm(),
        "publish_error": refusal,
        **pricing_panels(db.session, context.settings, templates),
    }


def _detail_context(
    image: Image,
    query: ReviewQuery,
    publish_form: PublishForm | None = None,
    publish_error: str | None = None,
) -> dict[str, Any]:
    """Everything the detail page shows, with the queue neighbours in the queue's own order."""
    body = judge_body(presenter.detail(db.session, image, versioning.CURRENT_API), print_targets())
    distance = {item["image_id"]: item["distance"] for item in body["duplicates"]}
    duplicates = queries.by_ids(db.session, distance)
    prev_id, next_id = queries.neighbours(db.session, query, image)
    next_image = db.session.get(Image, next_id) if next_id else None
    parent = db.session.get(Image, image.parent_id) if image.parent_id else None
    return {
        "image": image,
        "card": Card(image),
        "body": body,
        "duplicates": [(Card(other), distance[other.id]) for other in duplicates],
        "parent": Card(parent) if parent else None,
        "children": [Card(child) for child in queries.children_of(db.session, image.id)],
        "job": db.session.get(GenerationJob, image.job_id) if image.job_id else None,
        "prev_id": prev_id,
        "next_id": next_id,
        "next_original": presenter.file_urls(next_image, versioning.CURRENT_API)["original"]
        if next_image
        else None,
        "can_regenerate": _repeatable(image) is not None,
        "draft_templates": product_templates.list_all(db.session),
        **_publishing_context(image, publish_form, publish_error),
        **queue_context(query),
    }


@blueprint.get("/review/images/<image_id>")
@ui_access("read")
def review_image(image_id: str) -> str:
    image = images.get(db.session, image_id)
    return render_template(
        "ui/review/detail.html", errors={}, **_detail_context(image, read_query())
    )


@blueprint.post("/review/images/<image_id>/metadata")
@ui_access("review")
def review_metadata(image_id: str) -> ResponseReturnValue:
    form = request.form
    changes = {name: form.get(name, "") for name in ("title", "description", "tags")}
    errors: dict[str, str] = {}
    try:
        # The form's tags are comma-separated; the service takes them as a list.
        listed = {**changes, "tags": changes["tags"].split(",")}
        image = review.update_metadata(
            db.session, image_id, listed, principal(), screen=app_context.settings().ip_screen
        )
    except ValidationFailed as error:
        db.session.rollback()
        errors = error.field_errors or {"form": error.message}
        image = images.get(db.session, image_id)
    query = read_query()
    if not is_htmx():
        if errors:
            context = _detail_context(image, query)
            return render_template("ui/review/detail.html", errors=errors, **context), 400
        flash("Title, description and tags saved.", "ok")
        return redirect(url_for("ui.review_image", image_id=image_id, **query_args(query)), 303)
    html = render_template(
        "ui/review/_metadata.html",
        image=image,
        values=changes if errors else None,
        errors=errors,
        saved=not errors,
        qargs=query_args(query),
        draft_templates=product_templates.list_all(db.session),
    )
    return fragment(html, 400 if errors else 200)


@blueprint.post("/review/images/<image_id>/metadata/draft")
@ui_access("review")
def review_metadata_draft(image_id: str) -> ResponseReturnValue:
    """The listing form filled with a draft, not saved: the operator edits it, then saves."""
    image = images.get(db.session, image_id)
    template_id = request.form.get("draft_template_id") or None
    body = {"template_id": template_id} if template_id else {}
    errors: dict[str, str] = {}
    values = None
    try:
        draft = listings.draft_listing(db.session, image_id, body, app_context.settings().ip_screen)
        values = {**draft.to_dict(), "tags": ", ".join(draft.tags)}
    except GatewayError as error:
        errors = {"form": error.message}
    query = read_query()
    shown = {"values": values, "errors": errors, "drafted": not errors}
    if not is_htmx():
        context = _detail_context(image, query)
        page = render_template(
            "ui/review/detail.html", draft_template_id=template_id, **shown, **context
        )
        return page, 400 if errors else 200
    html = render_template(
        "ui/review/_metadata.html",
        image=image,
        qargs=query_args(query),
        draft_templates=product_templates.list_all(db.session),
        draft_template_id=template_id,
        **shown,
    )
    return fragment(html, 400 if errors else 200)


def _regeneration(image: Image) -> GenerationJob:
    """The same request again with a new seed; an edit's child repeats the edit of its parent."""
    settings = app_context.settings()
    context = generation_context.current()
    requester = generation.Requester(actor=principal().actor)
    params = image.params or {}
    kind = _repeatable(image)
    if kind == "edit":
        body = {"image_id": image.parent_id, "instruction": params["instruction"]}
        if image.backend:
            body["backend"] = image.backend
        edit = parse_edit(body, settings)
        return generation.submit_edit(
            db.session, context.registry, generation_context.enqueue, edit, requester
        )
    if kind is None:
        raise ValidationFailed(
            "an uploaded design has no prompt to regenerate from", {"image": "was uploaded"}
        )
    body = {name: params[name] for name in REGENERATE_FIELDS if params.get(name) is not None}
    body.setdefault("prompt", image.prompt)
    return generation.submit_generation(
        db.session,
        context.registry,
        generation_context.enqueue,
        parse_generate(body, settings),
        requester,
    )


def _edit(image: Image) -> GenerationJob:
    """A job applying the form's instruction to `image`; its results become children of it."""
    edit = parse_edit(
        {"image_id": image.id, "instruction": request.form.get("instruction", "")},
        app_context.settings(),
    )
    requester = generation.Requester(actor=principal().actor)
    return generation.submit_edit(
        db.session,
        generation_context.current().registry,
        generation_context.enqueue,
        edit,
        requester,
    )


def _start_job(
    image_id: str, kind: str, start: Callable[[Image], GenerationJob]
) -> ResponseReturnValue:
    """Start a job from the detail page and answer with its notice (or why it was refused)."""
    image = images.get(db.session, image_id)
    query = read_query()
    try:
        job = start(image)
    except GatewayError as error:
        db.session.rollback()
        if not is_htmx():
            raise
        html = render_template("ui/review/_job.html", kind=kind, job_id=None, error=error.message)
        return fragment(html, error.status)
    if not is_htmx():
        flash(f"{kind.capitalize()} job {job.id} queued.", "ok")
        return redirect(url_for("ui.review_image", image_id=image_id, **query_args(query)), 303)
    html = render_template("ui/review/_job.html", kind=kind, job_id=job.id, error=None)
    return fragment(html, 202)


@blueprint.post("/review/images/<image_id>/regenerate")
@ui_access("generate")
def review_regenerate(image_id: str) -> ResponseReturnValue:
    return _start_job(image_id, "regenerate", _regeneration)


@blueprint.post("/review/images/<image_id>/edit")
@ui_access("generate")
def review_edit(image_id: str) -> ResponseReturnValue:
    return _start_job(image_id, "edit", _edit)


def _back_to(image_id: str) -> Response:
    """The detail page again, at its publications, keeping the queue's filters."""
    target = url_for("ui.review_image", image_id=image_id, **query_args(read_query()))
    return redirect(f"{target}#publications", 303)


def _publish_refusal(error: GatewayError) -> str:
    if isinstance(error, ValidationFailed) and "allow_low_resolution" in error.field_errors:
        return (
            "This design is below the print DPI floor at this template. Tick “Publish anyway” "
            "to publish it regardless."
        )
    if error.code == IpRisk.code:
        terms = ", ".join(error.details.get("terms", []))
        return (
            f"This design names protected terms ({terms}). Tick “Publish although it names "
            "protected terms” and say why in the note to publish it regardless."
        )
    return error.message


@blueprint.post("/review/images/<image_id>/publish")
@ui_access("publish")
def review_publish(image_id: str) -> ResponseReturnValue:
    """Publish (or dry-run) the image with a template; a refusal shows next to the form."""
    form = PublishForm()
    require_token(form)
    try:
        publication = publications.publish(
            db.session,
            publishing_context.current(),
            image_id,
            form.body(),
            principal(),
            publishing_context.enqueue,
        )
    except GatewayError as error:
        db.session.rollback()
        image = images.get(db.session, image_id)
        context = _detail_context(image, read_query(), form, _publish_refusal(error))
        return render_template("ui/review/detail.html", errors={}, **context), error.status
    name = (publication.template or {}).get("name", "")
    if publication.dry_run:
        flash(f"Dry run with “{name}” queued: its requests are recorded, nothing is sent.", "ok")
    else:
        flash(f"Publishing with “{name}” queued (publication {publication.id}).", "ok")
    return _back_to(image_id)


@blueprint.post("/review/publications/<publication_id>/retry")
@ui_access("publish")
def retry_publication(publication_id: str) -> Response:
    return _act_on_publication(
        publication_id,
        lambda context: publications.retry(
            db.session, context, publication_id, principal(), publishing_context.enqueue
        ),
        "Retry refused",
        "Publication queued again; it resumes from the last step Printify confirmed.",
    )


@blueprint.post("/review/publications/<publication_id>/unpublish")
@ui_access("publish")
def unpublish_publication(publication_id: str) -> Response:
    return _act_on_publication(
        publication_id,
        lambda context: publications.unpublish(db.session, context, publication_id, principal()),
        "Unpublish failed",
        "Product taken down from Printify; the image is approved again.",
    )


def _act_on_publication(
    publication_id: str,
    act: Callable[[publishing_context.PublishingContext], object],
    refused: str,
    done: str,
) -> Response:
    """Act on a publication (404 when there is none), flash the outcome or the refusal, and go
    back to its image's page."""
    image_id = publications.get(db.session, publication_id).image_id
    if attempt(lambda: act(publishing_context.current()), refused) is not None:
        flash(done, "ok")
    return _back_to(image_id)
