"""The life events shipped with govcx (`lifeevents.json`), read and checked before they reach the store."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govcx.core.errors import Invalid

LIFE_EVENTS_FILE = Path(__file__).with_name("lifeevents.json")
KEY_PATTERN = r"^[a-z][a-z0-9-]{1,63}$"
SERVICE_CODE_PATTERN = r"^[A-Z][A-Z0-9-]{1,63}$"


class Names(BaseModel):
    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=1, max_length=200)
    es: str = Field(min_length=1, max_length=200)


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    en: str = Field(default="", max_length=2000)
    es: str = Field(default="", max_length=2000)


class StageService(BaseModel):
    """One agency's service at a stage; `depends_on` names services that must be done first."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(pattern=SERVICE_CODE_PATTERN, max_length=64)
    agency: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,31}$")
    depends_on: list[str] = Field(default_factory=list, max_length=20)


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    names: Names
    services: list[StageService] = Field(min_length=1, max_length=30)


class Trigger(BaseModel):
    """What starts the life event: a vault fact recorded or changed, or a service used."""

    model_config = ConfigDict(extra="forbid")
    fact: str | None = Field(default=None, pattern=r"^[a-z]+\.[a-z_]+$", max_length=100)
    service: str | None = Field(default=None, pattern=SERVICE_CODE_PATTERN, max_length=64)
    description: Texts = Field(default_factory=Texts)

    @model_validator(mode="after")
    def _one_source(self) -> Trigger:
        if (self.fact is None) == (self.service is None):
            raise ValueError("A trigger names either a fact or a service, not both.")
        return self


class LifeEventDefinition(BaseModel):
    """A life event as the file (or an edit through the API) defines it."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    names: Names
    description: Texts = Field(default_factory=Texts)
    triggers: list[Trigger] = Field(default_factory=list, max_length=20)
    stages: list[Stage] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> LifeEventDefinition:
        stage_keys = [s.key for s in self.stages]
        if len(set(stage_keys)) != len(stage_keys):
            raise ValueError("Stage keys repeat; each stage needs its own key.")
        seen: set[str] = set()
        for stage in self.stages:
            for item in stage.services:
                if item.service in seen:
                    raise ValueError(f"Service {item.service} appears twice; list it at one stage only.")
                unknown = [d for d in item.depends_on if d not in seen]
                if unknown:
                    raise ValueError(f"{item.service} depends on {', '.join(unknown)}, which must come before it.")
                seen.add(item.service)
        return self

    def service_codes(self) -> list[str]:
        return [item.service for stage in self.stages for item in stage.services]

    def stage_of(self) -> dict[str, str]:
        """Map each service code to its stage key."""
        return {item.service: stage.key for stage in self.stages for item in stage.services}

    def stored(self) -> dict[str, Any]:
        """What the store keeps as the definition (everything but key and names, which have columns)."""
        return self.model_dump(mode="json", include={"description", "triggers", "stages"})


class LifeEventsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    life_events: list[LifeEventDefinition] = Field(min_length=1)


def parse_definition(data: dict[str, Any]) -> LifeEventDefinition:
    """Check a life event definition, or raise a 422 naming what is wrong."""
    try:
        return LifeEventDefinition.model_validate(data)
    except ValidationError as exc:
        raise Invalid("The life event is not valid: " + "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'definition'}: {e['msg']}" for e in exc.errors())) from exc


@cache
def shipped() -> LifeEventsFile:
    """The life events file in the package, parsed once."""
    return LifeEventsFile.model_validate(json.loads(LIFE_EVENTS_FILE.read_text(encoding="utf-8")))
