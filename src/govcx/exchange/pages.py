"""Exchange pages: who used the person's data, and requests waiting for their preview."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from govcx.core.auth import CurrentCitizen
from govcx.core.deps import CipherDep, ClockDep, SessionDep
from govcx.core.pagination import PageParams
from govcx.core.signing import SignerDep
from govcx.exchange import service
from govcx.web.csrf import CsrfProtected
from govcx.web.templating import page_router, render

router = page_router()

ENTRIES_PER_PAGE = 25
REASON_LABELS = {
    "consent": "Your consent", "legal_basis": "The law", "no_consent_or_legal_basis": "No consent and no law allowed it",
    "attribute_not_covered": "Asked for more than you allowed", "purpose_mismatch": "Asked for another purpose",
    "consent_not_given": "You had not given consent", "consent_rejected": "You refused consent",
    "consent_paused": "You had paused your consent", "consent_expired": "Your consent had ended",
    "consent_withdrawn": "You had withdrawn your consent", "consent_revoked": "The agency had ended the consent",
    "service_mismatch": "The law covers another service", "declined_by_person": "You declined to share",
    "case": "Handling your case", "case_not_handled": "The agency was not handling a case of yours",
}


@router.get("/me/access-log")
def my_access_log(request: Request, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
                  cursor: str | None = None) -> Response:
    entries, next_cursor = service.access_log_for(session=session, person_id=me.person_id,
                                                  page=PageParams(cursor=cursor, limit=ENTRIES_PER_PAGE))
    pending = service.pending_for_person(session=session, person_id=me.person_id, cipher=cipher)
    return render(request, "exchange/my_access_log.html", {
        "entries": entries, "next_cursor": next_cursor, "first_page": cursor is None, "pending": pending,
        "reasons": REASON_LABELS,
    })


@router.post("/me/data-requests/{request_id}", dependencies=[CsrfProtected])
def settle_request(
    request_id: UUID, share: Annotated[bool, Form()], me: CurrentCitizen, session: SessionDep, clock: ClockDep,
    signer: SignerDep, cipher: CipherDep, preview: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    service.settle_preview(session=session, person_id=me.person_id, request_id=request_id, share=share, clock=clock,
                           signer=signer, cipher=cipher, preview=preview)
    return RedirectResponse("/me/access-log", status_code=303)
