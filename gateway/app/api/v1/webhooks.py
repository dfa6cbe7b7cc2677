"""Webhook subscriptions (also Zapier REST hooks), their deliveries, tests and samples.

Scope `read` is enough: a key manages the subscriptions it created (Zapier and n8n connect with an
ordinary key), and a key with `admin` sees and manages every subscription. Someone else's
subscription answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_restx import Namespace, Resource, fields

from gateway.app.api import common, spec
from gateway.app.api.representation import Listing
from gateway.app.api.representation import current as representation
from gateway.app.api.spec import nullable
from gateway.app.api.v1 import schemas
from gateway.app.errors import NotFound
from gateway.app.events.service import EVENT_TYPES
from gateway.app.extensions import db
from gateway.app.query_args import choice_arg
from gateway.app.security import api_access, require_principal
from gateway.app.webhooks import context as webhook_context
from gateway.app.webhooks import presenter, samples, service
from gateway.app.webhooks.models import DELIVERY_STATUSES, WebhookDelivery, WebhookSubscription

ns = Namespace("webhooks", description="Outbound webhook subscriptions and deliveries")
error = schemas.error_model(ns)
events_field = fields.List(
    fields.String(enum=list(service.EVENT_CHOICES)), example=["image.approved"]
)
create_model = ns.model(
    "WebhookCreate",
    {
        "url": fields.String(example="https://example.com/hooks/pod", description="http(s)"),
        "events": events_field,
        "description": fields.String(max_length=service.MAX_DESCRIPTION_LENGTH),
        "target_url": fields.String(description="Zapier REST-hook form: instead of url"),
        "event": fields.String(description="Zapier REST-hook form: one event type, or *"),
    },
)
patch_model = ns.model(
    "WebhookPatch",
    {
        "url": fields.String(),
        "events": events_field,
        "description": fields.String(max_length=service.MAX_DESCRIPTION_LENGTH),
        "enabled": fields.Boolean(description="true re-enables and clears the failure record"),
    },
)
webhook_model = ns.model(
    "Webhook",
    {
        "id": fields.String(),
        "url": fields.String(),
        "events": fields.List(fields.String()),
        "description": fields.String(),
        "enabled": fields.Boolean(),
        "state": fields.String(enum=["active", "failing", "disabled"]),
        "disabled_reason": nullable(fields.String()),
        "disabled_at": nullable(fields.DateTime()),
        "failing_since": nullable(fields.DateTime()),
        "last_success_at": nullable(fields.DateTime()),
        "last_failure_at": nullable(fields.DateTime()),
        "previous_secret_expires_at": nullable(
            fields.DateTime(
                description="while set, the previous secret still signs beside the new one"
            )
        ),
        "source": fields.String(enum=list(service.SOURCES)),
        "api_key_id": nullable(fields.String()),
        "created_by": fields.String(),
        "created_at": fields.DateTime(),
        "updated_at": fields.DateTime(),
    },
)
secret_model = ns.inherit(
    "WebhookWithSecret",
    webhook_model,
    {"secret": fields.String(example="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")},
)
list_model = ns.model("WebhookList", {"items": fields.List(fields.Nested(webhook_model))})
attempt_model = ns.model(
    "WebhookAttempt",
    {
        "number": fields.Integer(),
        "started_at": fields.DateTime(),
        "duration_ms": fields.Integer(),
        "result": fields.String(
            enum=["success", "http_error", "timeout", "network_error", "blocked"]
        ),
        "status_code": nullable(fields.Integer()),
        "error": nullable(fields.String()),
        "response_excerpt": nullable(fields.String(description="the first KiB of the answer")),
    },
)
delivery_model = ns.model(
    "WebhookDelivery",
    {
        "id": fields.String(),
        "webhook_id": fields.String(),
        "event_id": fields.String(description="the webhook-id header; same on every retry"),
        "event_type": fields.String(),
        "status": fields.String(enum=list(DELIVERY_STATUSES)),
        "attempt_count": fields.Integer(),
        "next_attempt_at": nullable(fields.DateTime()),
        "last_status_code": nullable(fields.Integer()),
        "last_error": nullable(fields.String()),
        "redelivery_of": nullable(fields.String()),
        "created_at": fields.DateTime(),
        "completed_at": nullable(fields.DateTime()),
        "attempts": fields.List(fields.Nested(attempt_model)),
    },
)
delivery_list_model = ns.model(
    "WebhookDeliveryList", {"items": fields.List(fields.Nested(delivery_model))}
)
envelope_model = ns.model(
    "WebhookEvent",
    {
        "event_type": fields.String(enum=list(EVENT_TYPES)),
        "event_id": fields.String(),
        "timestamp": fields.DateTime(),
        "data": fields.Raw(description="the resource as the API returns it"),
    },
)


def _owner() -> service.Owner:
    principal = require_principal()
    return service.Owner(
        actor=principal.actor, api_key_id=principal.api_key_id, sees_all=principal.is_admin
    )


def _networks() -> tuple[str, ...]:
    return webhook_context.current().networks


def _subscription(webhook_id: str) -> WebhookSubscription:
    return service.get(db.session, _owner(), webhook_id)


def _queued(delivery: WebhookDelivery) -> tuple[dict, int]:
    """Answer 202 with the queued delivery, then ask a worker to send it now.

    Reading the delivery opened a transaction (IMMEDIATE on SQLite); it is closed before the
    task is queued, so a worker (or the eager queue in tests) can claim the row at once.
    """
    body = presenter.delivery_to_dict(delivery, [])
    db.session.commit()
    webhook_context.enqueue_delivery(body["id"])
    return body, 202


@ns.route("")
class WebhookList(Resource):
    @ns.response(200, "Your subscriptions (all of them for admin keys)", list_model)
    @ns.response(401, "Missing or invalid key", error)
    @spec.cursor_paged(ns, "Webhook")
    @api_access("webhooks.list")
    def get(self) -> dict:
        """List webhook subscriptions, newest first (v2: by cursor)."""
        return representation().listed(
            Listing(
                keyset=service.SUBSCRIPTIONS_BY_CREATED,
                query=lambda: service.subscriptions_query(_owner()),
                present=_present_subscriptions,
                legacy=lambda: {
                    "items": _present_subscriptions(
                        service.list_subscriptions(db.session, _owner())
                    )
                },
            )
        )

    @ns.expect(create_model)
    @ns.response(201, "Subscribed; the secret is shown this once", secret_model)
    @ns.response(400, "Invalid or refused URL, unknown event type", error)
    @ns.response(401, "Missing or invalid key", error)
    @api_access("webhooks.create")
    @common.idempotent_call(ns)
    def post(self) -> tuple[dict, int]:
        """Subscribe `{url, events, description?}` or Zapier's `{target_url, event}`."""
        data = service.parse_create(common.json_body(), _networks())
        subscription = service.create(db.session, data, _owner())
        return presenter.with_secret(subscription), 201


