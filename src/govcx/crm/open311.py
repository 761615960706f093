"""Open311 GeoReport v2 at /open311/v2: an adapter that maps the specification onto cases.

Field names, formats (JSON and XML) and error lists follow the specification
(http://wiki.open311.org/GeoReport_v2), not govcx's own problem details: Open311 clients expect them.
Only public reports (cases about no one in particular) are listed; a case about a person never is.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from govcx.core import accounts
from govcx.core.accounts import Scope
from govcx.core.auth import AgencyClient
from govcx.core.bounded import parse_datetime, strip_unprintable
from govcx.core.redaction import redact
from govcx.core.deps import ClockDep, SessionDep
from govcx.core.errors import ProblemError
from govcx.crm import schemas, service
from govcx.crm.models import Case, CaseStatus
from govcx.registry import service as registry

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-27T00:00:00+00:00"
MEDIA = {"json": "application/json", "xml": "text/xml"}
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
CLOSED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
OPEN = tuple(s for s in CaseStatus if s not in CLOSED)

# Out of /api/v1's OpenAPI document: this API is described by the GeoReport v2 specification and its
# discovery document, and answers errors as that specification's error lists, not problem details.
router = APIRouter(prefix=PREFIX, tags=["open311"], include_in_schema=False)


class Open311Failure(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def _w3c(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                _xml_object(element, name.removesuffix("s"), item)
            else:
                _xml_value(element, name.removesuffix("s"), item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def _xml_object(parent: ET.Element, name: str, data: dict[str, Any]) -> None:
    element = ET.SubElement(parent, name)
    for key, value in data.items():
        _xml_value(element, key, value)


def _printable(value: Any) -> Any:
    """Strip the control characters an XML document cannot hold (and no JSON reader needs)."""
    if isinstance(value, str):
        return strip_unprintable(value)
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    return value


def _answer(format: str, data: BaseModel | list[BaseModel], *, root: str, item: str | None = None,  # noqa: A002
            status: int = 200) -> Response:
    """Answer in JSON, or in XML under `root` (with one `item` element per list entry)."""
    plain = _printable([d.model_dump() for d in data] if isinstance(data, list) else data.model_dump())
    if format == "json":
        return Response(json.dumps(plain), status_code=status, media_type=MEDIA["json"])
    document = ET.Element(root)
    if isinstance(plain, list):
        for entry in plain:
            _xml_object(document, item or root, entry)
    else:
        for key, value in plain.items():
            _xml_value(document, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(document, encoding="utf-8")
    return Response(body, status_code=status, media_type=MEDIA["xml"])


def _open311(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Answer failures as the specification's error list, in the request's format."""

    def wrapped(*args: Any, format: str, **kwargs: Any) -> Response:  # noqa: A002
        answer_format = format if format in MEDIA else "json"
        try:
            if format not in MEDIA:
                raise Open311Failure(404, "Ask for .json or .xml.")
            return handler(*args, format=format, **kwargs)
        except Open311Failure as failure:
            code, description = failure.code, failure.description
        except ProblemError as problem:
            code, description = problem.status, problem.detail
        # The answer is an error, so nothing of this request may be kept.
        for value in kwargs.values():
            if isinstance(value, Session):
                value.rollback()
        errors = [schemas.Open311Error(code=code, description=description)]
        return _answer(answer_format, errors, root="errors", item="error", status=code)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    wrapped.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]
    return wrapped


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise Open311Failure(404, f"No {what} {value}.") from None


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise Open311Failure(400, f"{name}: {exc} (a W3C date and time, such as 2026-03-16T09:30:00Z)") from None


def _service_read(svc: Any, group: str) -> schemas.Open311Service:
    return schemas.Open311Service(service_code=svc.code, service_name=svc.name, description=svc.description,
                                  metadata=True, type="realtime", keywords="", group=group)


