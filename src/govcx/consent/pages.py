"""Consent pages: the person's consents and the laws about them; the register of legal bases for platform admins.

Every action is a plain form with its CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from govcx.consent import schemas, service
from govcx.consent.models import Purpose
from govcx.core.accounts import Scope
from govcx.core.auth import CurrentCitizen, CurrentStaff, StaffMember, authorize
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Invalid
from govcx.core.pagination import PageParams
from govcx.core.signing import SignerDep
from govcx.registry import service as registry
from govcx.web.csrf import CsrfProtected
from govcx.web import plain
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()

ACTION_LABELS = {
    schemas.ConsentAction.GIVE: N_("Give consent"), schemas.ConsentAction.REFUSE: N_("Refuse"),
    schemas.ConsentAction.PAUSE: N_("Pause"), schemas.ConsentAction.RESUME: N_("Resume"),
    schemas.ConsentAction.WITHDRAW: N_("Withdraw"),
}
STATUS_LABELS = {"requested": N_("Waiting for you"), "active": N_("Active"), "paused": N_("Paused"),
                 "rejected": N_("Refused"), "withdrawn": N_("Withdrawn"), "expired": N_("Expired"),
                 "revoked": N_("Ended by the agency")}
DONE = {"give": N_("Done: you gave your consent."), "refuse": N_("Done: you refused."),
        "pause": N_("Done: your consent is paused. Nobody can use it until you resume it."),
        "resume": N_("Done: your consent is active again."),
        "withdraw": N_("Done: you withdrew your consent. Agencies asking under it are refused from now on."),
        "again": N_("Done: you gave your consent again, on the same terms.")}
CONSENTS_SHOWN = 200


@dataclass(frozen=True)
class ConsentView:
    """A consent as its person reads it: names instead of codes, the purpose explained."""

    consent: schemas.ConsentRead
    data: list[str]
    purpose: str
    purpose_explained: str
    status: str
    can_give_again: bool


def _view(session: Session, consent: schemas.ConsentRead) -> ConsentView:
    names = registry.attribute_names(session=session, wanted=set(consent.attributes))
    return ConsentView(
        consent=consent, data=[plain.data_name(names.get(a, a)) for a in consent.attributes],
        purpose=plain.purpose(consent.purpose.value), purpose_explained=plain.purpose_explained(consent.purpose.value),
        status=_(STATUS_LABELS[consent.status.value]), can_give_again=consent.status in service.AGAIN_FROM)


@router.get("/me/consents")
def my_consents(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
                signer: SignerDep) -> Response:
    rows, _unused = service.list_for_subject(session=session, person_id=me.person_id, clock=clock, signer=signer,
                                             page=PageParams(cursor=None, limit=CONSENTS_SHOWN))
    consents = [_view(session, service.read(session=session, consent=c)) for c in rows]
    done = request.query_params.get("done", "")
    return render(request, "consent/my_consents.html", {
        "consents": consents, "labels": ACTION_LABELS, "done": _(DONE[done]) if done in DONE else "",
    })


@router.post("/me/consents/{consent_id}", dependencies=[CsrfProtected])
def act_on_consent(
    consent_id: UUID, action: Annotated[schemas.ConsentAction, Form()], me: CurrentCitizen, session: SessionDep,
    clock: ClockDep, signer: SignerDep,
) -> Response:
    service.act(session=session, consent_id=consent_id, action=action, clock=clock, signer=signer,
                person_id=me.person_id)
    return RedirectResponse(f"/me/consents?done={action.value}", status_code=303)


def _mine(session: Session, consent_id: UUID, me, clock, signer) -> ConsentView:  # noqa: ANN001
    consent = service.get_for_subject(session=session, consent_id=consent_id, person_id=me.person_id, clock=clock,
                                      signer=signer)
    return _view(session, service.read(session=session, consent=consent))


@router.get("/me/consents/{consent_id}/withdraw")
def confirm_withdrawal(request: Request, consent_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
                       signer: SignerDep) -> Response:
    view = _mine(session, consent_id, me, clock, signer)
    return render(request, "consent/confirm_withdrawal.html", {
        "view": view, "can_withdraw": schemas.ConsentAction.WITHDRAW in view.consent.actions})


@router.post("/me/consents/{consent_id}/give-again", dependencies=[CsrfProtected])
def give_again(consent_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
               signer: SignerDep) -> Response:
    service.give_again(session=session, consent_id=consent_id, person_id=me.person_id, clock=clock, signer=signer)
    return RedirectResponse("/me/consents?done=again", status_code=303)


@router.get("/me/consents/{consent_id}/receipt")
def receipt(request: Request, consent_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
            signer: SignerDep, settings: SettingsDep) -> Response:
    view = _mine(session, consent_id, me, clock, signer)
    consent = service.get_for_subject(session=session, consent_id=consent_id, person_id=me.person_id, clock=clock,
                                      signer=signer)
    claims = signer.verify(consent.receipt or "") or {}
    return render(request, "consent/receipt.html", {
        "view": view, "claims": claims, "verified": bool(claims), "kid": signer.kid, "tz": settings.notify_timezone,
        "status": _(STATUS_LABELS.get(claims.get("status", ""), N_("Unknown"))),
    })


@router.get("/me/consents/{consent_id}/receipt.jws")
def receipt_file(consent_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
                 signer: SignerDep) -> Response:
    consent = service.get_for_subject(session=session, consent_id=consent_id, person_id=me.person_id, clock=clock,
                                      signer=signer)
    return Response(consent.receipt or "", media_type="application/jose", headers={
        "Content-Disposition": f'attachment; filename="consent-receipt-{consent.id}.jws"'})


# The laws about the person ---------------------------------------------------------------------

CHANGE_LABELS = {"created": "Registered", "amended": "Amended", "repealed": "Repealed"}
FIELD_LABELS = {"title": "Title", "citation": "Citation", "service": "For", "purpose": "Purpose",
                "attributes": "Data it reads", "valid_from": "In force from", "valid_until": "In force until"}


@router.get("/me/laws")
def my_laws(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep) -> Response:
    laws = service.laws_about(session=session, person_id=me.person_id, clock=clock)
    return render(request, "consent/my_laws.html", {"laws": laws, "kinds": CHANGE_LABELS, "fields": FIELD_LABELS})


# The register of legal bases, for platform administrators ---------------------------------------

def _keeper(staff: StaffMember) -> StaffMember:
    authorize(staff, Scope.LEGAL_BASIS_ADMIN)
    return staff


def _day(value: str, what: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError as exc:
        raise Invalid(f"Give {what} as a date (YYYY-MM-DD).") from exc


def _choices(session: Session) -> dict[str, object]:
    return {
        "agencies": registry.all_agencies(session=session),
        "services": [(agency, s) for agency, listed in registry.catalogue(session=session) for s in listed],
        "attributes": [a for a, _ in registry.data_catalogue(session=session)],
        "purposes": list(Purpose), "kinds": CHANGE_LABELS, "fields": FIELD_LABELS,
    }


@router.get("/admin/legal-bases")
def legal_bases(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep) -> Response:
    _keeper(staff)
    agencies = {a.id: a.name for a in registry.all_agencies(session=session)}
    now = clock.now()
    rows = [(b, agencies.get(b.agency_id, ""), service.in_force(basis=b, now=now))
            for b in service.all_legal_bases(session=session)]
    return render(request, "consent/admin_legal_bases.html", {"rows": rows, **_choices(session)})


FormText = Annotated[str, Form(max_length=1000)]


@router.post("/admin/legal-bases", dependencies=[CsrfProtected])
def create_legal_basis(
    staff: CurrentStaff, session: SessionDep, clock: ClockDep, title: FormText, citation: FormText,
    agency_id: Annotated[UUID, Form()], purpose: Annotated[Purpose, Form()], valid_from: FormText,
    attribute: Annotated[list[str] | None, Form()] = None, service_id: FormText = "", valid_until: FormText = "",
    note: FormText = "",
) -> Response:
    by = _keeper(staff)
    try:
        data = schemas.LegalBasisCreate(
            title=title, citation=citation, agency_id=agency_id, service_id=UUID(service_id) if service_id else None,
            purpose=purpose, attributes=attribute or [], valid_from=_day(valid_from, "the date it comes into force"),
            valid_until=_day(valid_until, "the date it ends"), note=note)
    except (ValidationError, ValueError) as exc:
        raise Invalid("Give a title, a citation, the date it comes into force and at least one attribute.") from exc
    basis = service.create_legal_basis(session=session, data=data, by=by, clock=clock)
    return RedirectResponse(f"/admin/legal-bases/{basis.id}?done=created", status_code=303)


@router.get("/admin/legal-bases/{legal_basis_id}")
def legal_basis(request: Request, legal_basis_id: UUID, staff: CurrentStaff, session: SessionDep,
                clock: ClockDep) -> Response:
    _keeper(staff)
    basis = service.get_legal_basis(session=session, legal_basis_id=legal_basis_id)
    return render(request, "consent/admin_legal_basis.html", {
        "basis": service.detail(session=session, basis=basis), "in_force": service.in_force(basis=basis,
                                                                                             now=clock.now()),
        "agency": registry.get_agency(session=session, agency_id=basis.agency_id),
        "done": request.query_params.get("done", ""), **_choices(session),
    })


@router.post("/admin/legal-bases/{legal_basis_id}", dependencies=[CsrfProtected])
def amend_legal_basis(
    legal_basis_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep, title: FormText,
    citation: FormText, purpose: Annotated[Purpose, Form()], valid_from: FormText, note: FormText,
    attribute: Annotated[list[str] | None, Form()] = None, service_id: FormText = "", valid_until: FormText = "",
) -> Response:
    by = _keeper(staff)
    current = service.get_legal_basis(session=session, legal_basis_id=legal_basis_id)
    # The form shows days: a day left as it was keeps the time of day it had.
    dates = {"valid_from": _day(valid_from, "the date it comes into force"),
             "valid_until": _day(valid_until, "the date it ends")}
    dates = {k: v for k, v in dates.items()
             if (v.date() if v else None) != (getattr(current, k).date() if getattr(current, k) else None)}
    try:
        data = schemas.LegalBasisUpdate(
            title=title, citation=citation, service_id=UUID(service_id) if service_id else None, purpose=purpose,
            attributes=attribute or [], note=note, **dates)
    except (ValidationError, ValueError) as exc:
        raise Invalid("Give a title, a citation, the date it comes into force, at least one attribute and why "
                      "it changes.") from exc
    service.amend_legal_basis(session=session, legal_basis_id=legal_basis_id, data=data, by=by, clock=clock)
    return RedirectResponse(f"/admin/legal-bases/{legal_basis_id}?done=amended", status_code=303)


@router.post("/admin/legal-bases/{legal_basis_id}/repeal", dependencies=[CsrfProtected])
def repeal_legal_basis(legal_basis_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                       note: FormText = "") -> Response:
    by = _keeper(staff)
    if not note.strip():
        raise Invalid("Say why the legal basis is repealed: the people it affects will read it.")
    service.repeal_legal_basis(session=session, legal_basis_id=legal_basis_id, note=note, by=by, clock=clock)
    return RedirectResponse(f"/admin/legal-bases/{legal_basis_id}?done=repealed", status_code=303)
