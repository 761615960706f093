"""The proactive services' own dependency: the tools a request shares with the background reactions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from govcx.core.deps import CipherDep, ClockDep, SettingsDep
from govcx.core.signing import SignerDep
from govcx.journeys.proactive.service import Tools


async def _tools(clock: ClockDep, settings: SettingsDep, cipher: CipherDep, signer: SignerDep) -> Tools:
    return Tools(clock=clock, settings=settings, cipher=cipher, signer=signer)


ToolsDep = Annotated[Tools, Depends(_tools)]
