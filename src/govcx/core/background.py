"""The background loop: drain every durable job table, wait, repeat.

`govcx worker` runs it in the foreground; the embedded `govcx serve` runs it in a daemon thread.
Each job is a callable that drains one table (the event deliveries, the notification outbox...)
and opens its own units of work (DESIGN §6.9).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[[], Any]


def run_round(jobs: Sequence[Job]) -> list[Any]:
    """Run every job once, in order; a failing job is logged and the next one still runs."""
    results = []
    for job in jobs:
        try:
            results.append(job())
        except Exception:  # noqa: BLE001 - a broken job must not starve the others, nor end the loop
            log.exception("background job failed", extra={"job": getattr(job, "__qualname__", repr(job))})
            results.append(None)
    return results


def run_forever(jobs: Sequence[Job], *, poll_s: float, stop: threading.Event) -> None:
    """Run rounds every `poll_s` seconds until `stop` is set."""
    while not stop.is_set():
        run_round(jobs)
        stop.wait(poll_s)


class BackgroundLoop:
    """The loop in a daemon thread of the serving process (the embedded default)."""

    def __init__(self, jobs: Sequence[Job], *, poll_s: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=run_forever, args=(list(jobs),),
                                        kwargs={"poll_s": poll_s, "stop": self._stop}, name="govcx-worker",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
