"""Rate limits on sign-in, per client address, kept in the store `rate_limit_storage_url` names.

With several workers the storage must be shared (e.g. `redis://...`); `memory://` counts per process.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from govcx.core.errors import TooManyRequests


class SignInLimiter:
    """Counts sign-in attempts, successful or not, so guessing passwords or ids is slow."""

    def __init__(self, *, rule: str, storage_url: str) -> None:
        # Fixed windows work on every storage `limits` supports (moving windows do not on memcached).
        self._limit = parse(rule)
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_url))

    def hit(self, *, client: str) -> None:
        """Count one attempt from `client`, or refuse it when the limit is reached."""
        if self._limiter.hit(self._limit, "sign-in", client):
            return
        reset_at, _ = self._limiter.get_window_stats(self._limit, "sign-in", client)
        # `limits` keeps its windows on the wall clock, not on govcx's Clock.
        wait = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(
            "Too many sign-in attempts from your network. Wait a minute, then try again.", retry_after=wait
        )


async def _sign_in_limiter(request: Request) -> SignInLimiter:
    return request.app.state.sign_in_limiter


SignInLimiterDep = Annotated[SignInLimiter, Depends(_sign_in_limiter)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
