"""Exchange pages: who used the person's data, requests waiting for their preview, and asking an agency about a use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from govcx.core.auth import CurrentCitizen
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Conflict
from govcx.core.pagination import PageParams
from govcx.core.signing import SignerDep
from govcx.crm import schemas as crm_schemas
from govcx.crm import service as crm
from govcx.exchange import schemas, service
from govcx.registry import service as registry
from govcx.vault import service as vault
from govcx.web import plain
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()

ENTRIES_PER_PAGE = 25
REASON_LABELS = {
    "consent": N_("Your consent"), "legal_basis": N_("The law"),
    "no_consent_or_legal_basis": N_("No consent and no law allowed it"),
    "attribute_not_covered": N_("Asked for more than you allowed"), "purpose_mismatch": N_("Asked for another purpose"),
    "consent_not_given": N_("You had not given consent"), "consent_rejected": N_("You refused consent"),
    "consent_paused": N_("You had paused your consent"), "consent_expired": N_("Your consent had ended"),
    "consent_withdrawn": N_("You had withdrawn your consent"), "consent_revoked": N_("The agency had ended the consent"),
    "service_mismatch": N_("The law covers another service"), "declined_by_person": N_("You declined to share"),
    "case": N_("Handling your case"), "case_not_handled": N_("The agency was not handling a case of yours"),
}


@dataclass(frozen=True)
class Shown:
    """One fact as the person reads it in a preview: its name, its value in their language, its source."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class PendingView:
    item: schemas.PendingRequestRead
    purpose: str
    purpose_explained: str
    facts: list[Shown]


@dataclass(frozen=True)
class EntryView:
    entry: schemas.AccessLogEntryRead
    data: list[str]
    purpose: str
    purpose_explained: str
    under: str


def _pending_views(session: Session, pending: list[schemas.PendingRequestRead]) -> list[PendingView]:
    catalogue = vault.catalogue(session=session)
    views = []
    for item in pending:
        facts = [Shown(plain.data_name(f.attribute_name),
                       plain.value(f.value, catalogue[f.attribute_key].value_type.value
                                   if f.attribute_key in catalogue else "string"),
                       _(f.provenance.source_name)) for f in item.facts]
        views.append(PendingView(item, plain.purpose(item.purpose.value), plain.purpose_explained(item.purpose.value),
                                 facts))
    return views


def _entry_views(session: Session, entries: list[schemas.AccessLogEntryRead]) -> list[EntryView]:
    names = registry.attribute_names(session=session, wanted={a for e in entries for a in e.attributes})
    views = []
    for e in entries:
        under = _(REASON_LABELS[e.reason]) if e.reason in REASON_LABELS else e.reason
        views.append(EntryView(e, [plain.data_name(names.get(a, a)) for a in e.attributes], plain.purpose(e.purpose),
                               plain.purpose_explained(e.purpose), f"{under}: {e.basis}" if e.basis else under))
    return views


@router.get("/me/access-log")
def my_access_log(request: Request, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
                  settings: SettingsDep, cursor: str | None = None) -> Response:
    entries, next_cursor = service.access_log_for(session=session, person_id=me.person_id,
                                                  page=PageParams(cursor=cursor, limit=ENTRIES_PER_PAGE))
    pending = service.pending_for_person(session=session, person_id=me.person_id, cipher=cipher)
    return render(request, "exchange/my_access_log.html", {
        "entries": _entry_views(session, entries), "next_cursor": next_cursor, "first_page": cursor is None,
        "pending_count": len(pending), "tz": settings.notify_timezone,
    })


def _requests_page(request: Request, session: Session, cipher, settings, person_id: UUID,  # noqa: ANN001
                   error: str | None = None, status_code: int = 200) -> Response:
    pending = service.pending_for_person(session=session, person_id=person_id, cipher=cipher)
    return render(request, "exchange/my_data_requests.html", {
        "pending": _pending_views(session, pending), "done": request.query_params.get("done", ""), "error": error,
        "tz": settings.notify_timezone,
    }, status_code=status_code)


@router.get("/me/data-requests")
def my_data_requests(request: Request, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
                     settings: SettingsDep) -> Response:
    return _requests_page(request, session, cipher, settings, me.person_id)


@router.post("/me/data-requests/{request_id}", dependencies=[CsrfProtected])
def settle_request(
    request: Request, request_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep, signer: SignerDep,
    cipher: CipherDep, settings: SettingsDep, share: Annotated[str, Form()] = "",
    preview: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    if share not in ("true", "false"):
        return _requests_page(request, session, cipher, settings, me.person_id, status_code=400,
                              error=_("Choose whether to share this data or decline the request."))
    try:
        service.settle_preview(session=session, person_id=me.person_id, request_id=request_id, share=share == "true",
                               clock=clock, signer=signer, cipher=cipher, preview=preview)
    except Conflict:
        return _requests_page(request, session, cipher, settings, me.person_id, status_code=409, error=_(
            "This request was already answered, or your data changed after you looked at it. "
            "Look at what would be shared again."))
    return RedirectResponse(f"/me/data-requests?done={'shared' if share == 'true' else 'declined'}", status_code=303)


# Asking the agency about one use ----------------------------------------------------------------


def _ask_page(request: Request, session: Session, person_id: UUID, seq: int, settings, question: str = "",  # noqa: ANN001
              errors: dict[str, str] | None = None) -> Response:
    entry = service.log_entry_for(session=session, person_id=person_id, seq=seq)
    return render(request, "exchange/ask_about_use.html", {
        "view": _entry_views(session, [entry])[0], "question": question, "errors": errors or {},
        "tz": settings.notify_timezone,
    }, status_code=400 if errors else 200)


@router.get("/me/access-log/{seq}/ask")
def ask_about_use_form(request: Request, seq: int, me: CurrentCitizen, session: SessionDep,
                       settings: SettingsDep) -> Response:
    return _ask_page(request, session, me.person_id, seq, settings)


@router.post("/me/access-log/{seq}/ask", dependencies=[CsrfProtected])
def ask_about_use(request: Request, seq: int, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
                  settings: SettingsDep, question: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    entry = service.log_entry_for(session=session, person_id=me.person_id, seq=seq)
    try:
        data = crm_schemas.QuestionCreate(question=question)
    except ValidationError:
        return _ask_page(request, session, me.person_id, seq, settings, question, errors={
            "question": _("Write your question, in 3 to 2,000 characters.")})
    names = registry.attribute_names(session=session, wanted=set(entry.attributes))
    about = (f"the use of your data on {entry.at.date().isoformat()} (access log entry {entry.seq}): "
             f"{', '.join(names.get(a, a) for a in entry.attributes)}, for {entry.purpose}, "
             f"{'shared' if entry.decision == 'permit' else 'refused'}")
    case = crm.ask_agency(session=session, clock=clock, person_id=me.person_id, agency_id=entry.requester_agency_id,
                          about=about, data=data)
    return RedirectResponse(f"/me/cases/{case.id}?filed=question", status_code=303)
