"""Typed dependency aliases, defined once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import unit_of_work


def _session(request: Request) -> Iterator[Session]:
    with unit_of_work(request.app.state.session_factory) as session:
        yield session


async def _clock(request: Request) -> Clock:
    return request.app.state.clock


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _cipher(request: Request) -> FieldCipher:
    return request.app.state.cipher


# Dependencies that never block are async: a sync one costs a thread-pool hop per request.
# scope="function": the unit of work commits before the response is sent, so nothing is
# acknowledged that could still fail to commit.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
ClockDep = Annotated[Clock, Depends(_clock)]
SettingsDep = Annotated[Settings, Depends(_settings)]
CipherDep = Annotated[FieldCipher, Depends(_cipher)]
