"""Forwarded headers count only from trusted proxies, and sign-in is limited per account as well as per address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.config import Settings
from govcx.core.proxies import forwarded_client, parse_networks
from tests.feedback.conftest import survey, tax  # noqa: F401 - an open survey to answer
from tests.web.helpers import sign_in_staff

PROXY = "10.0.0.2"
CLIENT = "198.51.100.7"


@pytest.fixture
def serve(settings, clock, engine):  # noqa: ANN201
    """Open a client on an app with `overrides` to its settings, connecting from `peer`."""

    @contextmanager
    def open_(peer: str, **overrides: object) -> Iterator[TestClient]:
        settings_ = settings.model_copy(update={"rate_limit_sign_in_account": "100/minute", **overrides})
        with TestClient(create_app(settings_, clock=clock), client=(peer, 50000)) as client:
            yield client

    return open_


def _spoofed(n: int) -> str:
    return f"203.0.113.{n}, 192.0.2.{n}"


def _attempts(client: TestClient, headers: list[dict[str, str]]) -> list[int]:
    codes = []
    for n, extra in enumerate(headers):
        client.headers.clear()
        client.headers.update(extra)
        codes.append(sign_in_staff(client, f"nobody{n}@gov.example", password="wrong password here").status_code)
    return codes


def test_a_rotating_forwarded_for_from_a_client_does_not_escape_the_sign_in_limit(serve):
    with serve(CLIENT, rate_limit_sign_in="3/minute") as client:
        codes = _attempts(client, [{"X-Forwarded-For": _spoofed(n)} for n in range(5)])

    assert codes == [401, 401, 401, 429, 429]


def test_behind_a_trusted_proxy_what_a_client_writes_into_forwarded_for_is_ignored(serve):
    with serve(PROXY, rate_limit_sign_in="3/minute", trusted_proxies="10.0.0.0/8") as client:
        # The proxy appends the address it saw; the rest of the header is the client's own writing.
        spoofed = _attempts(client, [{"X-Forwarded-For": f"{_spoofed(n)}, {CLIENT}"} for n in range(5)])
        someone_else = _attempts(client, [{"X-Forwarded-For": f"{_spoofed(9)}, 198.51.100.8"}])

    assert spoofed == [401, 401, 401, 429, 429]
    assert someone_else == [401]  # another client behind the same proxy is counted apart


def test_forwarded_headers_from_an_address_that_is_not_a_trusted_proxy_are_ignored(serve):
    with serve(CLIENT, rate_limit_sign_in="3/minute", trusted_proxies="10.0.0.0/8") as client:
        codes = _attempts(client, [{"X-Forwarded-For": f"{_spoofed(n)}, 10.0.0.{n}"} for n in range(4)])

    assert codes == [401, 401, 401, 429]


@pytest.mark.parametrize("peer,trusted,chain", [
    (CLIENT, "", lambda n: _spoofed(n)),
    (PROXY, "10.0.0.0/8", lambda n: f"{_spoofed(n)}, {CLIENT}"),
])
def test_a_rotating_forwarded_for_does_not_escape_the_survey_answer_limit(serve, survey, peer, trusted, chain):  # noqa: F811
    with serve(peer, rate_limit_feedback="2/minute", trusted_proxies=trusted) as client:
        codes = [client.post("/api/v1/feedback/responses", headers={"X-Forwarded-For": chain(n)},
                             json={"survey_id": str(survey.id), "answers": {"trust": 5}}).status_code
                 for n in range(4)]

    assert codes == [201, 201, 429, 429]


def test_the_client_is_the_first_address_from_the_right_that_is_not_a_trusted_proxy():
    trusted = parse_networks("10.0.0.0/8, 2001:db8::/32")

    assert forwarded_client(PROXY, ["1.2.3.4, 5.6.7.8, 10.1.1.1"], trusted) == "5.6.7.8"
    assert forwarded_client(PROXY, ["1.2.3.4", "[2001:db9::1]:443, 2001:db8::5"], trusted) == "2001:db9::1"
    assert forwarded_client(PROXY, ["1.2.3.4, not-an-address"], trusted) is None
    assert forwarded_client(CLIENT, ["1.2.3.4"], trusted) is None  # not from a proxy: not believed
    assert forwarded_client(PROXY, ["1.2.3.4"], ()) is None  # no proxies configured: never believed


@pytest.mark.parametrize("spec", ["0.0.0.0/0", "::/0", "10.0.0.0/8, proxy.internal", "300.1.1.1"])
def test_a_trusted_proxy_list_that_is_unreadable_or_trusts_everyone_is_refused(tmp_path, spec):
    with pytest.raises(ValidationError, match="GOVCX_TRUSTED_PROXIES"):
        Settings(data_dir=tmp_path, trusted_proxies=spec)
