"""Several server processes witness one access log: no false alarm, and a witness that verifies."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from govcx.cli import app as cli
from govcx.core.clock import FixedClock
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.exchange import service
from govcx.exchange.witness import FILE_NAME, FileWitness, Publisher, bind, peek_seq, witness_round
from tests.conftest import START, TEST_SECRET
from tests.factories.consent import SIGNER
from tests.factories.exchange import log_entries

PROCESSES = 3
ROUNDS = 40


def _serve_like_a_server_process(database_url: str, witness: str, subject: str, agency: str, seed: int,
                                 start: multiprocessing.synchronize.Barrier) -> list[str]:
    """What one server process does: requests append entries (a head at every 1,000th, on the request's path),
    and its witness loop signs a head of the newest entry; return every failure its publisher saw."""
    engine = make_engine(database_url)
    factory, clock = make_session_factory(engine), FixedClock(START)
    publisher = Publisher(FileWitness(Path(witness)))
    bind(factory, publisher)
    tick = witness_round(factory=factory, signer=SIGNER, clock=clock, publisher=publisher)
    failures, rng = [], random.Random(seed)
    start.wait()
    for _ in range(ROUNDS):
        with unit_of_work(factory) as session:
            service.append(session=session, signer=SIGNER, at=clock.now(),
                           entries=log_entries(subject_id=UUID(subject), agency_id=UUID(agency), clock=clock,
                                               n=rng.choice((1, 7, 60, 333))))
        tick()
        if publisher.failure:
            failures.append(publisher.failure)
    tick()
    engine.dispose()
    return failures + ([publisher.failure] if publisher.failure else [])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_server_processes_witnessing_one_log_at_once_raise_no_false_alarm_and_leave_a_witness_that_verifies(
        database_url, engine, cast, tmp_path):
    witness = tmp_path / FILE_NAME
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Barrier(PROCESSES)
    with context.Pool(PROCESSES) as pool:
        results = [pool.apply_async(_serve_like_a_server_process,
                                    (database_url, str(witness), str(cast.ana.id), str(cast.tax.id), seed, start))
                   for seed in range(PROCESSES)]
        failures = [failure for result in results for failure in result.get(timeout=300)]

    assert failures == []
    seqs = [peek_seq(token) for token in witness.read_text().split()]
    assert seqs == sorted(set(seqs))  # sizes only grow, one line per head
    with engine.connect() as connection:
        assert seqs[-1] == service.log_size(connection=connection)  # the last stop witnessed everything
    verified = CliRunner().invoke(cli, ["audit", "verify"], env={
        "GOVCX_DATABASE_URL": database_url, "GOVCX_SECRET_KEY": TEST_SECRET, "GOVCX_DATA_DIR": str(tmp_path)})
    assert verified.exit_code == 0, verified.output


def test_two_processes_logging_the_very_first_entries_at_once_both_succeed_in_one_chain(engine, cast, clock,
                                                                                         database_url):
    first, second = make_session_factory(engine), make_session_factory(make_engine(database_url))
    outcome: list[BaseException | list[int]] = []

    def log_from_the_other_process() -> None:
        try:
            with unit_of_work(second) as session:
                outcome.append(service.append(session=session, signer=SIGNER, at=clock.now(), entries=log_entries(
                    subject_id=cast.ana.id, agency_id=cast.tax.id, clock=clock, n=2)))
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            outcome.append(exc)

    with unit_of_work(first) as session:  # the first append ever, not yet committed when the other one starts
        mine = service.append(session=session, signer=SIGNER, at=clock.now(),
                              entries=log_entries(subject_id=cast.ana.id, agency_id=cast.tax.id, clock=clock, n=3))
        other = threading.Thread(target=log_from_the_other_process)
        other.start()
        time.sleep(0.5)  # the other one is waiting on this transaction now
    other.join(timeout=60)

    assert mine == [1, 2, 3] and outcome == [[4, 5]]
    with engine.connect() as connection:
        report = service.verify(connection=connection, jwks=SIGNER.jwks())
    assert report.ok and report.entries == 5, report.problem
