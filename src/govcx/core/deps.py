"""Typed dependency aliases, defined once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from govcx.core import events
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import finish, has_writes


async def _end(session: Session, *, failed: bool) -> list[object]:
    # Only a session that wrote needs a commit, and that I/O goes to a worker thread. Ending a
    # read-only one is the rollback of a read transaction: cheaper than a thread hop to move it.
    if has_writes(session):
        return await run_in_threadpool(finish, session, failed=failed)
    return finish(session, failed=failed)


async def _session(request: Request) -> AsyncIterator[Session]:
    # Opening a session does no I/O, so it happens on the event loop.
    session: Session = request.app.state.session_factory()
    try:
        yield session
    except BaseException:
        await _end(session, failed=True)
        raise
    pending = await _end(session, failed=False)
    if pending:
        # Handlers may do I/O of their own (open a unit of work, enqueue a job): off the event loop.
        await run_in_threadpool(events.dispatch, pending)


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
