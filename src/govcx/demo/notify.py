"""The demo country's notifications: everyone's preferences, the shipped templates, recommendation rules,
and some messages already sent (e-mails and texts land in files under the data dir, not on a server).

The demo citizen is a jobseeker who consented to let the employment office use that for suggestions,
so the portal, the staff page and an e-mail show the same two recommendations. Her driving licence,
held by the Transport Administration, expires soon, and its reminder says so. Every case update cites a
real case's reference, status and agency: one message per recent status change of a person's case, sent
when it changed (the CRM step says which).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker

from govcx.consent import schemas as consent_schemas
from govcx.consent import service as consent
from govcx.consent.models import Purpose
from govcx.core.clock import Clock, FixedClock
from govcx.core.config import Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import unit_of_work
from govcx.core.signing import Signer
from govcx.demo.crm import StatusChange
from govcx.demo.population import seeded
from govcx.notify import defaults, recommend, schemas, service
from govcx.notify.models import NotifyChannel, Topic
from govcx.notify.senders import FileEmailSender, FileSender, Senders
from govcx.notify.worker import Worker
from govcx.registry import service as registry
from govcx.registry.models import Channel
from govcx.vault import schemas as vault_schemas
from govcx.vault import service as vault

PAGE = 2_000
LICENCE = "transport.driving_licence"
LICENCE_EXPIRES_IN = timedelta(days=45)
LICENCE_YEARS = 10
# (rule code, service code, when, reason)
RULES = (
    ("jobseeker-benefit", "EMPLOY-BENEFIT", {"employment.status": ["jobseeker"]},
     "You are registered as a jobseeker."),
    ("jobseeker-training", "EMPLOY-TRAINING", {"employment.status": ["jobseeker"]},
     "You are registered as a jobseeker."),
    ("licence-holder-renewal", "TRANSPORT-RENEW", {"transport.driving_licence": []}, "You hold a driving licence."),
    ("disability-allowance", "SOC-DISABILITY", {"social.disability_status": []},
     "Your disability status is recorded."),
)
_FIRST = {Channel.EMAIL: NotifyChannel.EMAIL, Channel.SMS: NotifyChannel.SMS, Channel.MAIL: NotifyChannel.POST,
          Channel.PHONE: NotifyChannel.SMS}


def _preference(person: Any, rng: Any) -> dict[str, Any]:
    first = _FIRST.get(person.preferred_channel, NotifyChannel.INBOX)
    channels = list(dict.fromkeys([first, NotifyChannel.INBOX, NotifyChannel.EMAIL]))
    quiet = rng.random() < 0.25
    opted_out = [t for t, share in ((Topic.SURVEYS, 0.12), (Topic.OFFERS, 0.06)) if rng.random() < share]
    return {"person_id": person.id, "channels": channels, "language": person.preferred_language,
            "quiet_from": 22 if quiet else None, "quiet_until": 7 if quiet else None, "opted_out": opted_out}


def _licence_expiry(now: datetime) -> datetime:
    return (now + LICENCE_EXPIRES_IN).replace(hour=0, minute=0, second=0, microsecond=0)


def _citizen_story(session: Session, *, settings: Settings, clock: Clock, cipher: FieldCipher,
                   citizen_national_id: str) -> UUID | None:
    """Make the demo citizen a jobseeker who consented to suggestions and whose driving licence expires soon;
    remind her of the licence and suggest what her consent allows."""
    person = registry.find_person_by_national_id(session=session, cipher=cipher, national_id=citizen_national_id)
    employ = registry.get_agency_by_code(session=session, code="EMPLOY")
    transport = registry.get_agency_by_code(session=session, code="TRANSPORT")
    if person is None or employ is None or transport is None:
        return None
    now = clock.now()
    # Registered as a jobseeker the day before she claimed the benefit (the CRM step's story).
    vault.record_fact(session=session, cipher=cipher, clock=FixedClock(now - timedelta(days=41)),
                      by=vault.Source(agency_id=employ.id),
                      data=vault_schemas.FactCreate(subject_id=person.id, attribute_key="employment.status",
                                                    value="jobseeker", verified=True, evidence="jobseeker register"))
    expires = _licence_expiry(now)
    issued = expires.replace(year=expires.year - LICENCE_YEARS)
    vault.record_fact(session=session, cipher=cipher, clock=FixedClock(issued), by=vault.Source(agency_id=transport.id),
                      data=vault_schemas.FactCreate(
                          subject_id=person.id, attribute_key=LICENCE, verified=True, evidence="licence register",
                          value=f"DL-{str(person.id.int)[-7:]}, class B, expires {expires.date().isoformat()}",
                          valid_from=issued, valid_to=expires))
    signer = Signer.from_secret(settings.secret)
    asked = consent.request_consent(session=session, requester_agency_id=employ.id, clock=clock, signer=signer,
                                    data=consent_schemas.ConsentCreate(
                                        subject_id=person.id, attributes=["employment.status"],
                                        purpose=Purpose.SERVICE_PERSONALISATION,
                                        purpose_text="Suggest services that help you back to work"))
    consent.act(session=session, consent_id=asked.id, action=consent_schemas.ConsentAction.GIVE, clock=clock,
                signer=signer, person_id=person.id)
    why = schemas.Why(data=["Driving licence"], rule="Your driving licence expires soon; the Transport "
                      "Administration reminds every licence holder.")
    service.send(session=session, clock=clock, settings=settings, person_id=person.id,
                 sender_agency_id=transport.id, template_key="reminder.renewal", why=why,
                 dedup_key="demo-licence-renewal",
                 facts={"document_name": "driving licence", "expiry_date": f"{expires.day} {expires:%B %Y}"})
    recommend.send_recommendations(session=session, clock=clock, settings=settings, cipher=cipher,
                                   person_id=person.id)
    return person.id


def generate_notify(*, settings: Settings, factory: sessionmaker[Session], clock: Clock, cipher: FieldCipher,
                    seed: int, citizen_national_id: str | None, told: Sequence[StatusChange] = (),
                    start: Callable[[str, int], Any] = lambda *_: None,
                    advance: Callable[[Any, int], None] = lambda *_: None) -> dict[str, Any]:
    """Fill the notify domain; return what the truth file says about it."""
    rng = seeded(seed, "notify")
    with unit_of_work(factory) as session:
        templates = defaults.install_default_templates(session=session, clock=clock)
        catalogue = {s.code: s.id for _, services in registry.catalogue(session=session) for s in services}
        attributes = vault.catalogue(session=session)
        rules = 0
        for code, service_code, when, reason in RULES:
            if service_code in catalogue and set(when) <= set(attributes):
                recommend.create_rule(session=session, clock=clock, data=schemas.RuleCreate(
                    code=code, service_id=catalogue[service_code], when=when, reason=reason))
                rules += 1
    people = opted_out = 0
    with unit_of_work(factory) as session:
        persons = registry.person_records(session=session)  # in id order, so a seed draws the same choices
    task = start("Notification preferences", len(persons))
    with unit_of_work(factory) as session:
        for i in range(0, len(persons), PAGE):
            batch = persons[i:i + PAGE]
            rows = [_preference(p, rng) for p in batch]
            service.import_preferences(session=session, rows=rows, clock=clock)
            people += len(rows)
            opted_out += sum(1 for r in rows if r["opted_out"])
            advance(task, len(batch))
    skipped = 0
    task = start("Messages: case updates, a reminder, suggestions", len(told) + 2)  # and one for delivering them
    with unit_of_work(factory) as session:
        agencies = {a.id: a.name for a in registry.all_agencies(session=session)}
        citizen = None
        if citizen_national_id:
            citizen = _citizen_story(session, settings=settings, clock=clock, cipher=cipher,
                                     citizen_national_id=citizen_national_id)
        advance(task, 1)
        # Told when the case moved, as the app tells them: the message is as old as the change.
        for n, change in enumerate(told):
            sent = service.send(
                session=session, clock=FixedClock(change.at), settings=settings, person_id=change.person_id,
                template_key="case.updated",
                facts={"case_reference": change.reference, "case_status": change.words,
                       "agency_name": agencies[change.agency_id]},
                why=schemas.Why(rule="You made this request; we tell you when its status changes.",
                                data=["case.status"]),
                dedup_key=f"case-status:{change.case_id}:{change.at.isoformat()}", sender_agency_id=change.agency_id,
            )
            skipped += sent.status.value == "skipped"
            if n % 100 == 99:
                advance(task, 100)
        advance(task, len(told) % 100)
    # Deliver now, into files: the demo has no mail server or SMS gateway.
    files = settings.data_dir / "outbox"
    senders = Senders(email=FileEmailSender(files / "mail", settings.mail_from), sms=FileSender(files / "sms.jsonl"),
                      post=FileSender(files / "post.jsonl"))
    delivered = Worker(session_factory=factory, clock=clock, settings=settings, senders=senders).drain()
    advance(task, 1)
    return {
        "templates": templates, "rules": rules, "people_with_preferences": people,
        "people_opted_out_of_a_topic": opted_out, "case_updates": len(told),
        "skipped_at_sending": skipped, "delivered": delivered,
        "citizen_recommendations": ["EMPLOY-BENEFIT", "EMPLOY-TRAINING"] if citizen else [],
        "files": str(files),
    }
