"""/webhooks: subscriptions (add, edit, enable, test, rotate secret, delete) and their delivery log.

Admins only; they see every subscription, whoever created it. A secret is shown on the response
that creates or rotates it, never again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask import flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length

from gateway.app.accounts.sessions import operator_principal
from gateway.app.errors import Conflict, ValidationFailed
from gateway.app.events.service import EVENT_TYPES
from gateway.app.extensions import db
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.actions import require_token
from gateway.app.ui.admin_forms import CheckboxesField, ConfirmForm
from gateway.app.webhooks import context as webhook_context
from gateway.app.webhooks import presenter, service
from gateway.app.webhooks.models import WebhookDelivery, WebhookSubscription

EVENT_HELP = {
    "*": "every event, including ones added later",
    "generation.started": "a worker began a generation job",
    "generation.completed": "a job's images are stored and waiting for review",
    "generation.failed": "a job ended without images",
    "image.approved": "an image was approved",
    "image.rejected": "an image was rejected",
    "product.published": "a product went live on the shop",
    "product.failed": "publishing a product failed",
    "batch.completed": "a batch action finished (with per-image outcomes)",
    "webhook.test": "only the test events sent from this page",
}
DELIVERY_LIMIT = 50


class WebhookForm(FlaskForm):
    url = StringField("URL", validators=[DataRequired(), Length(max=2048)])
    description = StringField("Description", validators=[Length(max=500)])
    events = CheckboxesField(
        "Events",
        choices=[SelectChoice(name) for name in ("*", *EVENT_TYPES)],
        default=["*"],
        validators=[DataRequired(message="Choose at least one event.")],
    )
    enabled = BooleanField("Enabled", default=True)


def _owner() -> service.Owner:
    return service.Owner(actor=operator_principal(current_user).actor, sees_all=True)


def _networks() -> tuple[str, ...]:
    return webhook_context.current().networks


def _acted_on(webhook_id: str) -> WebhookSubscription:
    """The subscription a button acts on, once its form's CSRF token is checked (404 if none)."""
    require_token(ConfirmForm())
    return service.get(db.session, _owner(), webhook_id)


def _body(form: WebhookForm) -> dict[str, object]:
    return {
        "url": form.url.data or "",
        "events": form.events.data or [],
        "description": form.description.data or "",
    }


def _apply_errors(form: WebhookForm, error: ValidationFailed) -> None:
    for name, message in (error.field_errors or {"url": error.message}).items():
        field = getattr(form, name, form.url)
        field.errors = [*field.errors, message]


def _list_page(form: WebhookForm, status: int = 200) -> ResponseReturnValue:
    subscriptions = service.list_subscriptions(db.session, _owner())
    return (
        render_template(
            "ui/webhooks.html",
            subscriptions=subscriptions,
            form=form,
            event_help=EVENT_HELP,
            state=presenter.state,
        ),
        status,
    )


def _send_now(delivery_id: str) -> None:
    """Queue the delivery once the session's read transaction is closed (so it can be claimed)."""
    db.session.commit()
    webhook_context.enqueue_delivery(delivery_id)


def _secret_page(subscription: WebhookSubscription, rotated: bool) -> Response:
    response = make_response(
        render_template("ui/webhook_secret.html", subscription=subscription, rotated=rotated)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/webhooks")
@ui_access("admin")
def webhooks() -> ResponseReturnValue:
    return _list_page(WebhookForm())


@blueprint.post("/webhooks")
@ui_access("admin")
def create_webhook() -> ResponseReturnValue:
    form = WebhookForm()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    try:
        data = service.parse_create(_body(form), _networks())
    except ValidationFailed as error:
        _apply_errors(form, error)
        return _list_page(form, 400)
    subscription = service.create(db.session, dataclasses.replace(data, source="ui"), _owner())
    return _secret_page(subscription, rotated=False)


def _detail_page(
    subscription: WebhookSubscription, form: WebhookForm | None = None, status: int = 200
) -> ResponseReturnValue:
    if form is None:
        form = WebhookForm(obj=subscription)
    deliveries = service.list_deliveries(db.session, subscription, limit=DELIVERY_LIMIT)
    return (
        render_template(
            "ui/webhook_detail.html",
            subscription=subscription,
            form=form,
            action_form=ConfirmForm(),
            deliveries=deliveries,
            event_help=EVENT_HELP,
            state=presenter.state(subscription),
        ),
        status,
    )


@blueprint.get("/webhooks/<webhook_id>")
@ui_access("admin")
def webhook_detail(webhook_id: str) -> ResponseReturnValue:
    return _detail_page(service.get(db.session, _owner(), webhook_id))


@blueprint.post("/webhooks/<webhook_id>")
@ui_access("admin")
def update_webhook(webhook_id: str) -> ResponseReturnValue:
    subscription = service.get(db.session, _owner(), webhook_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        return _detail_page(subscription, form, 400)
    try:
        changes = service.parse_update({**_body(form), "enabled": form.enabled.data}, _networks())
    except ValidationFailed as error:
        _apply_errors(form, error)
        return _detail_page(subscription, form, 400)
    service.update_subscription(db.session, subscription, changes, _owner())
    flash("Webhook saved.", "ok")
    return redirect(url_for("ui.webhook_detail", webhook_id=webhook_id))


@blueprint.post("/webhooks/<webhook_id>/test")
@ui_access("admin")
def test_webhook(webhook_id: str) -> Response:
    return _queue_delivery(
        webhook_id,
        lambda subscription: service.send_test(db.session, subscription),
        lambda _: "A webhook.test event is on its way; its delivery shows below.",
    )


@blueprint.post("/webhooks/<webhook_id>/rotate")
@ui_access("admin")
def rotate_webhook_secret(webhook_id: str) -> Response:
    subscription = _acted_on(webhook_id)
    return _secret_page(service.rotate_secret(db.session, subscription, _owner()), rotated=True)


@blueprint.get("/webhooks/<webhook_id>/delete")
@ui_access("admin")
def confirm_delete_webhook(webhook_id: str) -> str:
    subscription = service.get(db.session, _owner(), webhook_id)
    return render_template("ui/webhook_delete.html", subscription=subscription, form=ConfirmForm())


@blueprint.post("/webhooks/<webhook_id>/delete")
@ui_access("admin")
def delete_webhook(webhook_id: str) -> Response:
    subscription = _acted_on(webhook_id)
    url = subscription.url
    service.delete(db.session, subscription, _owner())
    flash(f"Webhook to {url} deleted; it receives nothing more.", "ok")
    return redirect(url_for("ui.webhooks"))


@blueprint.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@ui_access("admin")
def redeliver_webhook(webhook_id: str, delivery_id: str) -> Response:
    return _queue_delivery(
        webhook_id,
        lambda subscription: service.redeliver(db.session, subscription, delivery_id),
        lambda delivery: f"Event {delivery.event_id} queued again (same webhook-id).",
    )


def _queue_delivery(
    webhook_id: str,
    queue: Callable[[WebhookSubscription], WebhookDelivery],
    done: Callable[[WebhookDelivery], str],
) -> Response:
    """Queue the delivery a button asks for (a test, a redelivery), send it now and say so; a
    refusal (the webhook is disabled, the delivery unfinished) is flashed instead."""
    subscription = _acted_on(webhook_id)
    try:
        delivery = queue(subscription)
    except Conflict as error:
        flash(error.message, "error")
    else:
        message = done(delivery)
        _send_now(delivery.id)
        flash(message, "ok")
    return redirect(url_for("ui.webhook_detail", webhook_id=webhook_id))
