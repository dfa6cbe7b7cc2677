"""The detail page's Upscale buttons: queue an upscale of the image, then follow its job.

The print readiness at each template says which factor would reach the print DPI there
(`upscale_for_print`); its buttons post here. htmx gets the job's notice, which `detail.js`
follows until it links the child image; a plain form post gets a flash message and the page again.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gateway.app.errors import GatewayError
from gateway.app.extensions import db
from gateway.app.generation import context as generation
from gateway.app.generation.params import parse_upscale
from gateway.app.generation.service import Requester
from gateway.app.generation.upscale import submit_upscale
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.review import fragment, is_htmx, principal, query_args, read_query

TIMES = "\N{MULTIPLICATION SIGN}"


def _form_factor() -> object:
    """The form's factor as a number when it is one; anything else is left for the check to
    refuse by name."""
    raw = request.form.get("factor", "")
    return int(raw) if raw.isdigit() else raw


@blueprint.post("/review/images/<image_id>/upscale")
@ui_access("generate")
def review_upscale(image_id: str) -> ResponseReturnValue:
    """Queue an upscale of the image by the form's factor on the default backend."""
    context = generation.current()
    query = read_query()
    try:
        params = parse_upscale(image_id, {"factor": _form_factor()}, context.settings)
        job = submit_upscale(
            db.session,
            context.registry,
            generation.enqueue,
            params,
            Requester(actor=principal().actor),
            context.limits,
        )
    except GatewayError as error:
        db.session.rollback()
        if not is_htmx():
            flash(f"Upscale refused: {error.message}", "error")
            return redirect(url_for("ui.review_image", image_id=image_id, **query_args(query)), 303)
        html = render_template(
            "ui/review/_job.html", kind="upscale", job_id=None, error=error.message
        )
        return fragment(html, error.status)
    factor = params.factor
    if not is_htmx():
        flash(
            f"Upscale {TIMES}{factor} job {job.id} queued: its image appears among this design's "
            "variations, pending review.",
            "ok",
        )
        return redirect(url_for("ui.review_image", image_id=image_id, **query_args(query)), 303)
    html = render_template(
        "ui/review/_job.html", kind=f"upscale {TIMES}{factor}", job_id=job.id, error=None
    )
    return fragment(html, 202)
