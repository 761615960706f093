"""Rate limits on sign-in, per client address and per account, kept in the store `rate_limit_storage_url` names.

With several workers the storage must be shared (e.g. `redis://...`); `memory://` counts per process.
Both limits are moving windows where the storage has them (memory, Redis, MongoDB; a sliding window
counter on memcached): only attempts that were let through count, so an account that someone keeps
guessing at opens again one window after their last counted attempt, never later.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from govcx.core.errors import TooManyRequests
from govcx.core.proxies import client_address

__all__ = ["SignInLimiter", "SignInLimiterDep", "client_address", "moving_window"]


def moving_window(storage_url: str) -> RateLimiter:
    """A moving-window limiter on `storage_url`, or the nearest the storage supports."""
    storage = storage_from_string(storage_url)
    try:
        return MovingWindowRateLimiter(storage)
    except NotImplementedError:
        return SlidingWindowCounterRateLimiter(storage)


class SignInLimiter:
    """Counts sign-in attempts, successful or not, so guessing passwords or ids is slow from anywhere."""

    def __init__(self, *, rule: str, account_rule: str, storage_url: str, key: bytes) -> None:
        self._per_address = parse(rule)
        self._per_account = parse(account_rule)
        self._limiter = moving_window(storage_url)
        self._key = key

    def hit(self, *, client: str, account: str) -> None:
        """Count one attempt from `client` at `account`, or refuse it when either limit is reached."""
        self._check(self._per_address, "sign-in", client,
                    "Too many sign-in attempts from your network.")
        # The account under a keyed hash: the limiter's store never holds an e-mail address or a national id.
        normalized = "".join(account.split()).casefold()
        tag = hmac.new(self._key, normalized.encode(), hashlib.sha256).hexdigest()[:32]
        self._check(self._per_account, "sign-in-account", tag,
                    "Too many sign-in attempts for this account.")

    def _check(self, limit: RateLimitItem, scope: str, who: str, message: str) -> None:
        if self._limiter.hit(limit, scope, who):
            return
        reset_at, _ = self._limiter.get_window_stats(limit, scope, who)
        # `limits` keeps its windows on the wall clock, not on govcx's Clock.
        wait = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(f"{message} Wait {wait} seconds, then try again.", retry_after=wait)


async def _sign_in_limiter(request: Request) -> SignInLimiter:
    return request.app.state.sign_in_limiter


SignInLimiterDep = Annotated[SignInLimiter, Depends(_sign_in_limiter)]
