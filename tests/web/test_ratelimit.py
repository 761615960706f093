"""Sign-in is limited per account, from every address, in a moving window that never outlasts the attack."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.accounts import Role
from govcx.core.errors import TooManyRequests
from govcx.web.ratelimit import SignInLimiter
from tests.web.helpers import sign_in_citizen, sign_in_staff


@pytest.fixture
def behind_proxy(settings, clock, engine):  # noqa: ANN201
    update = {"trusted_proxies": "10.0.0.0/8", "rate_limit_sign_in_account": "3/minute"}
    with TestClient(create_app(settings.model_copy(update=update), clock=clock), client=("10.0.0.2", 50000)) as c:
        yield c


def test_one_account_is_limited_from_every_address_and_other_accounts_are_not(behind_proxy, staff_of):
    email, other = staff_of(Role.STAFF), staff_of(Role.STAFF)

    def attempt(n: int, who: str, **password: str):  # noqa: ANN202
        behind_proxy.headers["X-Forwarded-For"] = f"198.51.100.{n}"  # each guess from a new address
        return sign_in_staff(behind_proxy, who, **password)

    guesses = [attempt(n, email, password="wrong password here").status_code for n in range(3)]
    blocked = attempt(10, email)  # the right password, from a fresh address
    other_account = attempt(11, other)

    assert guesses == [401, 401, 401]
    assert blocked.status_code == 429 and "for this account" in blocked.text
    assert other_account.status_code == 303


def test_a_national_id_is_one_account_however_it_is_typed(behind_proxy):
    codes = []
    for n, typed in enumerate(("NID-0000-0000", " nid-0000-0000", "NID-0000-0000 ", "Nid-0000- 0000")):
        behind_proxy.headers["X-Forwarded-For"] = f"198.51.100.{n}"
        codes.append(sign_in_citizen(behind_proxy, typed).status_code)

    assert codes == [422, 422, 422, 429]


def test_the_account_limit_is_a_moving_window_that_refused_attempts_do_not_extend():
    limiter = SignInLimiter(rule="100/minute", account_rule="2/1 second", storage_url="memory://", key=b"k" * 32)
    first = time.monotonic()
    limiter.hit(client="a", account="ana@example.org")
    limiter.hit(client="b", account="ana@example.org")
    refused = []
    while time.monotonic() - first < 0.8:  # an attacker keeps trying, and is refused, all window long
        with pytest.raises(TooManyRequests) as caught:
            limiter.hit(client="c", account="ANA@example.org ")
        refused.append(caught.value.extra["retry_after"])
        time.sleep(0.1)
    time.sleep(max(0.0, first + 1.05 - time.monotonic()))

    limiter.hit(client="d", account="ana@example.org")  # one window after the first counted try: open again

    assert refused and max(refused) <= 1

