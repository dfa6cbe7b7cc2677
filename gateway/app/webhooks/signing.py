"""Webhook secrets and the signature headers of a delivery.

Two schemes over the same secret bytes (the base64 after `whsec_`): Standard Webhooks
(`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, made by the
`standardwebhooks` package so receivers using it verify exactly what we sign) and a simple
`X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>` for receivers that only hash the body.
While a rotated-out secret is still valid both secrets sign: the Standard Webhooks header lists
both signatures separated by a space (as that spec defines), the simple header separated by a
comma, newest first; a receiver accepts the delivery when any one matches.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


@functools.lru_cache(maxsize=1024)
def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    """The Standard Webhooks signer of `secret`, decoded once rather than per attempt."""
    return Webhook(secret)


def signature_headers(
    signing_secrets: list[str], *, event_id: str, event_type: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Every header that identifies and signs one attempt (the timestamp is the attempt's own)."""
    text = body.decode("utf-8")
    when = datetime.fromtimestamp(timestamp, UTC)
    standard = [
        _signer(secret).sign(msg_id=event_id, timestamp=when, data=text)
        for secret in signing_secrets
    ]
    simple = [
        "sha256=" + hmac.new(secret_bytes(secret), body, hashlib.sha256).hexdigest()
        for secret in signing_secrets
    ]
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(standard),
        "X-Webhook-Event": event_type,
        "X-Webhook-ID": event_id,
        "X-Webhook-Signature": ",".join(simple),
    }
