"""Webhook fixtures, plus the review UI's login fixtures for the admin page tests."""

from tests.ui.conftest import cheap_argon2, login, make_operator  # noqa: F401
from tests.webhooks.fixtures import receiver, webhooks  # noqa: F401
