"""The SDK's tests run against real gateways: the end-to-end fixtures, shared here."""

from __future__ import annotations

from tests.e2e.conftest import module_gateways, receiver

__all__ = ["module_gateways", "receiver"]
