"""The demo's year of feedback: scores follow the planted causes, and the truth file says what was planted."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from govcx.core.db import make_session_factory, unit_of_work
from govcx.feedback.models import Response
from govcx.registry import service as registry


def _agree_share(rows) -> float:  # noqa: ANN001
    return sum(r.trust for r in rows) / len(rows)


def _responses(engine):  # noqa: ANN001, ANN202
    """The A-11 answers (those that ask trust), with region and service codes by id."""
    with unit_of_work(make_session_factory(engine)) as session:
        rows = list(session.scalars(select(Response).where(Response.trust.is_not(None))))
        regions = {r.id: r.code for r in registry.all_regions(session=session)}
        services = {s.id: s.code for _, listed in registry.catalogue(session=session) for s in listed}
    return rows, regions, services


def test_the_truth_file_records_the_planted_feedback_effects_with_their_parameters(truth):
    kinds = {e["name"]: e for e in truth["effects"] if e.get("domain") == "feedback"}

    assert set(kinds) == {"feedback_causes", "understaffed_region", "service_trust_drag"}
    assert kinds["understaffed_region"]["region"] == truth["feedback"]["planted_region"]
    assert kinds["feedback_causes"]["parameters"]["repeat_ask_each"] < 0
    assert truth["feedback"]["responses"] >= 2000


def test_repeat_asks_and_channel_switches_lower_trust(demo, engine):
    rows, _, _ = _responses(engine)

    asked_again = [r for r in rows if r.answers["asked_again"] == 1]
    switched = [r for r in rows if r.answers["switched_channel"] == 1]
    smooth = [r for r in rows if r.answers["asked_again"] == 0 and r.answers["switched_channel"] == 0
              and r.answers["wait"] != "much_longer"]
    assert _agree_share(asked_again) < _agree_share(smooth) - 0.15
    assert _agree_share(switched) < _agree_share(smooth) - 0.1


def test_the_planted_region_and_service_trust_less_than_the_rest(demo, engine, truth):
    rows, regions, services = _responses(engine)
    by_region, by_service = defaultdict(list), defaultdict(list)
    for r in rows:
        by_region[regions[r.region_id] == truth["feedback"]["planted_region"]].append(r)
        by_service[services[r.service_id] == truth["feedback"]["planted_service"]].append(r)

    assert _agree_share(by_region[True]) < _agree_share(by_region[False]) - 0.1
    assert _agree_share(by_service[True]) < _agree_share(by_service[False]) - 0.1


def test_comments_in_the_demo_are_stored_redacted(demo, engine):
    rows, _, _ = _responses(engine)

    comments = [r.comment for r in rows if r.comment]
    assert any("[phone]" in c for c in comments)
    assert not any("@example.org" in c for c in comments)
