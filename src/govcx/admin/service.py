"""Administration: who may administer what, the actions themselves (through each domain's own service), and
their log.

A platform administrator keeps agencies, every staff account and API key, and the register of legal bases.
An agency administrator keeps their own agency's staff, keys, surveys, follow-up rules, routing rules and
message templates; another agency's things answer exactly like missing ones (404), so nothing leaks.
Every action is logged in the same unit of work as the change it records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.admin.models import AdminAction, AdminVerb
from govcx.core import accounts, sessions
from govcx.core import access
from govcx.core.accounts import KEY_SCOPES, ApiKey, Role, Scope, StaffAccount
from govcx.core.auth import StaffMember, authorize
from govcx.core.clock import Clock
from govcx.core.errors import Forbidden, Invalid, NotFound
from govcx.core.pagination import PageParams
from govcx.crm import schemas as crm_schemas
from govcx.crm import service as crm
from govcx.crm.models import RoutingRule
from govcx.feedback import schemas as feedback_schemas
from govcx.feedback import service as feedback
from govcx.feedback.models import FollowUpRule, Survey, SurveyKind
from govcx.notify import schemas as notify_schemas
from govcx.notify import service as notify
from govcx.notify.models import MessageTemplate
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry
from govcx.registry.models import Agency
from govcx.web.i18n import gettext as _

ModelT = TypeVar("ModelT", bound=BaseModel)
RowT = TypeVar("RowT", StaffAccount, ApiKey)
LOG_SHOWN = 200
AGENCY_ROLES = (Role.STAFF, Role.CX_ANALYST, Role.AGENCY_ADMIN)


class FormInvalid(Invalid):
    """Bad input on an administration form: a message per field, already in the reader's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


# Who may administer what --------------------------------------------------------------------------


def can_administer(staff: StaffMember | None) -> bool:
    """Whether `staff` may open the administration pages (the navigation's link asks the same)."""
    return access.ADMINISTER.allows(staff)


def _admin(by: StaffMember) -> None:
    if not can_administer(by):
        raise Forbidden(_("Only administrators can open the administration pages."))


def _platform(by: StaffMember) -> None:
    _admin(by)
    if not by.platform_wide:
        raise Forbidden(_("Only platform administrators can do this."))


def _own_agency(by: StaffMember, scope: Scope) -> UUID:
    _admin(by)
    authorize(by, scope)
    if by.agency_id is None:
        raise Forbidden(_("This page keeps one agency's own set-up: sign in as that agency's administrator."))
    return by.agency_id


def _in_reach(by: StaffMember, row: RowT | None, missing: str) -> RowT:
    # Another agency's things answer like missing ones: an agency admin learns nothing about them.
    if row is None or (not by.platform_wide and (row.agency_id is None or by.agency_id != row.agency_id)):
        raise NotFound(missing)
    return row


@dataclass(frozen=True)
class Section:
    href: str
    title: str
    description: str


def sections(*, by: StaffMember) -> list[Section]:
    """Return what `by` can administer, for the administration home page."""
    _admin(by)
    found: list[Section] = []
    if by.platform_wide:
        found.append(Section("/admin/agencies", _("Agencies"), _("Create agencies and rename them.")))
    found.append(Section("/admin/staff", _("Staff accounts"),
                         _("Create accounts, change their roles and disable them.")))
    found.append(Section("/admin/keys", _("API keys"),
                         _("Create keys for agency systems, see them without their secrets and revoke them.")))
    if Scope.LEGAL_BASIS_ADMIN in by.scopes:
        found.append(Section("/admin/legal-bases", _("Legal bases"),
                             _("Keep the register of laws that let agencies read data without consent.")))
    if by.agency_id is not None:
        if Scope.FEEDBACK_WRITE in by.scopes:
            found.append(Section("/admin/surveys", _("Surveys"), _("Create surveys and open or close them.")))
            found.append(Section("/admin/follow-up-rules", _("Follow-up rules"),
                                 _("Decide which answers your agency follows up.")))
        if Scope.CRM_WRITE in by.scopes:
            found.append(Section("/admin/routing-rules", _("Routing rules"),
                                 _("Send cases to the right department.")))
        if Scope.NOTIFY_ADMIN in by.scopes:
            found.append(Section("/admin/templates", _("Message templates"),
                                 _("Write the messages your agency sends, in English and Spanish.")))
    found.append(Section("/admin/log", _("Administration log"), _("Every administrative action: who, when, what.")))
    return found


