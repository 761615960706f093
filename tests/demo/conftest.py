"""Fixtures for the demo generator's tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from govcx.core import accounts
from govcx.core.config import Settings
from govcx.demo.generator import DemoResult, generate

PEOPLE = 300


@pytest.fixture(autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    # Argon2 at its real cost takes over 0.1 s a hash, and every generation makes twenty staff
    # accounts; a real hasher with the lowest cost keeps sign-ins real and the suite quick.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


@pytest.fixture
def demo(settings: Settings, engine) -> DemoResult:  # noqa: ANN001 - engine: the tables are emptied after
    """A small demo country in the test store."""
    return generate(settings=settings, people=PEOPLE, seed=7)


@pytest.fixture
def truth(demo: DemoResult) -> dict[str, Any]:
    return json.loads(demo.truth_path.read_text())


@pytest.fixture
def credentials(demo: DemoResult) -> dict[str, Any]:
    return json.loads(demo.credentials_path.read_text())
