"""Consent pages: the person's consents, with the actions each allows, as plain forms."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from govcx.consent import schemas, service
from govcx.core.auth import CurrentCitizen
from govcx.core.deps import ClockDep, SessionDep
from govcx.core.pagination import PageParams
from govcx.core.signing import SignerDep
from govcx.web.csrf import CsrfProtected
from govcx.web.templating import page_router, render

router = page_router()

ACTION_LABELS = {
    schemas.ConsentAction.GIVE: "Give consent", schemas.ConsentAction.REFUSE: "Refuse",
    schemas.ConsentAction.PAUSE: "Pause", schemas.ConsentAction.RESUME: "Resume",
    schemas.ConsentAction.WITHDRAW: "Withdraw",
}
STATUS_LABELS = {"requested": "Waiting for you", "active": "Active", "paused": "Paused", "rejected": "Refused",
                 "withdrawn": "Withdrawn", "expired": "Expired", "revoked": "Ended by the agency"}
CONSENTS_SHOWN = 200


@router.get("/me/consents")
def my_consents(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
                signer: SignerDep) -> Response:
    rows, _ = service.list_for_subject(session=session, person_id=me.person_id, clock=clock, signer=signer,
                                       page=PageParams(cursor=None, limit=CONSENTS_SHOWN))
    consents = [service.read(session=session, consent=c) for c in rows]
    return render(request, "consent/my_consents.html", {
        "consents": consents, "labels": ACTION_LABELS, "statuses": STATUS_LABELS,
        "done": request.query_params.get("done", ""),
    })


@router.post("/me/consents/{consent_id}", dependencies=[CsrfProtected])
def act_on_consent(
    consent_id: UUID, action: Annotated[schemas.ConsentAction, Form()], me: CurrentCitizen, session: SessionDep,
    clock: ClockDep, signer: SignerDep,
) -> Response:
    service.act(session=session, consent_id=consent_id, action=action, clock=clock, signer=signer,
                person_id=me.person_id)
    return RedirectResponse(f"/me/consents?done={action.value}", status_code=303)
