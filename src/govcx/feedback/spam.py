"""Spam defences for public survey answers: a rate limit per client address (the honeypot field
is checked by the service)."""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from govcx.core.errors import TooManyRequests
from govcx.core.proxies import client_address


class AnswerLimiter:
    """Counts survey answers per client address, in the store `rate_limit_storage_url` names."""

    def __init__(self, *, rule: str, storage_url: str) -> None:
        self._limit = parse(rule)
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_url))

    def hit(self, *, client: str) -> None:
        """Count one answer from `client`, or refuse it when the limit is reached."""
        if self._limiter.hit(self._limit, "feedback", client):
            return
        reset_at, _ = self._limiter.get_window_stats(self._limit, "feedback", client)
        wait = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests("Too many answers from your network. Wait a minute, then try again.", retry_after=wait)


def install(app) -> None:  # noqa: ANN001
    settings = app.state.settings
    app.state.feedback_limiter = AnswerLimiter(rule=settings.rate_limit_feedback,
                                               storage_url=settings.rate_limit_storage_url)


async def _limit(request: Request) -> None:
    request.app.state.feedback_limiter.hit(client=client_address(request))


RateLimited = Annotated[None, Depends(_limit)]
