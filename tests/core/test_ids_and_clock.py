import time
from datetime import UTC, datetime

import pytest

from govcx.core.clock import FixedClock, SystemClock
from govcx.core.ids import new_id


def test_ids_are_version_7_and_sort_by_creation_time():
    first = new_id()
    time.sleep(0.002)
    second = new_id()

    assert first.version == 7
    assert first < second
    assert len({new_id() for _ in range(10_000)}) == 10_000


def test_a_fixed_clock_stands_still_until_moved():
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))

    clock.advance(hours=2)

    assert clock.now() == datetime(2026, 1, 1, 2, tzinfo=UTC)


def test_clocks_are_always_timezone_aware():
    assert SystemClock().now().tzinfo is not None
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))