def _request_read(case: Case, names: dict[UUID, tuple[str, str]], agencies: dict[UUID, str]) -> schemas.Open311Request:
    code, name = names.get(case.service_id, ("", ""))
    return schemas.Open311Request(
        service_request_id=str(case.id), status="closed" if case.status in CLOSED else "open",
        # Published to anyone: phone numbers, e-mails and national ids in the words are redacted.
        status_notes=redact(case.status_reason), service_name=name, service_code=code,
        description=redact(case.description),
        agency_responsible=agencies.get(case.agency_id, ""), service_notice="",
        requested_datetime=_w3c(case.opened_at), updated_datetime=_w3c(case.updated_at),
        expected_datetime=_w3c(case.sla_due_at), address=case.address, address_id=None, zipcode=None,
        lat=case.lat, long=case.lon, media_url=None,
    )


def _requests(session: Any, cases: list[Case], format: str) -> Response:  # noqa: A002
    names = {s.id: (s.code, s.name) for _, services in registry.catalogue(session=session) for s in services}
    agencies = {a.id: a.name for a in registry.all_agencies(session=session)}
    return _answer(format, [_request_read(c, names, agencies) for c in cases], root="service_requests", item="request")


# Discovery and services ------------------------------------------------------------------------


@router.get("/discovery.{format}", response_model=schemas.Open311Discovery, operation_id="open311_discovery")
@_open311
def discovery(request: Request, format: str) -> Response:  # noqa: A002
    """Where this endpoint is and what it speaks."""
    base = str(request.base_url).rstrip("/") + PREFIX
    return _answer(format, schemas.Open311Discovery(
        changeset=CHANGESET, contact="Open311 endpoint of govcx", key_service="Ask an agency for a crm:write key.",
        endpoints=[schemas.Open311Endpoint(specification=SPECIFICATION, url=base, changeset=CHANGESET,
                                           type="production", formats=list(MEDIA.values()))],
    ), root="discovery")


@router.get("/services.{format}", response_model=list[schemas.Open311Service], operation_id="open311_services")
@_open311
def services(session: SessionDep, format: str) -> Response:  # noqa: A002
    """Every service a request can be filed for."""
    rows = [_service_read(s, agency.name) for agency, ss in registry.catalogue(session=session) for s in ss]
    return _answer(format, rows, root="services", item="service")


@router.get("/services/{service_code}.{format}", response_model=schemas.Open311ServiceDefinition,
            operation_id="open311_service_definition")
@_open311
def service_definition(service_code: str, session: SessionDep, format: str) -> Response:  # noqa: A002
    """The extra attributes a service asks for (none yet: the catalogue has no custom attributes)."""
    svc = registry.get_service_by_code(session=session, code=service_code)
    if svc is None or not svc.is_active:
        raise Open311Failure(404, f"No service {service_code}.")
    return _answer(format, schemas.Open311ServiceDefinition(service_code=svc.code, attributes=[]),
                   root="service_definition")


# Requests --------------------------------------------------------------------------------------

OptionalForm = Annotated[str | None, Form()]


def _client(session: Any, api_key: str | None) -> AgencyClient:
    key = accounts.verify_api_key(session=session, presented=api_key) if api_key else None
    if key is None:
        raise Open311Failure(403, "Send a valid api_key.")
    scopes = frozenset(Scope(s) for s in key.scopes)
    if Scope.CRM_WRITE not in scopes:
        raise Open311Failure(403, "This api_key may not file requests (it needs crm:write).")
    return AgencyClient(key_id=key.id, agency_id=key.agency_id, scopes=scopes)


