"""The calling key, its usage, and operations: status, backends, cleanup."""

from __future__ import annotations

from typing import Any

from podgateway._base import Calls
from podgateway.models import Backend, Me, Usage


class AccountCalls(Calls):
    def me(self) -> Me:
        """The key's name, plan, scopes and request counts."""
        return self._one(Me, "GET", "/me")

    def usage(self) -> Usage:
        """This period's usage against the plan's monthly quotas."""
        return self._one(Usage, "GET", "/usage")

    def status(self) -> dict[str, Any]:
        """Uptime, queue depth, backends and host resources (admin)."""
        return self._object("GET", "/status")

    def backends(self) -> list[Backend]:
        """Every generation backend with its health and circuit state."""
        return [Backend.from_dict(item) for item in self._list("GET", "/backends")]

    def cleanup(self, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Apply the retention policy now (admin); what it removed."""
        return self._object("POST", "/cleanup", idempotency_key=idempotency_key)
