"""Registry pages: the public catalogues, a citizen's own record, staff person search, CX regions.

Thin, like the API routes: authorise, call the service, shape what the template shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from typing import Annotated
from uuid import UUID

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govcx.core.accounts import Scope
from govcx.core.auth import CurrentCitizen, CurrentStaff, authorize
from govcx.core.crypto import FieldCipher
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.signing import SignerDep
from govcx.consent import service as consent
from govcx.crm import service as crm
from govcx.exchange import service as exchange
from govcx.core.pagination import PageParams
from govcx.registry import schemas, service
from govcx.registry.models import Channel, Person
from govcx.web import i18n
from govcx.web.charts import Feature, choropleth
from govcx.vault import service as vault
from govcx.web import plain
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import N_, format_number, ngettext
from govcx.web.i18n import gettext as _
from govcx.web.pages import remember_language
from govcx.web.templating import page_router, render, viewer_of

router = page_router()

PERSONS_PER_PAGE = 25
CONTACT_DETAILS = ["person.address", "person.email", "person.phone"]
SEARCH_MIN_LENGTH = 2
CHANNEL_LABELS = {  # translated where shown
    Channel.WEB: N_("Web"), Channel.APP: N_("Mobile app"), Channel.PHONE: N_("Phone"),
    Channel.IN_PERSON: N_("In person"), Channel.EMAIL: N_("E-mail"), Channel.CHAT: N_("Chat"), Channel.MAIL: N_("Post"),
    Channel.SOCIAL: N_("Social media"), Channel.SMS: N_("Text message"),
}


def masked(national_id: str) -> str:
    """Show only the last four characters of a national id: enough to confirm, too little to misuse."""
    return "•" * max(len(national_id) - 4, 0) + national_id[-4:]


def channels(values: list[str]) -> str:
    return ", ".join(_(CHANNEL_LABELS[Channel(v)]) for v in values)


@dataclass(frozen=True)
class PersonView:
    """Who someone is, as anyone who looks them up sees it."""

    person: schemas.PersonRead
    region: str


@dataclass(frozen=True)
class RecordView:
    """A person's own whole record, as they see it."""

    person: schemas.PersonRecord
    masked_national_id: str
    region: str
    channel: str
    language: str  # the name of the preferred language, in that language


def _region(session: Session, region_id: UUID | None) -> str:
    return service.get_region(session=session, region_id=region_id).name if region_id else ""


def _person_view(session: Session, person: Person) -> PersonView:
    return PersonView(person=service.person_read(person=person), region=_region(session, person.region_id))


def _record_view(session: Session, cipher: FieldCipher, person: Person) -> RecordView:
    read = service.person_record(cipher=cipher, person=person)
    return RecordView(person=read, masked_national_id=masked(read.national_id),
                      region=_region(session, read.region_id), channel=_(CHANNEL_LABELS[read.preferred_channel]),
                      language=i18n.LANGUAGES.get(read.preferred_language, read.preferred_language))


# Public ----------------------------------------------------------------------------------------


@router.get("/services")
def services_page(request: Request, session: SessionDep,
                  q: Annotated[str, Query(max_length=100)] = "") -> Response:
    q = q.strip()
    found = service.search_catalogue(session=session, q=q) if q else service.catalogue(session=session)
    catalogue = [
        (schemas.AgencyRead.model_validate(agency),
         [(schemas.ServiceRead.model_validate(s), channels(s.channels)) for s in services])
        for agency, services in found
    ]
    return render(request, "registry/services.html", {
        "catalogue": catalogue, "q": q, "matches": sum(len(listed) for _agency, listed in catalogue),
        "duration": plain.duration,
    })


@router.get("/services/{ref}")
def service_page(request: Request, ref: str, session: SessionDep) -> Response:
    item = service.find_service(session=session, ref=ref)
    attributes = {a.key: a for a, _source in service.data_catalogue(session=session)}
    asks = [plain.data_name(attributes[k].name) for k in vault.form_of(session=session, service_id=item.id)
            if k in attributes]
    signed_in = viewer_of(request).citizen is not None
    start = f"/services/{item.code}/apply"
    return render(request, "registry/service.html", {
        "service": schemas.ServiceRead.model_validate(item), "channels": channels(item.channels),
        "agency": schemas.AgencyRead.model_validate(service.get_agency(session=session, agency_id=item.agency_id)),
        "asks": asks, "start": start if signed_in else f"/citizen/sign-in?{urlencode({'next': start})}",
        "signed_in": signed_in, "duration": plain.duration,
    })


@router.get("/data-catalogue")
def data_catalogue_page(request: Request, session: SessionDep) -> Response:
    attributes = [
        (schemas.DataAttributeRead.model_validate(attribute), source)
        for attribute, source in service.data_catalogue(session=session)
    ]
    return render(request, "registry/data_catalogue.html", {"attributes": attributes})


