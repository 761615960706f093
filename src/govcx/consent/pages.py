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
from sqlalchemy.orm import Session

from govcx.admin import service as admin_log
from govcx.admin.models import AdminVerb
from govcx.consent import schemas, service
from govcx.consent.models import LegalBasis, Purpose
from govcx.core.accounts import Scope
from govcx.core.auth import CurrentCitizen, CurrentStaff, StaffMember, authorize
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Invalid
from govcx.core.pagination import PageParams
from govcx.core.signing import SignerDep
from govcx.registry import service as registry
from govcx.web.csrf import CsrfProtected
from govcx.web import plain
from govcx.web.i18n import N_, format_date
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

CHANGE_LABELS = {"created": N_("Registered"), "amended": N_("Amended"), "repealed": N_("Repealed")}
FIELD_LABELS = {"title": N_("Title"), "citation": N_("Citation"), "service": N_("For"), "purpose": N_("Purpose"),
                "attributes": N_("Data it reads"), "valid_from": N_("In force from"),
                "valid_until": N_("In force until")}
# A purpose's name in plain words, from the one table the citizen pages use too.
PURPOSE_LABELS = {Purpose(code): name for code, (name, _explained) in plain.PURPOSES.items()}


def _change_value(field: str, value: object) -> str:
    """One side of a change to a law, as its reader says it: purposes in words, days in their language."""
    if value is None:
        return _("none")
    if field == "purpose" and isinstance(value, str) and value in PURPOSE_LABELS:
        return _(PURPOSE_LABELS[Purpose(value)])
    if field in ("valid_from", "valid_until") and isinstance(value, str):
        try:
            return format_date(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


LAW_LABELS = {"kinds": CHANGE_LABELS, "fields": FIELD_LABELS, "purposes": PURPOSE_LABELS,
              "change_value": _change_value}


@router.get("/me/laws")
def my_laws(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep) -> Response:
    laws = service.laws_about(session=session, person_id=me.person_id, clock=clock)
    return render(request, "consent/my_laws.html", {"laws": laws, **LAW_LABELS})


# The register of legal bases, for platform administrators ---------------------------------------
# Plain forms in the USWDS error pattern: a bad submit comes back with 422, each message beside its field
# (ids "<form>-<field>"), what was typed kept, nothing written. Every change also goes to the admin log.

def _keeper(staff: StaffMember) -> StaffMember:
    authorize(staff, Scope.LEGAL_BASIS_ADMIN)
    return staff


def _choices(session: Session) -> dict[str, object]:
    return {
        "agencies": registry.all_agencies(session=session),
        "services": [(agency, s) for agency, listed in registry.catalogue(session=session) for s in listed],
        "attributes": [a for a, _unused in registry.data_catalogue(session=session)],
        "purpose_choices": list(Purpose), **LAW_LABELS,
    }


def _values_of(basis: LegalBasis | None) -> dict[str, object]:
    """What the form shows: a new law's defaults, or the law as it stands."""
    if basis is None:
        return {"title": "", "citation": "", "agency_id": "", "service_id": "", "purpose": Purpose.LEGAL_COMPLIANCE.value,
                "attributes": [], "valid_from": "", "valid_until": "", "note": ""}
    return {"title": basis.title, "citation": basis.citation, "agency_id": str(basis.agency_id),
            "service_id": str(basis.service_id or ""), "purpose": basis.purpose.value, "attributes": basis.attributes,
            "valid_from": basis.valid_from.date().isoformat(),
            "valid_until": basis.valid_until.date().isoformat() if basis.valid_until else "", "note": ""}


class _Form:
    """One legal-basis form read from its fields, collecting a message per bad field (keyed by its element id)."""

    def __init__(self, prefix: str, values: dict[str, object]) -> None:
        self.prefix, self.values, self.errors = prefix, values, {}

    # The element ids the template gives the fields whose names differ from them.
    IDS = {"agency_id": "agency", "service_id": "service", "valid_from": "from", "valid_until": "until"}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(f"{self.prefix}-{self.IDS.get(field, field)}", message)

    def text(self, field: str, message: str) -> str:
        value = str(self.values.get(field) or "").strip()
        if not value or len(value) > 200:
            self.error(field, message)
        return value

    def day(self, field: str, message: str, *, required: bool) -> datetime | None:
        value = str(self.values.get(field) or "")
        if not value:
            if required:
                self.error(field, message)
            return None
        try:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        except ValueError:
            self.error(field, message)
            return None

    def uuid(self, field: str, message: str, *, required: bool) -> UUID | None:
        value = str(self.values.get(field) or "")
        if not value and not required:
            return None
        try:
            return UUID(value)
        except ValueError:
            self.error(field, message)
            return None

    def basis_fields(self, session: Session, agency_id: UUID | None) -> dict[str, object]:
        """Check the fields every legal basis has; return them as the schemas take them."""
        fields: dict[str, object] = {
            "title": self.text("title", _("Give the law's title (at most 200 characters).")),
            "citation": self.text("citation", _("Give the act and section (at most 200 characters).")),
            "valid_from": self.day("valid_from", _("Give the date it comes into force, as a date."), required=True),
            "valid_until": self.day("valid_until", _("Give the date it ends as a date, or leave it empty."),
                                    required=False),
        }
        service_id = self.uuid("service_id", _("Choose one of the agency's services, or any."), required=False)
        if service_id is not None:
            listed = {s.id: s.agency_id for _agency, s in _choices(session)["services"]}  # type: ignore[misc]
            if listed.get(service_id) != agency_id:
                self.error("service_id", _("Choose one of the agency's services, or any."))
        fields["service_id"] = service_id
        try:
            fields["purpose"] = Purpose(str(self.values.get("purpose")))
        except ValueError:
            self.error("purpose", _("Choose a purpose."))
        known = {a.key for a in _choices(session)["attributes"]}  # type: ignore[attr-defined]
        attributes = [a for a in self.values.get("attributes") or [] if a in known]  # type: ignore[union-attr]
        if not attributes or len(attributes) != len(self.values.get("attributes") or []):  # type: ignore[arg-type]
            self.error("attributes", _("Choose at least one kind of data it lets the agency read."))
        fields["attributes"] = attributes
        if fields["valid_from"] and fields["valid_until"] and fields["valid_until"] <= fields["valid_from"]:
            self.error("valid_until", _("The end date must come after the date it comes into force."))
        return fields


def _form_values(title: str, citation: str, purpose: str, valid_from: str, valid_until: str, note: str,
                 attribute: list[str] | None, service_id: str, agency_id: str = "") -> dict[str, object]:
    return {"title": title, "citation": citation, "agency_id": agency_id, "service_id": service_id,
            "purpose": purpose, "attributes": attribute or [], "valid_from": valid_from, "valid_until": valid_until,
            "note": note}


def _register_page(request: Request, session: Session, clock: ClockDep, *, values: dict[str, object] | None = None,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    agencies = {a.id: a.name for a in registry.all_agencies(session=session)}
    now = clock.now()
    rows = [(b, agencies.get(b.agency_id, ""), service.in_force(basis=b, now=now))
            for b in service.all_legal_bases(session=session)]
    return render(request, "consent/admin_legal_bases.html", {
        "rows": rows, "values": values or _values_of(None), "errors": errors or {}, **_choices(session)},
        status_code=status_code)


@router.get("/admin/legal-bases")
def legal_bases(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep) -> Response:
    _keeper(staff)
    return _register_page(request, session, clock)


FormText = Annotated[str, Form(max_length=1000)]
Attributes = Annotated[list[str] | None, Form()]


@router.post("/admin/legal-bases", dependencies=[CsrfProtected])
def create_legal_basis(
    request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, title: FormText = "",
    citation: FormText = "", agency_id: FormText = "", purpose: FormText = "", valid_from: FormText = "",
    attribute: Attributes = None, service_id: FormText = "", valid_until: FormText = "", note: FormText = "",
) -> Response:
    by = _keeper(staff)
    form = _Form("new", _form_values(title, citation, purpose, valid_from, valid_until, note, attribute, service_id,
                                     agency_id))
    agency = form.uuid("agency_id", _("Choose the agency it lets read."), required=True)
    if agency is not None and agency not in {a.id for a in registry.all_agencies(session=session)}:
        form.error("agency_id", _("Choose the agency it lets read."))
    fields = form.basis_fields(session, agency)
    if form.errors:
        return _register_page(request, session, clock, values=form.values, errors=form.errors, status_code=422)
    basis = service.create_legal_basis(session=session, by=by, clock=clock, data=schemas.LegalBasisCreate(
        agency_id=agency, note=note, **fields))  # type: ignore[arg-type]
    admin_log.record_legal_basis(session=session, by=by, verb=AdminVerb.LEGAL_BASIS_CREATED, legal_basis_id=basis.id,
                                 title=basis.title, agency_id=basis.agency_id, clock=clock)
    return RedirectResponse(f"/admin/legal-bases/{basis.id}?done=created", status_code=303)


LEGAL_BASIS_DONE = {"created": N_("Done: the legal basis was registered, and the change is logged."),
        "amended": N_("Done: the legal basis was amended, and the change is logged."),
        "repealed": N_("Done: the legal basis was repealed, and the change is logged.")}


def _basis_page(request: Request, session: Session, clock: ClockDep, basis: LegalBasis, *,
                values: dict[str, object] | None = None, errors: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    return render(request, "consent/admin_legal_basis.html", {
        "basis": service.detail(session=session, basis=basis), "in_force": service.in_force(basis=basis,
                                                                                             now=clock.now()),
        "agency": registry.get_agency(session=session, agency_id=basis.agency_id),
        "done": LEGAL_BASIS_DONE.get(request.query_params.get("done", "")), "values": values or _values_of(basis),
        "errors": errors or {}, **_choices(session),
    }, status_code=status_code)


@router.get("/admin/legal-bases/{legal_basis_id}")
def legal_basis(request: Request, legal_basis_id: UUID, staff: CurrentStaff, session: SessionDep,
                clock: ClockDep) -> Response:
    _keeper(staff)
    return _basis_page(request, session, clock, service.get_legal_basis(session=session,
                                                                        legal_basis_id=legal_basis_id))


@router.post("/admin/legal-bases/{legal_basis_id}", dependencies=[CsrfProtected])
def amend_legal_basis(
    request: Request, legal_basis_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
    title: FormText = "", citation: FormText = "", purpose: FormText = "", valid_from: FormText = "",
    note: FormText = "", attribute: Attributes = None, service_id: FormText = "", valid_until: FormText = "",
) -> Response:
    by = _keeper(staff)
    current = service.get_legal_basis(session=session, legal_basis_id=legal_basis_id)
    form = _Form("amend", _form_values(title, citation, purpose, valid_from, valid_until, note, attribute,
                                       service_id))
    fields = form.basis_fields(session, current.agency_id)
    if not note.strip():
        form.error("note", _("Say why it changes: the people whose data it reaches read this."))
    # The form shows days: a day left as it was keeps the time of day it had.
    for field in ("valid_from", "valid_until"):
        was = getattr(current, field)
        if (fields[field].date() if fields[field] else None) == (was.date() if was else None):  # type: ignore[attr-defined]
            del fields[field]
    if not form.errors:
        try:
            service.amend_legal_basis(session=session, legal_basis_id=legal_basis_id, by=by, clock=clock,
                                      data=schemas.LegalBasisUpdate(note=note, **fields))  # type: ignore[arg-type]
        except Invalid:
            session.rollback()
            form.error("note", _("The amendment changes nothing: change a field, or leave the law as it is."))
    if form.errors:
        return _basis_page(request, session, clock, current, values=form.values, errors=form.errors,
                           status_code=422)
    admin_log.record_legal_basis(session=session, by=by, verb=AdminVerb.LEGAL_BASIS_AMENDED,
                                 legal_basis_id=current.id, title=current.title, agency_id=current.agency_id,
                                 clock=clock)
    return RedirectResponse(f"/admin/legal-bases/{legal_basis_id}?done=amended", status_code=303)


@router.post("/admin/legal-bases/{legal_basis_id}/repeal", dependencies=[CsrfProtected])
def repeal_legal_basis(request: Request, legal_basis_id: UUID, staff: CurrentStaff, session: SessionDep,
                       clock: ClockDep, note: FormText = "") -> Response:
    by = _keeper(staff)
    current = service.get_legal_basis(session=session, legal_basis_id=legal_basis_id)
    if not note.strip():
        errors = {"repeal-note": _("Say why the legal basis is repealed: the people it affects will read it.")}
        return _basis_page(request, session, clock, current, errors=errors, status_code=422)
    service.repeal_legal_basis(session=session, legal_basis_id=legal_basis_id, note=note, by=by, clock=clock)
    admin_log.record_legal_basis(session=session, by=by, verb=AdminVerb.LEGAL_BASIS_REPEALED,
                                 legal_basis_id=current.id, title=current.title, agency_id=current.agency_id,
                                 clock=clock)
    return RedirectResponse(f"/admin/legal-bases/{legal_basis_id}?done=repealed", status_code=303)
