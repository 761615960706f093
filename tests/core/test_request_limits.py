"""Attacks on the request body: no body, however large or hostile, can freeze the server or flood its answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest

from govcx.core.config import API_PREFIX
from govcx.core.limits import RouteLimits

FEEDBACK = f"{API_PREFIX}/feedback/responses"


def _unknown_keys(count: int) -> bytes:
    body = {"survey_id": "00000000-0000-0000-0000-000000000000", "answers": {}}
    body.update({f"k{i:07d}": 0 for i in range(count)})
    return json.dumps(body).encode()


def _json_routes(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """Every (method, path) of the API that takes a JSON body, from the OpenAPI document."""
    document = app.openapi()
    return [(method.upper(), path) for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if "application/json" in operation.get("requestBody", {}).get("content", {})]


async def _both(app, first, second):  # noqa: ANN001, ANN201
    """Send two requests at once; return their answers and the order they finished in."""
    finished: list[str] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://govcx.test") as client:
        async def run(name, call):  # noqa: ANN001, ANN202
            answer = await call(client)
            finished.append(name)
            return answer

        answers = await asyncio.gather(run("first", first), run("second", second))
    return answers, finished


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    answer = client.post(FEEDBACK, content=b"{" + b" " * (12 * 1024 * 1024) + b"}",
                         headers={"content-type": "application/json"})

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert "1,048,576 bytes" in answer.json()["detail"]


def test_every_json_route_refuses_an_oversized_body_with_a_413(app, client, settings):
    routes = _json_routes(app)
    assert len(routes) > 10
    limits = RouteLimits(default=settings.max_body_bytes, by_route=settings.max_body_bytes_by_route)
    for method, path in routes:
        url = path.replace("{", "").replace("}", "")  # any value: the body is refused before routing matters
        answer = client.request(method, url, content=b" " * limits.limit_for(url) + b"{}",
                                headers={"content-type": "application/json"})
        assert answer.status_code == 413, (method, path, answer.status_code)


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(app):
    async def endless() -> AsyncIterator[bytes]:
        yield b'{"answers": {"'
        for _ in range(10_000):  # 640 MB if it were all read
            yield b"x" * 65536

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://govcx.test") as client:
            return await client.post(FEEDBACK, content=endless(), headers={"content-type": "application/json"})

    answer = asyncio.run(go())

    assert answer.status_code == 413
    assert answer.json()["status"] == 413


def test_a_route_given_a_larger_limit_takes_a_larger_body(settings, clock, engine):
    from govcx.app import create_app

    settings.max_body_bytes_by_route = {FEEDBACK: 4 * 1024 * 1024}
    from starlette.testclient import TestClient

    with TestClient(create_app(settings, clock=clock)) as client:
        big = client.post(FEEDBACK, content=b" " * (2 * 1024 * 1024) + b"{}",
                          headers={"content-type": "application/json"})
        other = client.post(f"{API_PREFIX}/feedback/surveys", content=b" " * (2 * 1024 * 1024) + b"{}",
                            headers={"content-type": "application/json"})

    assert big.status_code == 422  # read and validated: only the limit of this one address grew
    assert other.status_code == 413


def test_a_hostile_body_lists_a_bounded_number_of_errors(client):
    answer = client.post(FEEDBACK, content=_unknown_keys(900), headers={"content-type": "application/json"})

    assert answer.status_code == 422
    problem = answer.json()
    assert len(problem["errors"]) == 20
    assert problem["more_errors"] >= 900 - 20
    assert "more errors" in problem["detail"]
    assert len(answer.content) < 10_000


def test_another_request_is_answered_while_a_hostile_body_is_refused(app):
    hostile = _unknown_keys(60_000)
    assert len(hostile) < 1024 * 1024  # under the size limit: this one is read

    async def attack(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(FEEDBACK, content=hostile, headers={"content-type": "application/json"})

    async def pings(client: httpx.AsyncClient) -> list[int]:
        await client.get("/healthz")  # warm
        statuses = []
        for _ in range(20):
            statuses.append((await client.get("/healthz")).status_code)
        return statuses

    (attacked, pinged), _ = asyncio.run(_both(app, attack, pings))

    assert attacked.status_code == 422
    assert "60,002 members" in attacked.json()["detail"]
    assert pinged == [200] * 20


def test_the_event_loop_keeps_turning_while_a_hostile_body_is_refused(app):
    hostile = _unknown_keys(60_000)
    gaps: list[float] = []

    async def attack(client: httpx.AsyncClient) -> httpx.Response:
        await asyncio.sleep(0.02)
        return await client.post(FEEDBACK, content=hostile, headers={"content-type": "application/json"})

    async def ticker(client: httpx.AsyncClient) -> None:
        # Turns every millisecond until the attack is answered; a stalled loop shows as a long gap.
        loop = asyncio.get_running_loop()
        last = loop.time()
        for _ in range(400):
            await asyncio.sleep(0.001)
            now = loop.time()
            gaps.append(now - last)
            last = now

    (attacked, _), _ = asyncio.run(_both(app, attack, ticker))

    assert attacked.status_code == 422
    # Before the fix the loop stood still for the whole validation (about a second here).
    assert max(gaps) < 0.25


def test_a_large_json_body_a_route_can_take_still_reaches_it(client):
    # Large but ordinary in shape: it passes the checks and gets the route's own answer.
    body = {"survey_id": "00000000-0000-0000-0000-000000000000", "answers": {"comment": "x" * 200_000}}
    answer = client.post(FEEDBACK, json=body)

    assert answer.status_code in (404, 422)
    assert "members" not in answer.json()["detail"]


def test_a_detailed_region_boundary_is_taken_where_a_larger_limit_is_set(client, uow, clock):
    import math

    from govcx.core.accounts import Scope
    from tests.factories import registry as factories

    with uow() as session:
        key = factories.api_key(session, clock, factories.agency(session, clock, code="STAT"), [Scope.REGISTRY_ADMIN])
    ring = [[round(24.9 + 0.1 * math.cos(i / 3000 * math.tau), 6), round(60.2 + 0.1 * math.sin(i / 3000 * math.tau), 6)]
            for i in range(60_000)]
    ring.append(ring[0])
    body = {"code": "HEL", "name": "Helsinki", "shape": {"type": "Polygon", "coordinates": [ring]}}
    assert 1024 * 1024 < len(json.dumps(body)) < 8 * 1024 * 1024

    answer = client.post(f"{API_PREFIX}/regions", json=body, headers={"X-API-Key": key})

    assert answer.status_code == 201, answer.json()