@ns.route("/samples/<string:event_type>")
class WebhookSamples(Resource):
    @ns.response(200, "Sample deliveries, newest real events first", [envelope_model])
    @ns.response(404, "Unknown event type", error)
    @api_access("webhooks.samples")
    def get(self, event_type: str) -> list:
        """Example bodies of an event type, exactly as delivered (Zapier's perform-list)."""
        if event_type not in EVENT_TYPES:
            raise NotFound(
                f"unknown event type {event_type!r}",
                details={"event_type": event_type, "event_types": list(EVENT_TYPES)},
            )
        return samples.samples(db.session, event_type, common.base_url())


@ns.route("/<string:webhook_id>")
class Webhook(Resource):
    @ns.response(200, "The subscription", webhook_model)
    @ns.response(404, "Unknown webhook", error)
    @api_access("webhooks.get")
    def get(self, webhook_id: str) -> dict:
        """One subscription (without its secret)."""
        return presenter.to_dict(_subscription(webhook_id))

    @ns.expect(patch_model)
    @ns.response(200, "Updated", webhook_model)
    @ns.response(400, "Invalid field", error)
    @ns.response(404, "Unknown webhook", error)
    @api_access("webhooks.update")
    def patch(self, webhook_id: str) -> dict:
        """Change the URL, events, description, or enable/disable it."""
        subscription = _subscription(webhook_id)
        changes = service.parse_update(common.json_body(), _networks())
        service.update_subscription(db.session, subscription, changes, _owner())
        return presenter.to_dict(subscription)

    @ns.response(204, "Unsubscribed")
    @ns.response(404, "Unknown webhook", error)
    @api_access("webhooks.delete")
    def delete(self, webhook_id: str) -> tuple[str, int]:
        """Unsubscribe (Zapier's unsubscribe); its delivery log goes with it."""
        service.delete(db.session, _subscription(webhook_id), _owner())
        return "", 204


