"""Request bodies that cannot take the server down: bounded by route, and big ones checked off the event loop.

Two pieces, both plain ASGI:

- `BodyLimitMiddleware` answers 413 (a problem detail) before any body is parsed: at once when the
  declared Content-Length is over the route's limit, and as soon as a chunked body without one goes
  over it while being read.
- `JsonShapeMiddleware` decodes a JSON body larger than `OFF_LOOP_BYTES` in a worker thread first
  and refuses one with more members, items or depth than any schema takes. Validation errors grow
  with those, so what is left for the route to validate on the event loop is small, and a hostile
  body never stalls the loop that answers every other request (with the problem detail's error list
  bounded in `core.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govcx.core.errors import problem_response

# Below this a body is checked where it is received: a thread hop would cost more than the check.
OFF_LOOP_BYTES = 64 * 1024


class BodyTooLarge(StarletteHTTPException):
    """A request body over its route's limit; answered as a 413 problem detail."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"The request body is larger than this address takes "
                                                 f"({limit:,} bytes).")
        self.limit = limit


class RouteLimits:
    """The byte limit of each address: a default, and others for paths that start with a prefix."""

    def __init__(self, *, default: int, by_route: Mapping[str, int]) -> None:
        self.default = default
        # Longest prefix first, so a specific route's limit beats its parent's.
        self.by_route = sorted(by_route.items(), key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.by_route if path.startswith(prefix)), self.default)


class BodyLimitMiddleware(RouteLimits):
    """Refuse request bodies larger than their route's limit (the longest matching path prefix wins)."""

    def __init__(self, app: ASGIApp, *, default: int, by_route: Mapping[str, int]) -> None:
        super().__init__(default=default, by_route=by_route)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                await _answer(scope, send, status=400, title="Bad Request",
                              detail="Content-Length is not a number.")
                return
            if too_large:
                # Answered before a byte of the body is read.
                await _answer(scope, send, status=413, title="Content Too Large", detail=BodyTooLarge(limit).detail)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            # Normally the exception handlers answer it; this is for a reader outside their reach.
            if started:
                raise
            await _answer(scope, send, status=413, title="Content Too Large", detail=exc.detail)


async def _answer(scope: Scope, send: Send, *, status: int, title: str, detail: str) -> None:
    response = problem_response(status=status, title=title, detail=detail, code=None, instance=scope["path"])
    response.headers["connection"] = "close"  # the unread body is not worth draining
    await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


# JSON shape, checked off the event loop ----------------------------------------------------------

# A body no schema of ours needs: an object with more members, an array with more items, or deeper
# nesting. Validation errors grow with these, so bounding them bounds what validation can cost.
MAX_MEMBERS = 1000
MAX_ITEMS = 10_000
MAX_DEPTH = 32


class _Misshapen(ValueError):
    pass


def shape_problem(body: bytes, *, scale: int = 1) -> str | None:
    """Why a JSON body is too large in shape to validate, or None (also when it is not JSON at all).

    `scale` multiplies the member and item limits, for an address that takes larger bodies.
    """
    max_members, max_items = MAX_MEMBERS * scale, MAX_ITEMS * scale

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len(pairs) > max_members:
            raise _Misshapen(f"An object in the body has {len(pairs):,} members; at most {max_members:,} are taken.")
        return dict(pairs)

    try:
        parsed = json.loads(body, object_pairs_hook=members)
    except _Misshapen as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None  # not JSON: the route answers its own (cheap) decode error
    stack: list[tuple[Any, int]] = [(parsed, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            if len(value) > max_items:
                return f"An array in the body has {len(value):,} items; at most {max_items:,} are taken."
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return f"The body nests deeper than {MAX_DEPTH} levels."
        stack.extend((child, depth + 1) for child in children)
    return None


class JsonShapeMiddleware(RouteLimits):
    """Check a large JSON body's shape in a worker thread, and refuse it there with a 422 when no route
    could want it; smaller bodies, and every other kind, pass straight through. An address given a
    larger byte limit takes proportionally more members and items."""

    def __init__(self, app: ASGIApp, *, default: int, by_route: Mapping[str, int]) -> None:
        super().__init__(default=default, by_route=by_route)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()  # bounded: the body limit sits outside
            if message["type"] != "http.request":
                return  # the client went away before it finished sending: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if len(body) >= OFF_LOOP_BYTES:
            scale = max(1, self.limit_for(scope["path"]) // self.default)
            problem = await run_in_threadpool(lambda: shape_problem(body, scale=scale))
            if problem:
                response = problem_response(status=422, title="Invalid input", code="invalid", detail=problem,
                                            instance=scope["path"], errors=[], more_errors=0)
                await response(scope, _nothing, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _is_json(scope: Scope) -> bool:
    content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")