# The log ---------------------------------------------------------------------------------------------

# What a log entry may say about its object. Anything else (an e-mail, a name of a person, a password, a
# key's secret) is refused here, so no future caller can write it by mistake.
LOGGABLE_DETAILS = frozenset({
    "code", "name", "previous_name", "role", "previous_role", "label", "scopes", "kind", "version", "key",
    "language", "topic", "question", "max_value", "rank", "title", "agency_code",
})


def record(
    *, session: Session, by: StaffMember, verb: AdminVerb, object_type: str, object_id: UUID | str,
    agency_id: UUID | None, clock: Clock, **details: Any,
) -> AdminAction:
    """Log one administrative action by `by`; `details` take only the names in LOGGABLE_DETAILS."""
    refused = sorted(set(details) - LOGGABLE_DETAILS)
    if refused:
        raise ValueError(f"The administration log does not take {', '.join(refused)}.")
    action = AdminAction(at=clock.now(), actor_id=by.id, actor_role=by.role.value, agency_id=agency_id, verb=verb,
                         object_type=object_type, object_id=str(object_id), details=details)
    session.add(action)
    session.flush()
    return action


@dataclass(frozen=True)
class LogLine:
    at: datetime
    actor_name: str
    actor_role: str
    agency_name: str
    verb: AdminVerb
    object_type: str
    object_id: str
    object_name: str
    details: Mapping[str, Any]


def log(*, session: Session, by: StaffMember, limit: int = LOG_SHOWN) -> list[LogLine]:
    """Return the newest administrative actions `by` may read: all of them, or their own agency's."""
    _admin(by)
    stmt = select(AdminAction).order_by(AdminAction.at.desc(), AdminAction.id.desc()).limit(limit)
    if not by.platform_wide:
        stmt = stmt.where(AdminAction.agency_id == by.agency_id)
    rows = list(session.scalars(stmt))
    staff_ids = {r.actor_id for r in rows} | {UUID(r.object_id) for r in rows if r.object_type == "staff"}
    people = {a.id: a.name for a in session.scalars(select(StaffAccount).where(StaffAccount.id.in_(staff_ids)))}
    agencies = registry.agency_names(session=session)
    return [LogLine(
        at=r.at, actor_name=people.get(r.actor_id, ""), actor_role=r.actor_role,
        agency_name=agencies.get(r.agency_id, "") if r.agency_id else "", verb=r.verb, object_type=r.object_type,
        object_id=r.object_id, object_name=_object_name(r, people, agencies), details=r.details,
    ) for r in rows]


def _object_name(row: AdminAction, people: Mapping[UUID, str], agencies: Mapping[UUID, str]) -> str:
    # Names are read now, from the accounts and agencies themselves: the log row holds ids only.
    if row.object_type == "staff":
        return people.get(UUID(row.object_id), "")
    if row.object_type == "agency":
        return agencies.get(UUID(row.object_id), "")
    return str(row.details.get("label") or row.details.get("name") or row.details.get("title")
               or row.details.get("key") or row.details.get("code") or "")


# Forms -------------------------------------------------------------------------------------------------