@ns.route("/<string:webhook_id>/rotate-secret")
class RotateSecret(Resource):
    @ns.response(200, "The new secret, shown this once", secret_model)
    @ns.response(404, "Unknown webhook", error)
    @api_access("webhooks.rotate_secret")
    @common.idempotent_call(ns)
    def post(self, webhook_id: str) -> dict:
        """A new secret; the old one keeps signing beside it for 24 hours."""
        subscription = service.rotate_secret(db.session, _subscription(webhook_id), _owner())
        return presenter.with_secret(subscription)


@ns.route("/<string:webhook_id>/test")
class SendTest(Resource):
    @ns.response(202, "A webhook.test delivery is queued", delivery_model)
    @ns.response(404, "Unknown webhook", error)
    @ns.response(409, "The webhook is disabled", error)
    @api_access("webhooks.test")
    @common.idempotent_call(ns)
    def post(self, webhook_id: str) -> tuple[dict, int]:
        """Send a `webhook.test` event to this subscription only."""
        return _queued(service.send_test(db.session, _subscription(webhook_id)))


@ns.route("/<string:webhook_id>/deliveries")
class Deliveries(Resource):
    @ns.doc(
        params={
            "status": schemas.choice_param(DELIVERY_STATUSES),
            "limit": schemas.limit_param(),
        }
    )
    @ns.response(200, "Newest deliveries first, each with every attempt", delivery_list_model)
    @ns.response(404, "Unknown webhook", error)
    @spec.cursor_paged(ns, "WebhookDelivery")
    @api_access("webhooks.deliveries")
    def get(self, webhook_id: str) -> dict:
        """The delivery log: status, attempts, response codes and excerpts (v2: by cursor)."""
        subscription = _subscription(webhook_id)
        status = choice_arg("status", DELIVERY_STATUSES)
        return representation().listed(
            Listing(
                keyset=service.BY_SEQUENCE,
                query=lambda: service.deliveries_query(subscription, status=status),
                present=lambda rows: _present_deliveries(service.with_attempts(db.session, rows)),
                legacy=lambda: {
                    "items": _present_deliveries(_newest_deliveries(subscription, status))
                },
            )
        )


def _present_subscriptions(found: Sequence[WebhookSubscription]) -> list[dict]:
    return [presenter.to_dict(subscription) for subscription in found]


def _newest_deliveries(
    subscription: WebhookSubscription, status: str | None
) -> list[tuple[WebhookDelivery, list]]:
    """v1's delivery log: the newest `limit` deliveries with their attempts."""
    limit = common.page_size()
    return service.list_deliveries(db.session, subscription, limit=limit, status=status)


def _present_deliveries(found: list[tuple[WebhookDelivery, list]]) -> list[dict]:
    return [presenter.delivery_to_dict(delivery, attempts) for delivery, attempts in found]


@ns.route("/<string:webhook_id>/deliveries/<string:delivery_id>/redeliver")
class Redeliver(Resource):
    @ns.response(202, "A new delivery of the same event is queued", delivery_model)
    @ns.response(404, "Unknown webhook or delivery", error)
    @ns.response(409, "Still in progress, or the webhook is disabled", error)
    @api_access("webhooks.redeliver")
    @common.idempotent_call(ns)
    def post(self, webhook_id: str, delivery_id: str) -> tuple[dict, int]:
        """Send a delivered (or failed) event again, with the same webhook-id."""
        subscription = _subscription(webhook_id)
        return _queued(service.redeliver(db.session, subscription, delivery_id))