@router.post("/requests.{format}", response_model=list[schemas.Open311Receipt], operation_id="open311_post_request")
@_open311
def post_request(
    session: SessionDep, clock: ClockDep, format: str,  # noqa: A002
    api_key: OptionalForm = None, service_code: OptionalForm = None, lat: OptionalForm = None,
    long: OptionalForm = None, address_string: OptionalForm = None, address_id: OptionalForm = None,
    description: OptionalForm = None, email: OptionalForm = None, first_name: OptionalForm = None,
    last_name: OptionalForm = None, phone: OptionalForm = None, device_id: OptionalForm = None,
    account_id: OptionalForm = None, media_url: OptionalForm = None, jurisdiction_id: OptionalForm = None,
) -> Response:
    """File a service request; it becomes a case routed to the responsible department.

    Contact details (email, names, phone, device) are not kept: a public report is about a place.
    """
    client = _client(session, api_key)
    if not service_code:
        raise Open311Failure(400, "service_code is required.")
    svc = registry.get_service_by_code(session=session, code=service_code)
    if svc is None or not svc.is_active:
        raise Open311Failure(404, f"No service {service_code}.")
    if not ((lat and long) or address_string or address_id):
        raise Open311Failure(400, "Give a location: lat and long, address_string or address_id.")
    try:
        location = schemas.Location(lat=lat or None, lon=long or None,
                                    address=address_string or (f"Address {address_id}" if address_id else None))
        data = schemas.CaseCreate(service_id=svc.id, description=description or "No description given.",
                                  location=location, channel="app" if device_id else "web")
    except ValidationError as exc:
        raise Open311Failure(400, "; ".join(e["msg"] for e in exc.errors())) from None
    case = service.file_case(session=session, data=data, by=client, clock=clock)
    agency = registry.get_agency(session=session, agency_id=case.agency_id)
    notice = f"Sent to {agency.name}; expected by {_w3c(case.sla_due_at)}."
    receipt = schemas.Open311Receipt(service_request_id=str(case.id), token=str(case.token), service_notice=notice,
                                     account_id=account_id)
    return _answer(format, [receipt], root="service_requests", item="request", status=201)


@router.get("/requests.{format}", response_model=list[schemas.Open311Request], operation_id="open311_requests")
@_open311
def get_requests(
    session: SessionDep, clock: ClockDep, format: str,  # noqa: A002
    service_request_id: str | None = None, service_code: str | None = None, start_date: str | None = None,
    end_date: str | None = None, status: str | None = None, jurisdiction_id: str | None = None,
) -> Response:
    """Public reports, newest first: by id list, or by service, dates (90 days by default) and status."""
    if service_request_id:
        ids = [_uuid(i.strip(), "service request") for i in service_request_id.split(",") if i.strip()]
        return _requests(session, service.public_reports(session=session, ids=ids), format)
    service_id = None
    if service_code:
        svc = registry.get_service_by_code(session=session, code=service_code)
        if svc is None:
            raise Open311Failure(404, f"No service {service_code}.")
        service_id = svc.id
    end = _date(end_date, "end_date")
    start = _date(start_date, "start_date")
    if start is None and end is None:
        start = clock.now() - DEFAULT_WINDOW
    statuses: list[CaseStatus] | None = None
    if status:
        wanted = {s.strip() for s in status.split(",")}
        if not wanted <= {"open", "closed"}:
            raise Open311Failure(400, "status is open, closed, or both separated by a comma.")
        statuses = [s for group, members in (("open", OPEN), ("closed", CLOSED)) if group in wanted for s in members]
    cases = service.public_reports(session=session, service_id=service_id, opened_from=start, opened_to=end,
                                   statuses=statuses, limit=MAX_RESULTS)
    return _requests(session, cases, format)


@router.get("/requests/{service_request_id}.{format}", response_model=list[schemas.Open311Request],
            operation_id="open311_request")
@_open311
def get_request(service_request_id: str, session: SessionDep, format: str) -> Response:  # noqa: A002
    """One public report."""
    cases = service.public_reports(session=session, ids=[_uuid(service_request_id, "service request")])
    if not cases:
        raise Open311Failure(404, f"No service request {service_request_id}.")
    return _requests(session, cases, format)


@router.get("/tokens/{token}.{format}", response_model=list[schemas.Open311Token], operation_id="open311_token")
@_open311
def get_token(token: str, session: SessionDep, format: str) -> Response:  # noqa: A002
    """The service request id a token stands for."""
    case = service.get_case_by_token(session=session, token=_uuid(token, "token"))
    if case is None:
        raise Open311Failure(404, f"No token {token}.")
    return _answer(format, [schemas.Open311Token(service_request_id=str(case.id), token=token)],
                   root="service_requests", item="request")


