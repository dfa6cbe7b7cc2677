"""Signatures a receiver can verify: Standard Webhooks (with the standardwebhooks package) and the
simple hex HMAC of the body; both secrets during a rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from gateway.app.webhooks import signing

BODY = json.dumps({"event_type": "image.approved", "event_id": "evt_1", "data": {}}).encode()


def headers_for(secrets: list[str], *, timestamp: int | None = None, body: bytes = BODY) -> dict:
    return signing.signature_headers(
        secrets,
        event_id="evt_1",
        event_type="image.approved",
        timestamp=int(time.time()) if timestamp is None else timestamp,
        body=body,
    )


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(signing.secret_bytes(first)) == 32


def test_the_standard_signature_verifies_with_the_standardwebhooks_package():
    secret = signing.new_secret()
    headers = headers_for([secret])
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert headers["webhook-id"] == headers["X-Webhook-ID"] == "evt_1"
    assert headers["X-Webhook-Event"] == "image.approved"


def test_a_tampered_body_is_rejected():
    secret = signing.new_secret()
    headers = headers_for([secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"approved", b"rejected"), headers)


def test_the_wrong_secret_is_rejected():
    headers = headers_for([signing.new_secret()])
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_a_stale_timestamp_is_rejected():
    secret = signing.new_secret()
    headers = headers_for([secret], timestamp=int(time.time()) - 600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def test_the_simple_signature_is_the_hex_hmac_of_the_body_with_the_same_secret_bytes():
    secret = signing.new_secret()
    raw = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(raw, BODY, hashlib.sha256).hexdigest()
    assert headers_for([secret])["X-Webhook-Signature"] == f"sha256={expected}"


def test_during_a_rotation_both_secrets_sign_and_either_verifies():
    new, old = signing.new_secret(), signing.new_secret()
    headers = headers_for([new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(BODY, headers)
    assert Webhook(old).verify(BODY, headers)
    simple = headers["X-Webhook-Signature"].split(",")
    for secret, value in zip([new, old], simple, strict=True):
        digest = hmac.new(signing.secret_bytes(secret), BODY, hashlib.sha256).hexdigest()
        assert value == f"sha256={digest}"
