"""Events Printify sends us: verified, recorded once, and acted on.

Printify POSTs one JSON event per registered topic, signed (when the webhook was registered with a
secret) as `X-Pfy-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. It has no timestamp
header, so replays are caught by the event id, which is stored with what was done about it.

- `product:deleted`: a product the gateway published was deleted in Printify (by hand, in its
  dashboard): the publication ends `unpublished` and the image goes back to `approved`.
- `product:publish:started`: Printify locked a product for publishing. For the gateway's own
  products the worker reports the outcome itself; the event is recorded so operators see it.
- Anything else (or another shop's event) is recorded and left alone.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.app import jsonbody
from gateway.app.audit.service import SYSTEM
from gateway.app.clients.printify import PrintifyClient
from gateway.app.errors import Unauthorized, ValidationFailed
from gateway.app.publishing import service as publications
from gateway.app.publishing.models import PrintifyEvent, Publication
from gateway.app.publishing.states import PublicationStatus

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Pfy-Signature"
MAX_EVENT_BYTES = 64 * 1024
TOPICS = ("product:deleted", "product:publish:started")


def verify(secret: str, body: bytes, signature: str | None) -> None:
    """The body was signed with our secret, or Unauthorized (compared in constant time)."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = (signature or "").strip().removeprefix("sha256=")
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise Unauthorized(f"{SIGNATURE_HEADER} does not match the body")


def parse(body: bytes) -> dict[str, Any]:
    """The event's id, topic and resource, or a 400 naming what is missing."""
    try:
        event = jsonbody.loads(body)
    except ValueError:
        raise ValidationFailed("the event is not JSON", {"body": "is not valid JSON"}) from None
    if not isinstance(event, dict):
        raise ValidationFailed("the event must be an object", {"body": "must be an object"})
    for field in ("id", "type"):
        value = event.get(field)
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            raise ValidationFailed(f"event {field} is missing", {field: "is required"})
    resource = event.get("resource")
    if not isinstance(resource, dict):
        raise ValidationFailed("event resource is missing", {"resource": "is required"})
    return event


def _resource_id(event: dict[str, Any]) -> str | None:
    value = event["resource"].get("id")
    return str(value)[:64] if value is not None else None


def _shop_of(event: dict[str, Any]) -> str | None:
    data = event["resource"].get("data")
    shop = data.get("shop_id") if isinstance(data, dict) else None
    return None if shop is None else str(shop)


def _product_deleted(session: Session, product_id: str) -> str:
    found = session.scalars(
        select(Publication).where(
            Publication.printify_product_id == product_id,
            Publication.status == PublicationStatus.PUBLISHED,
            Publication.dry_run.is_(False),
        )
    ).all()
    for publication in found:
        publications.mark_unpublished(session, publication, SYSTEM, action="deleted_in_printify")
    return "unpublished" if found else "unknown_product"


def handle(session: Session, event: dict[str, Any], shop_id: str | None) -> str:
    """Act on a verified event once; what was done ("duplicate" for a redelivery). Commits."""
    if session.get(PrintifyEvent, event["id"]) is not None:
        return "duplicate"
    topic, product_id = event["type"], _resource_id(event)
    shop = _shop_of(event)
    if shop is not None and shop_id is not None and shop != shop_id:
        outcome = "other_shop"
    elif topic == "product:deleted" and product_id:
        outcome = _product_deleted(session, product_id)
    elif topic == "product:publish:started":
        known = session.scalar(
            select(Publication.id).where(Publication.printify_product_id == product_id)
        )
        outcome = "ours" if known else "unknown_product"
    else:
        outcome = "ignored"
    session.add(PrintifyEvent(id=event["id"], topic=topic, resource_id=product_id, outcome=outcome))
    try:
        session.commit()
    except IntegrityError:  # the same event, delivered twice at once: the other one acted
        session.rollback()
        return "duplicate"
    log.info("printify event %s %s %s: %s", event["id"], topic, product_id, outcome)
    return outcome


def register(client: PrintifyClient, url: str, secret: str) -> list[dict[str, str]]:
    """Make Printify send every topic in `TOPICS` to `url`, signed with `secret`; what was done.

    Printify cannot show a webhook's secret, so a subscription already at `url` is replaced, which
    also puts a rotated secret into effect. Subscriptions to other URLs are left alone.
    """
    host = urlsplit(url).hostname or ""
    existing = [hook for hook in client.webhooks() if hook.get("url") == url]
    done = []
    for hook in existing:
        client.delete_webhook(str(hook["id"]), host)
    for topic in TOPICS:
        created = client.create_webhook(topic, url, secret)
        done.append({"topic": topic, "id": str(created.get("id")), "url": url})
    return done
