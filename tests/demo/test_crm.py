"""The demo country's year of contacts and cases, and the understaffed region planted in it."""

from collections import Counter
from statistics import median

from sqlalchemy import select

from govcx.crm.models import Case, CaseStatus, Interaction, RepeatAsk
from govcx.registry.models import Channel, Person, Region


def test_the_demo_has_a_year_of_contacts_cases_and_repeat_asks_as_the_truth_file_says(demo, truth, uow):
    with uow() as session:
        interactions = session.scalars(select(Interaction)).all()
        cases = session.scalars(select(Case)).all()
        asks = session.scalars(select(RepeatAsk)).all()

    assert (len(interactions), len(cases), len(asks)) == (truth["crm"]["interactions"], truth["crm"]["cases"],
                                                          truth["crm"]["repeat_asks"])
    channels = Counter(i.channel.value for i in interactions)
    assert channels == truth["crm"]["channels"]
    assert channels.most_common(1)[0][0] == "web" and len(channels) >= 6
    span = max(i.started_at for i in interactions) - min(i.started_at for i in interactions)
    assert span.days >= 300
    assert {c.status for c in cases} >= {CaseStatus.RESOLVED, CaseStatus.CLOSED}
    assert any(c.resolved_at and c.resolved_at > c.sla_due_at for c in cases)  # some breached their SLA


def test_the_understaffed_region_has_longer_office_contacts_and_more_sla_breaches(demo, truth, uow):
    [effect] = [e for e in truth["effects"] if e["name"] == "understaffed_offices"]
    with uow() as session:
        slow = session.scalars(select(Region.id).where(Region.code == effect["region"])).one()
        region_of = dict(session.execute(select(Person.id, Person.region_id)).all())
        interactions = session.scalars(select(Interaction).where(
            Interaction.channel.in_([Channel.PHONE, Channel.IN_PERSON]))).all()
        cases = session.scalars(select(Case).where(Case.resolved_at.is_not(None))).all()

    minutes = {True: [], False: []}
    for i in interactions:
        minutes[region_of[i.person_id] == slow].append((i.ended_at - i.started_at).total_seconds() / 60)
    breached = {True: [], False: []}
    for c in cases:
        breached[c.region_id == slow].append(c.resolved_at > c.sla_due_at)

    assert median(minutes[True]) > 1.3 * median(minutes[False])
    assert sum(breached[True]) / len(breached[True]) > 1.5 * sum(breached[False]) / len(breached[False])
    assert effect["measured"]["sla_breach_rate"]["region"] > effect["measured"]["sla_breach_rate"]["elsewhere"]
