"""Vault pages: the person's own data, every fact with where it came from, its history, what they may
declare themselves, and asking the source to correct it.

Every action is a plain form with its CSRF token; a bad answer comes back beside its field, nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from govcx.core.auth import CurrentCitizen
from govcx.core.crypto import FieldCipher
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import NotFound
from govcx.crm import schemas as crm_schemas
from govcx.crm import applications as crm_applications
from govcx.registry.models import DataAttribute, SubjectKind
from govcx.vault import schemas, service
from govcx.web import plain
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()

FORMAT_HINTS = {"date": N_("Give a date such as 2026-03-16."), "integer": N_("Give a whole number such as 2."),
                "decimal": N_("Give a number such as 12.5."), "money": N_("Give an amount such as 1250.00."),
                "boolean": N_("Answer yes or no.")}
DONE = {"declared": N_("Done: government now holds what you declared, marked as declared by you.")}
FormValue = Annotated[str, Form(max_length=10_000)]


@dataclass(frozen=True)
class FactView:
    """One fact as its person reads it."""

    fact: schemas.FactRead
    name: str
    description: str
    value: str
    correctable: bool
    declarable: bool


def _plain(fact: schemas.FactRead, attribute: DataAttribute | None) -> FactView:
    return FactView(
        fact=fact, name=plain.data_name(attribute.name if attribute else fact.attribute_name),
        description=_(attribute.description) if attribute and attribute.description else "",
        value=plain.value(fact.value, attribute.value_type.value if attribute else "string"),
        correctable=attribute is not None and attribute.source_agency_id is not None and not fact.provenance.self_declared,
        declarable=attribute is not None and attribute.self_declarable,
    )


@router.get("/me/data")
def my_data(request: Request, me: CurrentCitizen, session: SessionDep, cipher: CipherDep) -> Response:
    catalogue = service.catalogue(session=session)
    facts = service.current_facts(session=session, cipher=cipher, subject_id=me.person_id)
    held = {f.attribute_key for f in facts}
    declarable = [(a.key, plain.data_name(a.name)) for a in catalogue.values()
                  if a.self_declarable and a.subject_kind is SubjectKind.PERSON and a.key not in held]
    done = request.query_params.get("done", "")
    return render(request, "vault/my_data.html", {
        "facts": [_plain(f, catalogue.get(f.attribute_key)) for f in facts], "declarable": declarable,
        "done": _(DONE[done]) if done in DONE else "",
    })


def _held(session: Session, cipher: FieldCipher, person_id, key: str) -> FactView:  # noqa: ANN001
    attribute = service.catalogue(session=session).get(key)
    current = service.current_facts(session=session, cipher=cipher, subject_id=person_id, keys=[key])
    if attribute is None or not current:
        raise NotFound(f"Government holds no {key} about you.")
    return _plain(current[0], attribute)


@router.get("/me/data/{key}/history")
def fact_history(request: Request, key: str, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
                 settings: SettingsDep) -> Response:
    view = _held(session, cipher, me.person_id, key)
    attribute = service.catalogue(session=session)[key]
    versions = [(f, plain.value(f.value, attribute.value_type.value))
                for f in service.fact_history(session=session, cipher=cipher, subject_id=me.person_id,
                                              attribute_key=key)]
    return render(request, "vault/fact_history.html", {"view": view, "versions": versions,
                                                       "tz": settings.notify_timezone})


# Declaring a fact oneself ------------------------------------------------------------------------


def _declarable(session: Session, key: str) -> DataAttribute:
    attribute = service.catalogue(session=session).get(key)
    if attribute is None or not attribute.self_declarable or attribute.subject_kind is not SubjectKind.PERSON:
        raise NotFound(f"{key} is not something you can declare yourself.")
    return attribute


def _declare_page(request: Request, attribute: DataAttribute, current: str, value: str,
                  error: str | None = None) -> Response:
    return render(request, "vault/declare.html", {
        "key": attribute.key, "name": plain.data_name(attribute.name),
        "description": _(attribute.description) if attribute.description else "", "current": current,
        "value": value, "value_type": attribute.value_type.value, "errors": {"value": error} if error else {},
    }, status_code=400 if error else 200)


@router.get("/me/data/{key}/declare")
def declare_form(request: Request, key: str, me: CurrentCitizen, session: SessionDep, cipher: CipherDep) -> Response:
    attribute = _declarable(session, key)
    current = service.current_facts(session=session, cipher=cipher, subject_id=me.person_id, keys=[key])
    shown = plain.value(current[0].value, attribute.value_type.value) if current else ""
    return _declare_page(request, attribute, shown, current[0].value if current else "")


@router.post("/me/data/{key}/declare", dependencies=[CsrfProtected])
def declare(request: Request, key: str, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
            clock: ClockDep, value: FormValue = "") -> Response:
    attribute = _declarable(session, key)
    value = value.strip()
    error = None
    if not value:
        error = _("Enter your %(name)s.") % {"name": plain.data_name(attribute.name)}
    elif len(value) > 4000 or not service.well_formed(attribute, value):
        error = _(FORMAT_HINTS.get(attribute.value_type.value, N_("Give a shorter value (4,000 characters at most).")))
    if error:
        current = service.current_facts(session=session, cipher=cipher, subject_id=me.person_id, keys=[key])
        shown = plain.value(current[0].value, attribute.value_type.value) if current else ""
        return _declare_page(request, attribute, shown, value, error)
    service.record_fact(session=session, cipher=cipher, clock=clock, by=service.Source(person_id=me.person_id),
                        data=schemas.FactCreate(subject_id=me.person_id, attribute_key=key, value=value,
                                                verified=False, evidence="declared in the citizen portal"))
    return RedirectResponse("/me/data?done=declared", status_code=303)


# Asking the source to correct a fact ------------------------------------------------------------


def _correction_page(request: Request, view: FactView, value: str = "", explanation: str = "",
                     errors: dict[str, str] | None = None) -> Response:
    return render(request, "vault/correct.html", {
        "view": view, "value": value, "explanation": explanation, "errors": errors or {},
    }, status_code=400 if errors else 200)


def _correctable(session: Session, cipher: FieldCipher, person_id, key: str) -> FactView:  # noqa: ANN001
    view = _held(session, cipher, person_id, key)
    if not view.correctable:
        raise NotFound(f"{key} is not held from an agency that can correct it.")
    return view


@router.get("/me/data/{key}/correct")
def correction_form(request: Request, key: str, me: CurrentCitizen, session: SessionDep,
                    cipher: CipherDep) -> Response:
    return _correction_page(request, _correctable(session, cipher, me.person_id, key))


@router.post("/me/data/{key}/correct", dependencies=[CsrfProtected])
def request_correction(request: Request, key: str, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
                       clock: ClockDep, proposed_value: FormValue = "", explanation: FormValue = "") -> Response:
    view = _correctable(session, cipher, me.person_id, key)
    attribute = service.catalogue(session=session)[key]
    errors: dict[str, str] = {}
    try:
        data = crm_schemas.CorrectionCreate(attribute_key=key, proposed_value=proposed_value, explanation=explanation)
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        if "proposed_value" in fields:
            errors["proposed_value"] = _("Enter what the value should be, in 4,000 characters at most.")
        if "explanation" in fields:
            errors["explanation"] = _("Keep the explanation under 2,000 characters.")
    else:
        if not service.well_formed(attribute, data.proposed_value):
            errors["proposed_value"] = _(FORMAT_HINTS.get(attribute.value_type.value, N_("Enter a value.")))
    if errors:
        return _correction_page(request, view, proposed_value, explanation, errors)
    case = crm_applications.request_correction(session=session, clock=clock, cipher=cipher, person_id=me.person_id, data=data)
    return RedirectResponse(f"/me/cases/{case.id}?filed=correction", status_code=303)
