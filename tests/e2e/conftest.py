"""A real govcx on a free port, filled through the services, and one headless Chromium for the session.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright's Python package; never
`playwright install`. Without it the browser tests skip, unless GOVCX_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
import uvicorn

from govcx.app import create_app
from govcx.core.accounts import Role
from govcx.core.clock import FixedClock
from govcx.core.config import Environment, Settings
from govcx.core.db import unit_of_work
from govcx.registry import schemas, service
from govcx.registry.models import Channel, Sensitivity, SubjectKind, ValueType
from tests.factories import consent as consent_factories
from tests.factories import crm as crm_factories
from govcx.notify.worker import Worker
from tests.factories import notify as notify_factories
from tests.factories import exchange as exchange_factories
from tests.factories import registry as factories
from tests.factories.feedback import fill_feedback

# Tests read their own knobs here; govcx code reads only Settings.
REQUIRE_BROWSER = os.environ.get("GOVCX_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CITIZEN_NATIONAL_ID = "NID-7700-1234"
SECRET = "e2e-secret-key-that-is-long-enough-for-production-0123456789"


@dataclass(frozen=True)
class Site:
    base_url: str
    citizen_id: UUID
    staff_emails: dict[Role, str]
    case_id: UUID | None = None
    survey_id: UUID | None = None
    legal_basis_id: UUID | None = None
    database_url: str = ""


def _square(west: float, south: float) -> dict:
    ring = [[west, south], [west + 1, south], [west + 1, south + 1], [west, south + 1], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _fill(app) -> tuple[UUID, dict[Role, str], UUID, UUID]:  # noqa: ANN001
    """A small country: agencies with services, a data catalogue, regions with shapes, people, staff."""
    clock, cipher = app.state.clock, app.state.cipher
    with unit_of_work(app.state.session_factory) as session:
        tax = factories.agency(session, clock, code="TAX", name="Tax Agency")
        transport = factories.agency(session, clock, code="TRN", name="Transport Agency")
        factories.catalogue_service(session, clock, transport)
        admin = factories._platform_actor()
        refund = service.create_service(session=session, by=admin, clock=clock, data=schemas.ServiceCreate(
            code="TAX-REFUND", agency_id=tax.id, name="Claim a tax refund", description="Get back tax you overpaid.",
            channels=[Channel.WEB, Channel.PHONE], target_completion_minutes=30, sla_hours=240,
        ))
        for key, name, sensitivity in (("tax.annual_income", "Annual income", Sensitivity.SENSITIVE),
                                       ("person.postal_address", "Postal address", Sensitivity.PERSONAL),
                                       ("tax.office_address", "Tax office address", Sensitivity.PUBLIC)):
            service.create_data_attribute(session=session, clock=clock, data=schemas.DataAttributeCreate(
                key=key, name=name, subject_kind=SubjectKind.PERSON, value_type=ValueType.STRING,
                sensitivity=sensitivity, source_agency_id=tax.id,
            ))
        regions = [
            service.create_region(session=session, clock=clock, data=schemas.RegionCreate(
                code=code, name=name, shape=_square(west, south) if west is not None else None))
            for code, name, west, south in (("N", "Northshire", 10, 51), ("S", "Southvale", 10, 50),
                                            ("E", "Eastmarch", 11, 50.5), ("I", "Islands", None, None))
        ]
        citizen = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                                   national_id=CITIZEN_NATIONAL_ID, region_id=regions[0].id)
        exchange_factories.citizen_view(session, clock, cipher, person=citizen, source=tax, requester=transport,
                                        key="tax.annual_income")
        notify_factories.citizen_messages(session, clock, app.state.settings, person=citizen, agency=tax)
        law = consent_factories.amended_legal_basis(session, clock, agency_id=transport.id,
                                                    attributes=["tax.annual_income"])
        for n, region in enumerate([regions[0]] * 4 + [regions[1]] * 2 + [regions[2]] * 7):
            factories.person(session, clock, cipher, given_name=f"Kim{n}", family_name="Park",
                             region_id=region.id)
        emails = {
            role: factories.staff(session, clock, None if role is Role.PLATFORM_ADMIN else tax, role,
                                  email=f"{role.value}@gov.example").email
            for role in Role
        }
        case = crm_factories.complaint_with_history(session, clock, tax, transport, citizen.id, refund.id)
    Worker(session_factory=app.state.session_factory, clock=clock, settings=app.state.settings).drain()
    return citizen.id, emails, case.id, law.id


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian Chromium is not installed (apt-get install chromium); the browser tests need it."
        if REQUIRE_BROWSER:
            pytest.fail(f"GOVCX_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("e2e")
    settings = Settings(
        env=Environment.TEST, data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'govcx.db'}",
        secret_key=SECRET, auto_upgrade=True, log_level="WARNING", suppression_threshold=3,
    )
    app = create_app(settings, clock=FixedClock(datetime(2026, 3, 16, 9, 30, tzinfo=UTC)))
    citizen_id, emails, case_id, legal_basis_id = _fill(app)
    survey_id = fill_feedback(app)
    with served(app) as base_url:
        yield Site(base_url=base_url, citizen_id=citizen_id, staff_emails=emails, case_id=case_id,
                   survey_id=survey_id, legal_basis_id=legal_basis_id, database_url=settings.database_url)


@contextlib.contextmanager
def served(app) -> Iterator[str]:  # noqa: ANN001
    """Serve `app` from a thread on a free port; yield its base URL."""
    # Port 0: the system picks a free port, read back once the server listens (no race with other runs).
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("The govcx server did not start.")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path: str):  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def sign_in(context, site: Site, persona: str) -> None:  # noqa: ANN001
    """Sign in through the real forms, as a browser user would."""
    page = context.new_page()
    if persona == "citizen":
        page.goto(f"{site.base_url}/citizen/sign-in")
        page.fill("#national-id", CITIZEN_NATIONAL_ID)
    else:
        page.goto(f"{site.base_url}/sign-in")
        page.fill("#email", site.staff_emails[Role(persona)])
        page.fill("#password", factories.STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.close()


@pytest.fixture(scope="session")
def context_as(browser, site: Site) -> Iterator[Callable[[str], object]]:  # noqa: ANN001
    """One browser context per persona (visitor, citizen, or a staff role's value), signed in once."""
    contexts: dict[str, object] = {}

    def get(persona: str):  # noqa: ANN202
        if persona not in contexts:
            context = browser.new_context(base_url=site.base_url)
            if persona != "visitor":
                sign_in(context, site, persona)
            contexts[persona] = context
        return contexts[persona]

    yield get
    for context in contexts.values():
        context.close()
