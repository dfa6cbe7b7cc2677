"""Verifying a webhook delivery's Standard Webhooks signature (webhook-id, -timestamp, -signature).

Pass the raw body bytes as received (not re-serialised JSON) and the request headers. During a
secret rotation the gateway signs with both secrets, so either one verifies; pass every secret you
hold to accept deliveries signed by any of them.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError
from standardwebhooks.webhooks import WebhookVerificationError as _StandardError

from podgateway.errors import WebhookVerificationError
from podgateway.models import WebhookEvent


def verify_webhook(
    payload: bytes | str, headers: Mapping[str, str], secret: str | Sequence[str]
) -> WebhookEvent:
    """The delivered event, once its signature and timestamp (within 5 minutes) verify.

    Raises `WebhookVerificationError` for a missing header, a stale timestamp or no matching
    signature.
    """
    secrets = [secret] if isinstance(secret, str) else list(secret)
    plain = {str(name).lower(): str(value) for name, value in headers.items()}
    problem = "no secret given"
    for candidate in secrets:
        try:
            body = Webhook(candidate).verify(payload, plain)
        except (_StandardError, EmptyWebhookSecretError, ValueError, binascii.Error) as exc:
            problem = str(exc) or type(exc).__name__
            continue
        if not isinstance(body, dict):
            raise WebhookVerificationError("the body is not a JSON object")
        return WebhookEvent.from_dict(body)
    raise WebhookVerificationError(problem)
