"""Journeys in a real Chromium: every CX page passes axe in English and Spanish, and events.js on an
agency's own site sends its events with sendBeacon, which govcx keeps once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from govcx.core.accounts import Scope
from govcx.core.clock import FixedClock
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.journeys import service
from govcx.journeys.models import TouchpointEvent
from govcx.registry import service as registry_service
from govcx.registry.models import Agency
from tests.e2e.conftest import Site
from tests.e2e.test_feedback_pages import agency_site
from tests.e2e.test_pages import SERIOUS, _check, _report
from tests.factories import registry as factories

pytestmark = pytest.mark.e2e
NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Journeys:
    key: str
    events_key: str
    count_events: object


@pytest.fixture(scope="module")
def journeys(site: Site) -> Iterator[Journeys]:
    """A life event on the e2e country's own services, people on its journey, and a key for events."""
    engine = make_engine(site.database_url)
    factory = make_session_factory(engine)
    clock = FixedClock(NOW)
    with unit_of_work(factory) as session:
        service.load_life_events(session=session, clock=clock)
        tax = session.scalar(select(Agency).where(Agency.code == "TAX"))
        refund = registry_service.get_service_by_code(session=session, code="TAX-REFUND")
        service.create_life_event(session=session, clock=clock, changed_by="e2e", data={
            "key": "claiming-a-refund", "names": {"en": "Claiming a refund", "es": "Reclamar una devolución"},
            "description": {"en": "Get back tax you overpaid.", "es": "Recupere lo que pagó de más."},
            "triggers": [{"service": "TAX-REFUND", "description": {"en": "A refund is claimed",
                                                                   "es": "Se reclama una devolución"}}],
            "stages": [{"key": "claim", "names": {"en": "Claim", "es": "Reclamar"},
                        "services": [{"service": "TAX-REFUND", "agency": "TAX"}]}]})
        key = factories.api_key(session, clock, tax, [Scope.EVENTS_WRITE])
        people = [factories.person(session, clock, _cipher(site), given_name=f"Jo{n}",
                                   family_name="Journey").id for n in range(5)]
    events = []
    for n, person in enumerate(people):
        at = NOW - timedelta(days=2, minutes=n)
        events += [{"id": f"e2e-{n}-s", "person_id": str(person), "journey": "claiming-a-refund",
                    "touchpoint": "tax-refund", "type": "start", "at": at.isoformat()}]
        if n < 3:
            events.append({"id": f"e2e-{n}-c", "person_id": str(person), "journey": "claiming-a-refund",
                           "touchpoint": "tax-refund", "type": "complete",
                           "at": (at + timedelta(minutes=12)).isoformat()})
    with unit_of_work(factory) as session:
        service.ingest(session=session, agency_id=tax.id, events_in=events, clock=clock)

    def count_events(visitor_prefix: str = "v-") -> int:
        with unit_of_work(factory) as session:
            return session.scalar(select(func.count()).select_from(TouchpointEvent).where(
                TouchpointEvent.visitor_id.startswith(visitor_prefix)))

    yield Journeys(key="claiming-a-refund", events_key=key, count_events=count_events)
    engine.dispose()


def _cipher(site: Site):  # noqa: ANN202
    from govcx.core.crypto import FieldCipher
    from tests.e2e.conftest import SECRET
    from govcx.core.config import Settings

    settings = Settings(secret_key=SECRET, database_url=site.database_url)
    return FieldCipher.from_secret(settings.secret, settings.encryption_key_id)


PAGES = ["/cx/journeys", "/cx/journeys/claiming-a-refund", "/cx/journeys/channel-switches",
         "/cx/life-events/claiming-a-refund", "/cx/life-events/having-a-child"]


@pytest.fixture(scope="module")
def analyst_in(browser, site: Site):  # noqa: ANN001, ANN201
    """A cx_analyst's browser context per language, each signed in once (sign-ins are rate limited)."""
    from tests.e2e.conftest import sign_in

    contexts = {}
    for language in ("en", "es"):
        context = browser.new_context(base_url=site.base_url, locale=language,
                                      extra_http_headers={"Accept-Language": language})
        sign_in(context, site, "cx_analyst")
        contexts[language] = context
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("path", PAGES)
def test_journey_pages_are_accessible_in_both_languages(analyst_in, journeys: Journeys, path: str,
                                                        language: str) -> None:
    visit, page = _check(analyst_in[language], path)
    lang = page.evaluate("document.documentElement.lang")
    headings = page.locator("h1").count()
    page.close()

    serious = [v for v in visit.violations if v["impact"] in SERIOUS]
    assert visit.status == 200 and headings == 1 and lang == language
    assert not serious and not visit.problems, f"{path} ({language}):\n{_report(visit)}"


def test_events_js_on_an_agency_site_sends_its_events_by_beacon_and_they_are_kept_once(
        browser, site: Site, journeys: Journeys) -> None:
    host = ('<!DOCTYPE html><html lang="en"><head><title>Agency form</title></head><body><main>'
            '<h1>Claim a tax refund</h1><form action="#" method="get"><label for="iban">Account</label>'
            '<input id="iban" name="iban"><button type="submit">Send</button></form>'
            f'<script src="{site.base_url}/static/journeys/events.js" data-key="{journeys.events_key}" '
            f'data-journey="{journeys.key}" data-touchpoint="tax-refund"></script></main></body></html>')
    before = journeys.count_events()
    context = browser.new_context()
    page = context.new_page()
    page.clock.install(time=NOW - timedelta(minutes=5))  # the e2e server's clock stands still in March
    with agency_site(host) as url:
        page.goto(url, wait_until="load")
        page.fill("#iban", "FI00 1234")
        queued = page.evaluate("localStorage.getItem('govcx-events-queue')")
        page.evaluate("window.govcxEvents.flush()")
        left = page.evaluate("JSON.parse(localStorage.getItem('govcx-events-queue')).length")
        _wait_for(page, lambda: journeys.count_events() >= before + 2)
        # A retry sends the same events with the same ids: nothing more is kept.
        page.evaluate("""(a) => navigator.sendBeacon(a.url, new Blob(
            [JSON.stringify({key: a.key, events: JSON.parse(a.queued)})], {type: 'text/plain'}))""",
                      {"url": f"{site.base_url}/api/v1/events", "key": journeys.events_key, "queued": queued})
        page.wait_for_timeout(1000)
    context.close()

    assert [e["type"] for e in json.loads(queued)] == ["view", "start"]
    assert left == 0
    assert journeys.count_events() == before + 2


def _wait_for(page, condition, seconds: float = 10) -> None:  # noqa: ANN001
    deadline = datetime.now() + timedelta(seconds=seconds)
    while not condition() and datetime.now() < deadline:
        page.wait_for_timeout(100)
