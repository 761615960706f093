"""Every route the app answers, for tests that attack a whole class of routes at once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import iter_route_contexts

_PARAM = re.compile(r"{[^}]+}")


def routes(app: Any) -> Iterator[Any]:  # noqa: ANN401 - FastAPI's route contexts
    """Every route of `app`, through included routers, with its full path, methods and dependencies."""
    yield from iter_route_contexts(app.routes)


def needs(route: Any, calls: Iterable[object]) -> bool:  # noqa: ANN401
    """Whether `route` runs any of the dependencies `calls`, directly or through another."""
    wanted = set(calls)
    stack = [route.dependant] if getattr(route, "dependant", None) is not None else []
    while stack:
        dependant = stack.pop()
        if dependant.call in wanted:
            return True
        stack.extend(dependant.dependencies)
    return False


def address(path: str) -> str:
    """`path` with a fresh random id in each placeholder."""
    return _PARAM.sub(lambda _: str(uuid.uuid4()), path)