# Citizens --------------------------------------------------------------------------------------


def _my_record_page(request: Request, session: Session, cipher: FieldCipher, person: Person, *,
                    errors: dict[str, str] | None = None, chosen: str | None = None, saved: bool = False) -> Response:
    view = _record_view(session, cipher, person)
    return render(request, "registry/me.html", {
        "view": view, "errors": errors or {}, "saved": saved, "languages": i18n.LANGUAGES,
        "chosen_language": chosen or view.person.preferred_language,
    }, status_code=422 if errors else 200)


@router.get("/me")
def my_record(request: Request, me: CurrentCitizen, session: SessionDep, cipher: CipherDep) -> Response:
    person = service.get_person(session=session, person_id=me.person_id)
    return _my_record_page(request, session, cipher, person, saved=request.query_params.get("saved") == "language")


@router.post("/me/language", dependencies=[CsrfProtected])
def choose_my_language(
    request: Request, me: CurrentCitizen, session: SessionDep, cipher: CipherDep, clock: ClockDep,
    settings: SettingsDep, language: Annotated[str, Form()] = "",
) -> Response:
    """Save the language government uses with the person; the portal switches to it at once."""
    chosen = i18n.supported(language)
    person = service.get_person(session=session, person_id=me.person_id)
    if chosen is None or chosen != language:
        error = _("Choose one of the languages in the list.")
        return _my_record_page(request, session, cipher, person, errors={"language": error}, chosen=language)
    service.update_person(session=session, person_id=person.id, clock=clock,
                          data=schemas.PersonUpdate(preferred_language=chosen))
    response = RedirectResponse("/me?saved=language", status_code=303)
    remember_language(response, chosen, settings)
    return response


# Staff -----------------------------------------------------------------------------------------


# The console's home (/staff) is the CRM's: it shows the member's own cases and contacts (crm/pages.py).


@router.get("/staff/persons")
def person_search(
    request: Request, staff: CurrentStaff, session: SessionDep, cipher: CipherDep,
    q: Annotated[str, Query(max_length=100)] = "", cursor: str | None = None,
) -> Response:
    authorize(staff, Scope.REGISTRY_READ)
    q = q.strip()
    error = None
    results: list[PersonView] = []
    next_cursor = None
    if q and len(q) < SEARCH_MIN_LENGTH:
        error = _("Enter at least %(num)d characters of a name, or a whole national id.") % {"num": SEARCH_MIN_LENGTH}
    elif q:
        # Listing everyone is not a search: staff see persons only when they look for someone.
        rows, next_cursor = service.search_persons(
            session=session, cipher=cipher, q=q, region_id=None,
            page=PageParams(cursor=cursor, limit=PERSONS_PER_PAGE),
        )
        results = [_person_view(session, p) for p in rows]
    return render(request, "registry/persons.html", {
        "q": q, "error": error, "searched": bool(q) and error is None, "results": results,
        "next_cursor": next_cursor, "first_page": cursor is None,
    }, status_code=422 if error else 200)


@router.get("/staff/persons/{person_id}")
def person_detail(
    request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep, cipher: CipherDep, clock: ClockDep,
    signer: SignerDep,
) -> Response:
    authorize(staff, Scope.REGISTRY_READ)
    person = service.get_person(session=session, person_id=person_id)
    # Contact details only for the agency handling the person's open case, decided and logged against it.
    handled = crm.handled_case(session=session, agency_id=staff.agency_id, person_id=person.id) if staff.agency_id \
        else None
    case = contact = None
    if handled is not None:
        case = consent.CaseGround(case_id=handled.id, agency_id=handled.agency_id, subject_id=person.id,
                                  service_id=handled.service_id, open=True)
        contact = exchange.read_for_case(session=session, case=case, attributes=CONTACT_DETAILS, clock=clock,
                                         signer=signer, cipher=cipher).facts
    return render(request, "registry/person.html", {
        "view": _person_view(session, person), "case": case, "contact": contact,
    })


# CX teams --------------------------------------------------------------------------------------


@router.get("/cx/regions")
def regions_page(request: Request, staff: CurrentStaff, session: SessionDep, settings: SettingsDep) -> Response:
    authorize(staff, Scope.CX_READ)
    threshold = settings.suppression_threshold
    population = service.population_by_region(session=session, threshold=threshold)
    rows = [(schemas.RegionRead.model_validate(region), count) for region, count in population]
    chart = choropleth(
        [
            Feature(
                title=f"{region.name}: " + (
                    ngettext("%(num)s person", "%(num)s people", count) % {"num": format_number(count)}
                    if count is not None else _("suppressed")),
                geometry=region.shape or {}, value=count,
            )
            for region, count in rows
        ],
        withheld_label=_("Suppressed (fewer than %(threshold)s)") % {"threshold": format_number(threshold)},
    )
    return render(request, "registry/regions.html", {"rows": rows, "chart": chart, "threshold": threshold})
