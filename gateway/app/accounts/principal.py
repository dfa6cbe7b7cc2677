"""Who a call acts as, whichever way it authenticated (an API key or an operator's session).

Services take a `Principal` to audit and authorise by; it lives in accounts, below `security`
(which resolves it from a request) and `accounts.sessions` (which builds one for an operator).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.app.audit.service import Actor


@dataclass(frozen=True)
class Principal:
    actor: Actor
    scopes: frozenset[str]
    plan: str
    api_key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def rate_identity(self) -> str:
        return self.api_key_id or f"operator:{self.actor.id}"
