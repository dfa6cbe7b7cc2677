"""Webhook subscriptions, their delivery log, tests, redeliveries and sample events."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from podgateway._base import Calls, drop_unset
from podgateway.models import Delivery, Page, Webhook, WebhookEvent


class WebhookCalls(Calls):
    def create_webhook(
        self,
        url: str,
        events: Sequence[str] = ("*",),
        *,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> Webhook:
        """Subscribe `url` to `events` (`*` for all); the answer's `secret` is shown this once."""
        body = drop_unset({"url": url, "events": [*events], "description": description})
        return self._one(Webhook, "POST", "/webhooks", json=body, idempotency_key=idempotency_key)

    def list_webhooks(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Webhook]:
        return self._page(Webhook, "/webhooks", {"limit": limit, "cursor": cursor})

    def iter_webhooks(self, *, page_size: int = 50) -> Iterator[Webhook]:
        return self._iterate(Webhook, "/webhooks", None, page_size)

    def get_webhook(self, webhook_id: str) -> Webhook:
        return self._one(Webhook, "GET", f"/webhooks/{webhook_id}")

    def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Webhook:
        """Change a subscription; `enabled=True` re-enables it and clears its failure record."""
        body = drop_unset(
            {
                "url": url,
                "events": None if events is None else [*events],
                "description": description,
                "enabled": enabled,
            }
        )
        return self._one(Webhook, "PATCH", f"/webhooks/{webhook_id}", json=body)

    def delete_webhook(self, webhook_id: str) -> None:
        self._http.request("DELETE", f"/webhooks/{webhook_id}")

    def rotate_webhook_secret(
        self, webhook_id: str, *, idempotency_key: str | None = None
    ) -> Webhook:
        """A new secret (in `secret`); the old one keeps signing beside it for 24 hours."""
        path = f"/webhooks/{webhook_id}/rotate-secret"
        return self._one(Webhook, "POST", path, idempotency_key=idempotency_key)

    def test_webhook(self, webhook_id: str, *, idempotency_key: str | None = None) -> Delivery:
        """Queue a `webhook.test` event to this subscription; the delivery's `event_id` is its
        webhook-id header."""
        path = f"/webhooks/{webhook_id}/test"
        return self._one(Delivery, "POST", path, idempotency_key=idempotency_key)

    def list_deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Delivery]:
        """One page of a subscription's delivery log, each delivery with its attempts."""
        params = {"status": status, "limit": limit, "cursor": cursor}
        return self._page(Delivery, f"/webhooks/{webhook_id}/deliveries", params)

    def iter_deliveries(
        self, webhook_id: str, *, status: str | None = None, page_size: int = 50
    ) -> Iterator[Delivery]:
        path = f"/webhooks/{webhook_id}/deliveries"
        return self._iterate(Delivery, path, {"status": status}, page_size)

    def redeliver(
        self, webhook_id: str, delivery_id: str, *, idempotency_key: str | None = None
    ) -> Delivery:
        """Send a delivered or failed event again, with the same webhook-id."""
        path = f"/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"
        return self._one(Delivery, "POST", path, idempotency_key=idempotency_key)

    def webhook_samples(self, event_type: str) -> list[WebhookEvent]:
        """Example bodies of an event type, exactly as delivered."""
        found = self._list("GET", f"/webhooks/samples/{event_type}")
        return [WebhookEvent.from_dict(item) for item in found]
