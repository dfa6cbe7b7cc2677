"""`POST /api/printify/webhooks`: where Printify delivers the events the gateway registered for.

Not versioned and not behind API keys: Printify authenticates by signing each body with the shared
`PRINTIFY_WEBHOOK_SECRET`. Without that secret configured the route does not exist (404).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.app import context as app_context
from gateway.app.errors import NotFound
from gateway.app.extensions import csrf, db
from gateway.app.publishing import inbound

WEBHOOK_PATH = "/api/printify/webhooks"
blueprint = Blueprint("printify_webhooks", __name__)
csrf.exempt(blueprint)


@blueprint.post(WEBHOOK_PATH)
def receive() -> Response:
    settings = app_context.settings()
    if not settings.printify_webhook_secret:
        raise NotFound("Printify webhooks are not configured (PRINTIFY_WEBHOOK_SECRET)")
    if (request.content_length or 0) > inbound.MAX_EVENT_BYTES:
        raise RequestEntityTooLarge()
    body = request.get_data(cache=True)  # the JSON-body check may have read it already
    if len(body) > inbound.MAX_EVENT_BYTES:
        raise RequestEntityTooLarge()
    inbound.verify(
        settings.printify_webhook_secret, body, request.headers.get(inbound.SIGNATURE_HEADER)
    )
    event = inbound.parse(body)
    outcome = inbound.handle(db.session, event, settings.printify_shop_id)
    return jsonify({"event_id": event["id"], "outcome": outcome})
