"""The person approves or refuses a pending preview, reads the log in plain words, and asks an agency about a use."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from govcx.consent.models import Purpose
from govcx.crm.models import Case
from govcx.exchange import schemas, service
from govcx.exchange.models import ExchangeRequest, RequestStatus
from tests.factories import consent as consent_factories
from tests.factories.consent import SIGNER
from tests.once_only import INTEREST
from tests.web.helpers import csrf_token, h1_count, sign_in_citizen


@pytest.fixture
def pending(uow, clock, cipher, cast):
    """The Tax Agency asks for Ana's interest statement under a one-off consent she previews first."""
    with uow() as session:
        consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                  attributes=[INTEREST], one_off=True, requires_preview=True,
                                  purpose=Purpose.IDENTITY_VERIFICATION)
        outcome = service.ask(session=session, agency_id=cast.tax.id, clock=clock, signer=SIGNER, cipher=cipher,
                              data=schemas.ExchangeRequestCreate(subject_id=cast.ana.id, attributes=[INTEREST],
                                                                 purpose=Purpose.IDENTITY_VERIFICATION))
        return outcome.request.id


def _status(uow, request_id) -> RequestStatus:  # noqa: ANN001
    with uow() as session:
        return session.get(ExchangeRequest, request_id).status


def _cases(uow) -> int:
    with uow() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_the_person_sees_exactly_what_would_be_shared_in_plain_words_and_shares_it(client, uow, pending):
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/me/data-requests")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    preview = re.search(r'name="preview" value="([^"]+)"', page.text).group(1)
    shared = client.post(f"/me/data-requests/{pending}", data={"csrf_token": token, "share": "true",
                                                              "preview": preview}, follow_redirects=False)
    log = client.get("/me/access-log").text

    assert page.status_code == 200 and h1_count(page.text) == 1
    assert "Tax Agency asks to see" in page.text and "Confirming who you are" in page.text
    assert "412.50" in page.text and "First Bank" in page.text and "Interest statement" in page.text
    assert "IdentityVerification" not in page.text and INTEREST not in page.text
    assert shared.status_code == 303 and shared.headers["location"] == "/me/data-requests?done=shared"
    assert _status(uow, pending) is RequestStatus.ANSWERED
    assert "Shared" in log and "Confirming who you are" in log and "IdentityVerification" not in log


def test_declining_shares_nothing_and_is_logged(client, uow, pending):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me/data-requests")

    declined = client.post(f"/me/data-requests/{pending}", data={"csrf_token": token, "share": "false"},
                           follow_redirects=False)

    assert declined.status_code == 303 and _status(uow, pending) is RequestStatus.DENIED
    assert "You declined to share" in client.get("/me/access-log").text


def test_a_bad_answer_or_a_missing_token_changes_nothing(client, uow, pending):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me/data-requests")

    bad = client.post(f"/me/data-requests/{pending}", data={"csrf_token": token, "share": "maybe"})
    forged = client.post(f"/me/data-requests/{pending}", data={"share": "true"})

    assert bad.status_code == 400 and "Choose whether to share" in bad.text and "Tax Agency asks to see" in bad.text
    assert forged.status_code == 403
    assert _status(uow, pending) is RequestStatus.AWAITING_PERSON


def test_someone_elses_preview_answers_like_a_missing_one(client, uow, pending):
    sign_in_citizen(client, "NID-8800-5678")
    token = csrf_token(client, "/me/data-requests")

    other = client.post(f"/me/data-requests/{pending}", data={"csrf_token": token, "share": "true"})

    assert other.status_code == 404 and "412.50" not in client.get("/me/data-requests").text
    assert _status(uow, pending) is RequestStatus.AWAITING_PERSON


def test_from_a_log_entry_the_person_asks_the_agency_and_follows_the_question(client, uow, pending):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me/data-requests")
    client.post(f"/me/data-requests/{pending}", data={"csrf_token": token, "share": "false"})
    log = client.get("/me/access-log").text
    ask = re.search(r'href="(/me/access-log/\d+/ask)"', log).group(1)

    form = client.get(ask)
    empty = client.post(ask, data={"csrf_token": token, "question": " "})
    cases_after_empty = _cases(uow)
    asked = client.post(ask, data={"csrf_token": token, "question": "Why did you need my bank's figures?"},
                        follow_redirects=False)
    case_page = client.get(asked.headers["location"]).text

    assert "Ask Tax Agency about this" in log
    assert form.status_code == 200 and h1_count(form.text) == 1 and "Refused" in form.text
    assert empty.status_code == 400 and 'id="question-error"' in empty.text and cases_after_empty == 0
    assert asked.status_code == 303 and "Your question was sent" in case_page
    assert "Tax Agency" in case_page and "Why did you need my bank&#39;s figures?" in case_page


def test_another_persons_log_entry_cannot_be_asked_about(client, uow, pending):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me/data-requests")
    client.post(f"/me/data-requests/{pending}", data={"csrf_token": token, "share": "false"})
    ask = re.search(r'href="(/me/access-log/\d+/ask)"', client.get("/me/access-log").text).group(1)
    client.post("/sign-out", data={"csrf_token": token})
    sign_in_citizen(client, "NID-8800-5678")
    token = csrf_token(client, "/me")

    assert client.get(ask).status_code == 404
    assert client.post(ask, data={"csrf_token": token, "question": "Whose is this?"}).status_code == 404
    assert _cases(uow) == 0
