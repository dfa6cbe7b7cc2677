"""Tiered rate limits (contract section 6) on the `limits` library: memory, or Redis when shared.

One operation tier per endpoint (`generation`, `publishing`, `approval`, `read`); the limit is the
tier's base times the key's plan multiplier. Headers follow both the X-RateLimit-* convention and the
IETF RateLimit / RateLimit-Policy draft.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerHour
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from gateway.app.errors import GatewayError
from gateway.app.settings import Settings


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
                settings.redis_url, key_prefix=f"{settings.redis_prefix}:ratelimit"
            )
        else:
            storage = MemoryStorage()
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

    def hit(self, tier: str, plan: str, identity: str) -> RateState:
        """Count one request; raise RATE_LIMIT_EXCEEDED (with Retry-After) once the tier is spent."""
        amount = self.limit_for(tier, plan)
        item = RateLimitItemPerHour(amount)
        allowed = self._strategy.hit(item, tier, identity)
        stats = self._strategy.get_window_stats(item, tier, identity)
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