def _parse(model: type[ModelT], messages: Mapping[str, str], **values: Any) -> ModelT:
    """Build a domain's schema from a form, with a message in the reader's language beside each bad field."""
    try:
        return model(**values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else next(iter(messages))
            errors.setdefault(field, messages.get(field, _("Check this value.")))
        raise FormInvalid(errors) from exc


def _required(errors: dict[str, str], **values: tuple[str, str]) -> None:
    for field, (value, message) in values.items():
        if not value.strip():
            errors.setdefault(field, message)


# Agencies ---------------------------------------------------------------------------------------------


def agencies(*, session: Session, by: StaffMember) -> list[Agency]:
    """Return every agency, by name (platform administrators)."""
    _platform(by)
    return registry.all_agencies(session=session)


def agency_choices(*, session: Session, by: StaffMember) -> list[Agency]:
    """The agencies `by` may create staff and keys for: all, or their own."""
    _admin(by)
    if by.platform_wide:
        return registry.all_agencies(session=session)
    return [registry.get_agency(session=session, agency_id=by.agency_id)] if by.agency_id else []


def get_agency(*, session: Session, by: StaffMember, agency_id: UUID) -> Agency:
    _platform(by)
    return registry.get_agency(session=session, agency_id=agency_id)


def _agency_messages() -> dict[str, str]:
    return {"code": _("Give a code of 1 to 32 letters, digits, '-' or '_', starting with a letter or digit."),
            "name": _("Give the agency's name (at most 200 characters).")}


def create_agency(*, session: Session, by: StaffMember, code: str, name: str, clock: Clock) -> Agency:
    """Add an agency (platform administrators)."""
    _platform(by)
    data = _parse(registry_schemas.AgencyCreate, _agency_messages(), code=code, name=name)
    if registry.get_agency_by_code(session=session, code=data.code) is not None:
        raise FormInvalid({"code": _("Another agency has the code %(code)s.") % {"code": data.code}})
    agency = registry.create_agency(session=session, data=data, clock=clock)
    record(session=session, by=by, verb=AdminVerb.AGENCY_CREATED, object_type="agency", object_id=agency.id,
           agency_id=agency.id, clock=clock, code=agency.code, name=agency.name)
    return agency


def rename_agency(*, session: Session, by: StaffMember, agency_id: UUID, name: str, clock: Clock) -> Agency:
    """Rename an agency (platform administrators)."""
    agency = get_agency(session=session, by=by, agency_id=agency_id)
    data = _parse(registry_schemas.AgencyUpdate, _agency_messages(), name=name)
    if data.name is None or not data.name.strip():
        raise FormInvalid({"name": _agency_messages()["name"]})
    previous = agency.name
    registry.update_agency(session=session, agency_id=agency.id, data=data)
    record(session=session, by=by, verb=AdminVerb.AGENCY_RENAMED, object_type="agency", object_id=agency.id,
           agency_id=agency.id, clock=clock, code=agency.code, name=agency.name, previous_name=previous)
    return agency


# Staff accounts ------------------------------------------------------------------------------------


def staff_list(*, session: Session, by: StaffMember) -> list[StaffAccount]:
    """Every staff account `by` keeps: all of them, or their agency's; disabled ones too."""
    _admin(by)
    return accounts.staff_accounts(session=session, agency_id=None if by.platform_wide else by.agency_id)


def get_staff(*, session: Session, by: StaffMember, staff_id: UUID) -> StaffAccount:
    _admin(by)
    return _in_reach(by, accounts.get_staff(session=session, staff_id=staff_id),
                     _("No staff account with id %(id)s.") % {"id": staff_id})


def roles_for(*, by: StaffMember) -> list[Role]:
    """The roles `by` may give: an agency administrator never makes a platform administrator."""
    return list(Role) if by.platform_wide else list(AGENCY_ROLES)


def create_staff(
    *, session: Session, by: StaffMember, email: str, name: str, password: str, role: str, agency_id: str,
    clock: Clock,
) -> StaffAccount:
    """Create a staff account in an agency `by` keeps; the password is stored only as its hash."""
    _admin(by)
    errors: dict[str, str] = {}
    _required(errors, name=(name, _("Give the person's name.")))
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or " " in email:
        errors["email"] = _("Give an e-mail address such as name@agency.gov.")
    elif session.scalars(select(StaffAccount.id).where(StaffAccount.email == email)).first() is not None:
        errors["email"] = _("A staff account with this e-mail address already exists.")
    if len(password) < 12:
        errors["password"] = _("Give a password of at least 12 characters.")
    chosen = _role(role, by)
    if chosen is None:
        errors["role"] = _("Choose a role.")
    agency: UUID | None = None
    if chosen is not Role.PLATFORM_ADMIN:
        agency = _agency_in_reach(session, by, agency_id)
        if agency is None:
            errors["agency_id"] = _("Choose the agency the account belongs to.")
    if not errors:
        try:
            account = accounts.create_staff(session=session, email=email, name=name, password=password,
                                            role=chosen, agency_id=agency, clock=clock)  # type: ignore[arg-type]
        except Invalid as exc:
            raise FormInvalid({"name": _("Give the person's name on one line, at most 200 characters.")}) from exc
        record(session=session, by=by, verb=AdminVerb.STAFF_CREATED, object_type="staff", object_id=account.id,
               agency_id=agency, clock=clock, role=account.role.value)
        return account
    raise FormInvalid(errors)


def _role(value: str, by: StaffMember) -> Role | None:
    try:
        role = Role(value)
    except ValueError:
        return None
    return role if role in roles_for(by=by) else None


def _agency_in_reach(session: Session, by: StaffMember, value: str) -> UUID | None:
    if not by.platform_wide:
        return by.agency_id
    try:
        agency_id = UUID(value)
    except ValueError:
        return None
    return agency_id if session.get(Agency, agency_id) is not None else None


def change_role(*, session: Session, by: StaffMember, staff_id: UUID, role: str, clock: Clock) -> StaffAccount:
    """Give an account another role; its next request already acts with it."""
    account = get_staff(session=session, by=by, staff_id=staff_id)
    if account.id == by.id:
        raise FormInvalid({"role": _("You cannot change your own role: ask another administrator.")})
    chosen = _role(role, by)
    if chosen is None or (account.agency_id is None) != (chosen is Role.PLATFORM_ADMIN):
        raise FormInvalid({"role": _("Choose a role this account can have: platform administrators belong to "
                                     "no agency, every other role to one.")})
    if account.role is Role.PLATFORM_ADMIN and not by.platform_wide:
        raise NotFound(_("No staff account with id %(id)s.") % {"id": staff_id})
    previous = account.role
    accounts.change_role(session=session, staff_id=account.id, role=chosen)
    record(session=session, by=by, verb=AdminVerb.STAFF_ROLE_CHANGED, object_type="staff", object_id=account.id,
           agency_id=account.agency_id, clock=clock, role=chosen.value, previous_role=previous.value)
    return account


def disable_staff(*, session: Session, by: StaffMember, staff_id: UUID, clock: Clock) -> StaffAccount:
    """Disable an account: it cannot sign in again, and every session it has ends now."""
    account = get_staff(session=session, by=by, staff_id=staff_id)
    if account.id == by.id:
        raise Forbidden(_("You cannot disable your own account: ask another administrator."))
    if account.is_active:
        accounts.disable_staff(session=session, staff_id=account.id)
        sessions.end_all_for_staff(session=session, staff_id=account.id)
        record(session=session, by=by, verb=AdminVerb.STAFF_DISABLED, object_type="staff", object_id=account.id,
               agency_id=account.agency_id, clock=clock, role=account.role.value)
    return account


# API keys -------------------------------------------------------------------------------------------


def key_scopes_for(*, by: StaffMember) -> list[Scope]:
    """The scopes `by` may put on a key: those a key may hold, and, for an agency admin, only their own."""
    allowed = KEY_SCOPES if by.platform_wide else KEY_SCOPES & by.scopes
    return sorted(allowed, key=lambda s: s.value)


def keys(*, session: Session, by: StaffMember) -> list[ApiKey]:
    """Every key `by` keeps (all, or their agency's), newest first; a key's secret is never stored."""
    _admin(by)
    return accounts.api_keys(session=session, agency_id=None if by.platform_wide else by.agency_id)


def get_key(*, session: Session, by: StaffMember, key_id: UUID) -> ApiKey:
    _admin(by)
    return _in_reach(by, accounts.get_api_key(session=session, key_id=key_id),
                     _("No API key with id %(id)s.") % {"id": key_id})


def create_key(
    *, session: Session, by: StaffMember, agency_id: str, label: str, scopes: list[str], clock: Clock,
) -> tuple[ApiKey, str]:
    """Create a key for an agency `by` keeps; return it with its secret, which is shown once and never stored."""
    _admin(by)
    errors: dict[str, str] = {}
    label = label.strip()
    if not label or len(label) > 100:
        errors["label"] = _("Give the key a label of at most 100 characters, such as the system that uses it.")
    allowed = {s.value for s in key_scopes_for(by=by)}
    if not scopes or any(s not in allowed for s in scopes):
        errors["scopes"] = _("Choose at least one permission from the list.")
    agency = _agency_in_reach(session, by, agency_id)
    if agency is None:
        errors["agency_id"] = _("Choose the agency whose system uses the key.")
    if errors:
        raise FormInvalid(errors)
    key, secret = accounts.create_api_key(session=session, agency_id=agency, scopes=[Scope(s) for s in scopes],
                                          label=label, clock=clock)  # type: ignore[arg-type]
    record(session=session, by=by, verb=AdminVerb.KEY_CREATED, object_type="api_key", object_id=key.id,
           agency_id=key.agency_id, clock=clock, label=key.label, scopes=list(key.scopes))
    return key, secret


def revoke_key(*, session: Session, by: StaffMember, key_id: UUID, clock: Clock) -> ApiKey:
    """Revoke a key; the next request made with it is refused."""
    key = get_key(session=session, by=by, key_id=key_id)
    if key.revoked_at is None:
        accounts.revoke_api_key(session=session, key_id=key.id, clock=clock)
        record(session=session, by=by, verb=AdminVerb.KEY_REVOKED, object_type="api_key", object_id=key.id,
               agency_id=key.agency_id, clock=clock, label=key.label)
    return key


# An agency's own set-up: surveys and follow-up rules (feedback) -----------------------------------------


def surveys(*, session: Session, by: StaffMember) -> list[Survey]:
    agency_id = _own_agency(by, Scope.FEEDBACK_WRITE)
    return feedback.agency_surveys(session=session, agency_id=agency_id)


def create_survey(
    *, session: Session, by: StaffMember, code: str, kind: str, provider: str, is_open: bool, clock: Clock,
) -> Survey:
    """Create a survey (or the next version of one) from a template, for `by`'s agency."""
    agency_id = _own_agency(by, Scope.FEEDBACK_WRITE)
    if kind == SurveyKind.CUSTOM.value:
        raise FormInvalid({"kind": _("Custom surveys need their own questions: create them through the API.")})
    data = _parse(feedback_schemas.SurveyCreate, {
        "code": _("Give a code of letters, digits, '-' or '_' (at most 64), such as a11-2026."),
        "kind": _("Choose a template."),
        "provider": _("Give the name of the service or office that runs the survey."),
    }, code=code, kind=kind, provider=provider, is_open=is_open)
    survey = feedback.create_survey(session=session, agency_id=agency_id, data=data, clock=clock)
    record(session=session, by=by, verb=AdminVerb.SURVEY_CREATED, object_type="survey", object_id=survey.id,
           agency_id=agency_id, clock=clock, code=survey.code, kind=survey.kind.value, version=survey.version)
    return survey


def set_survey_open(*, session: Session, by: StaffMember, survey_id: UUID, is_open: bool, clock: Clock) -> Survey:
    """Open one of `by`'s agency's surveys to answers without an invitation, or close it."""
    agency_id = _own_agency(by, Scope.FEEDBACK_WRITE)
    survey = _own(session, Survey, survey_id, agency_id, _("No survey with id %(id)s.") % {"id": survey_id})
    feedback.set_survey_open(session=session, survey_id=survey.id, is_open=is_open)
    record(session=session, by=by, verb=AdminVerb.SURVEY_OPENED if is_open else AdminVerb.SURVEY_CLOSED,
           object_type="survey", object_id=survey.id, agency_id=agency_id, clock=clock, code=survey.code,
           version=survey.version)
    return survey


def _own(session: Session, model: type[Any], ident: UUID, agency_id: UUID, missing: str) -> Any:
    row = session.get(model, ident)
    if row is None or row.agency_id != agency_id:
        raise NotFound(missing)
    return row


def follow_up_rules(*, session: Session, by: StaffMember) -> list[FollowUpRule]:
    agency_id = _own_agency(by, Scope.FEEDBACK_WRITE)
    return feedback.list_rules(session=session, agency_id=agency_id)


def departments(*, session: Session, by: StaffMember) -> list[Any]:
    """The departments of `by`'s agency (where rules send work)."""
    _admin(by)
    if by.agency_id is None:
        return []
    return list(registry.get_agency(session=session, agency_id=by.agency_id).departments)


def create_follow_up_rule(
    *, session: Session, by: StaffMember, name: str, question: str, max_value: str, needs_comment: bool,
    department_id: str, clock: Clock,
) -> FollowUpRule:
    """Add a rule that follows up negative answers to `by`'s agency's surveys."""
    agency_id = _own_agency(by, Scope.FEEDBACK_WRITE)
    department = _department(session, by, department_id, required=False)
    data = _parse(feedback_schemas.FollowUpRuleCreate, {
        "name": _("Give the rule a name."), "question": _("Choose the measure that triggers it."),
        "max_value": _("Give a score from 0 to 10."),
    }, name=name, question=question, max_value=max_value or None, needs_comment=needs_comment,
        department_id=department)
    rule = feedback.create_rule(session=session, agency_id=agency_id, data=data, clock=clock)
    record(session=session, by=by, verb=AdminVerb.FOLLOW_UP_RULE_CREATED, object_type="follow_up_rule",
           object_id=rule.id, agency_id=agency_id, clock=clock, name=rule.name, question=rule.question,
           max_value=rule.max_value)
    return rule


def _department(session: Session, by: StaffMember, value: str, *, required: bool) -> UUID | None:
    if not value and not required:
        return None
    known = {str(d.id): d.id for d in departments(session=session, by=by)}
    if value not in known:
        raise FormInvalid({"department_id": _("Choose one of your agency's departments.")})
    return known[value]


def set_follow_up_rule_active(
    *, session: Session, by: StaffMember, rule_id: UUID, is_active: bool, clock: Clock,
) -> FollowUpRule:
    """Switch one of `by`'s agency's follow-up rules on or off."""
    agency_id = _own_agency(by, Scope.FEEDBACK_WRITE)
    rule = _own(session, FollowUpRule, rule_id, agency_id, _("No follow-up rule with id %(id)s.") % {"id": rule_id})
    feedback.set_rule_active(session=session, rule_id=rule.id, is_active=is_active)
    record(session=session, by=by, object_type="follow_up_rule", object_id=rule.id, agency_id=agency_id,
           verb=AdminVerb.FOLLOW_UP_RULE_SWITCHED_ON if is_active else AdminVerb.FOLLOW_UP_RULE_SWITCHED_OFF,
           clock=clock, name=rule.name)
    return rule


# Routing rules (crm) -------------------------------------------------------------------------------------


def routing_rules(*, session: Session, by: StaffMember) -> list[RoutingRule]:
    agency_id = _own_agency(by, Scope.CRM_WRITE)
    return crm.agency_routing_rules(session=session, agency_id=agency_id)


def agency_services(*, session: Session, by: StaffMember) -> list[Any]:
    """The catalogue services of `by`'s agency."""
    agency_id = _own_agency(by, Scope.CRM_WRITE)
    return [s for agency, listed in registry.catalogue(session=session) if agency.id == agency_id for s in listed]


def create_routing_rule(
    *, session: Session, by: StaffMember, department_id: str, service_id: str, region_id: str, keywords: str,
    rank: str, clock: Clock,
) -> RoutingRule:
    """Add a rule that sends some of `by`'s agency's cases to one of its departments."""
    agency_id = _own_agency(by, Scope.CRM_WRITE)
    errors: dict[str, str] = {}
    try:
        department = _department(session, by, department_id, required=True)
    except FormInvalid as exc:
        errors.update(exc.errors)
        department = None
    services = {str(s.id): s.id for s in agency_services(session=session, by=by)}
    if service_id and service_id not in services:
        errors["service_id"] = _("Choose one of your agency's services, or any service.")
    regions = {str(r.id): r.id for r in registry.all_regions(session=session)}
    if region_id and region_id not in regions:
        errors["region_id"] = _("Choose a region, or any region.")
    if errors:
        raise FormInvalid(errors)
    words = [w for w in (part.strip() for part in keywords.replace("\n", ",").split(",")) if w]
    data = _parse(crm_schemas.RoutingRuleCreate, {
        "keywords": _("Give at most 20 words or phrases, each 2 to 50 characters, separated by commas."),
        "rank": _("Give a rank from 0 to 10000 (lower ranks are tried first)."),
        "department_id": _("Choose one of your agency's departments."),
    }, department_id=department, service_id=services.get(service_id), region_id=regions.get(region_id),
        keywords=words, rank=rank or 100)
    rule = crm.create_routing_rule(session=session, data=data, by=by, clock=clock)
    record(session=session, by=by, verb=AdminVerb.ROUTING_RULE_CREATED, object_type="routing_rule",
           object_id=rule.id, agency_id=agency_id, clock=clock, rank=rule.rank)
    return rule


def get_routing_rule(*, session: Session, by: StaffMember, rule_id: UUID) -> RoutingRule:
    agency_id = _own_agency(by, Scope.CRM_WRITE)
    return _own(session, RoutingRule, rule_id, agency_id, _("No routing rule with id %(id)s.") % {"id": rule_id})


def delete_routing_rule(*, session: Session, by: StaffMember, rule_id: UUID, clock: Clock) -> None:
    """Remove one of `by`'s agency's routing rules."""
    rule = get_routing_rule(session=session, by=by, rule_id=rule_id)
    agency_id, rank = rule.agency_id, rule.rank
    crm.delete_routing_rule(session=session, rule_id=rule.id, by=by)
    record(session=session, by=by, verb=AdminVerb.ROUTING_RULE_DELETED, object_type="routing_rule",
           object_id=rule_id, agency_id=agency_id, clock=clock, rank=rank)


# Message templates (notify) --------------------------------------------------------------------------------


def templates(*, session: Session, by: StaffMember) -> list[MessageTemplate]:
    """Every version of `by`'s agency's own message templates, by key, language and newest version."""
    agency_id = _own_agency(by, Scope.NOTIFY_ADMIN)
    rows: list[MessageTemplate] = []
    cursor: str | None = None
    while True:  # an agency keeps tens of versions, not thousands: read every page
        page, cursor = notify.list_templates(session=session, agency_id=agency_id, everyone=False,
                                             page=PageParams(cursor=cursor, limit=500))
        rows += page
        if cursor is None:
            return sorted(rows, key=lambda t: (t.key, t.language, -t.version))


def get_template(*, session: Session, by: StaffMember, template_id: UUID) -> MessageTemplate:
    agency_id = _own_agency(by, Scope.NOTIFY_ADMIN)
    return notify.get_template(session=session, template_id=template_id, agency_id=agency_id, everyone=False)


def create_template(
    *, session: Session, by: StaffMember, key: str, language: str, topic: str, subject: str, text_body: str,
    html_body: str, clock: Clock,
) -> MessageTemplate:
    """Add a new version of one of `by`'s agency's message templates in one language."""
    agency_id = _own_agency(by, Scope.NOTIFY_ADMIN)
    data = _parse(notify_schemas.TemplateCreate, {
        "key": _("Give a key of lower-case letters, digits, '.', '_' or '-', such as case.resolved."),
        "language": _("Choose English or Spanish."), "topic": _("Choose a topic."),
        "subject": _("Give a subject of at most 300 characters."), "text_body": _("Give the plain-text message."),
        "html_body": _("Give the HTML message."),
    }, key=key.strip(), language=language, topic=topic, subject=subject, text_body=text_body, html_body=html_body)
    try:
        template = notify.create_template(session=session, data=data, agency_id=agency_id, clock=clock)
    except Invalid as exc:
        raise FormInvalid({"text_body": _("The template does not parse: check every {{ and }}.")}) from exc
    record(session=session, by=by, verb=AdminVerb.TEMPLATE_CREATED, object_type="template", object_id=template.id,
           agency_id=agency_id, clock=clock, key=template.key, language=template.language,
           version=template.version, topic=template.topic.value)
    return template


# Legal bases: the consent domain keeps them; the log notes who changed them ----------------------------


def record_legal_basis(*, session: Session, by: StaffMember, verb: AdminVerb, legal_basis_id: UUID, title: str,
                       agency_id: UUID | None, clock: Clock) -> AdminAction:
    """Log a change to the register of legal bases (made through the consent domain's service)."""
    return record(session=session, by=by, verb=verb, object_type="legal_basis", object_id=legal_basis_id,
                  agency_id=agency_id, clock=clock, title=title)
