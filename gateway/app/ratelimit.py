"""Tiered rate limits (contract section 6) on the `limits` library, exact across processes.

One operation tier per endpoint (`accounts.scopes`); the limit is the tier's base times the key's
plan multiplier. Counters live in Redis when `REDIS_URL` is set, otherwise in a file every process of
the machine shares (`machine_limits`). Headers follow both the X-RateLimit-* convention and the IETF
RateLimit / RateLimit-Policy draft.

Outage policy: when the counter store cannot be reached (Redis down), requests are let through
uncounted and the outage is logged and counted in `pod_rate_limit_store_errors_total`; refusing
every call because the limiter is down would turn a Redis outage into a gateway outage.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerHour
from limits.errors import StorageError
from limits.storage import RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from gateway.app import metrics
from gateway.app.errors import GatewayError
from gateway.app.machine_limits import MachineStorage
from gateway.app.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset_at: float
    tier: str

    @property
    def reset_in(self) -> int:
        return max(0, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(self.reset_at)),
            "RateLimit-Policy": f'"{self.tier}";q={self.limit};w=3600',
            "RateLimit": f'"{self.tier}";r={self.remaining};t={self.reset_in}',
        }


class RateLimitExceeded(GatewayError):
    code = "RATE_LIMIT_EXCEEDED"


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        storage: Storage
        if settings.redis_url:
            storage = RedisStorage(
                settings.redis_url,
                key_prefix=f"{settings.redis_prefix}:ratelimit",
                wrap_exceptions=True,
            )
        else:
            storage = MachineStorage(f"podgw+sqlite://{settings.state_dir / 'ratelimits.db'}")
        self.storage = storage
        self._strategy = SlidingWindowCounterRateLimiter(storage)

    def limit_for(self, tier: str, plan: str) -> int:
        settings = self._settings
        base = {
            "generation": settings.rate_limit_generation,
            "publishing": settings.rate_limit_publishing,
            "approval": settings.rate_limit_approval,
            "read": settings.rate_limit_read,
        }[tier]
        multiplier = {
            "free": 1,
            "pro": settings.rate_limit_pro_multiplier,
            "enterprise": settings.rate_limit_enterprise_multiplier,
        }[plan]
        return base * multiplier

    def hit(self, tier: str, plan: str, identity: str) -> RateState | None:
        """Count one request; raise RATE_LIMIT_EXCEEDED (with Retry-After) once the tier is spent.
        None when the counter store is unreachable (the outage policy above)."""
        amount = self.limit_for(tier, plan)
        item = RateLimitItemPerHour(amount)
        try:
            allowed = self._strategy.hit(item, tier, identity)
            stats = self._strategy.get_window_stats(item, tier, identity)
        except StorageError as error:
            log.warning("rate-limit store unreachable, request let through: %s", error)
            metrics.RATE_LIMIT_STORE_ERRORS.inc()
            return None
        state = RateState(amount, max(0, stats.remaining), stats.reset_time, tier)
        if not allowed:
            headers = state.headers()
            headers["Retry-After"] = str(max(1, state.reset_in))
            raise RateLimitExceeded(
                f"rate limit for {tier} exceeded ({amount} per hour on the {plan} plan)",
                details={"tier": tier, "limit": amount, "retry_after": max(1, state.reset_in)},
                headers=headers,
            )
        return state

    def check(self) -> bool:
        return bool(self._strategy.storage.check())

    def reset(self) -> None:
        """Forget every counter (tests and `make run` restarts only)."""
        self._strategy.storage.reset()
