"""The webhook fixtures (a local receiver, the app allowed to reach it) for test_webhooks.py."""

from tests.webhooks.fixtures import receiver, webhooks  # noqa: F401
