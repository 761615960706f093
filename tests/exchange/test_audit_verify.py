"""`govcx audit verify` over the real store: an untouched log passes; one tampered row is named."""

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from govcx.cli import app
from govcx.core.ids import new_id
from govcx.exchange import service
from tests.conftest import TEST_SECRET
from tests.factories.consent import SIGNER

runner = CliRunner()
ENTRIES = 2_500  # past two signed checkpoints


@pytest.fixture
def logged(uow, clock, cast):
    entries = [{
        "at_us": service.to_micros(clock.now()) + i, "subject_id": cast.ana.id, "requester_agency_id": cast.tax.id,
        "service_id": None, "purpose": "ServiceProvision", "attributes": "bank.interest_statement",
        "decision": "permit" if i % 3 else "deny", "reason": "consent" if i % 3 else "consent_paused",
        "consent_id": None, "legal_basis_id": None, "request_id": new_id(),
    } for i in range(ENTRIES)]
    with uow() as session:
        service.append(session=session, signer=SIGNER, entries=entries[:10], at=clock.now())
    with uow() as session:  # a second append continues the same chain
        service.append(session=session, signer=SIGNER, entries=entries[10:], at=clock.now())


def _verify(database_url, tmp_path):
    return runner.invoke(app, ["audit", "verify"], env={
        "GOVCX_DATABASE_URL": database_url, "GOVCX_SECRET_KEY": TEST_SECRET, "GOVCX_DATA_DIR": str(tmp_path)})


def test_an_untouched_log_verifies(logged, database_url, tmp_path):
    result = _verify(database_url, tmp_path)

    assert result.exit_code == 0, result.output
    assert '"entries":2500' in result.stdout and '"checkpoints":2' in result.stdout


@pytest.mark.parametrize(("tamper", "named"), [
    ("UPDATE access_log_entry SET attributes = 'tax.annual_income' WHERE seq = 1200", "entry 1200 was changed"),
    ("DELETE FROM access_log_entry WHERE seq = 1200", "entry 1200 is missing"),
    ("UPDATE access_log_entry SET seq = -1 WHERE seq = 1200; UPDATE access_log_entry SET seq = 1200 WHERE seq = 1201;"
     " UPDATE access_log_entry SET seq = 1201 WHERE seq = -1", "entry 1200 is out of order"),
    ("DELETE FROM access_log_entry WHERE seq = 2500", "entries were removed"),
])
def test_one_changed_removed_or_reordered_row_fails_verification_naming_it(
    logged, engine, database_url, tmp_path, tamper, named
):
    with engine.begin() as connection:
        for statement in tamper.split(";"):
            connection.execute(text(statement))

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1
    assert named in result.output


def test_a_rewritten_chain_with_fresh_hashes_is_caught_by_the_signed_checkpoint(logged, engine, database_url,
                                                                                tmp_path, uow):
    from sqlalchemy import select

    from govcx.exchange.models import AccessLogEntry

    # The forger recomputes every hash after the row they change; only the checkpoint signature stops them.
    with uow() as session:
        rows = session.scalars(select(AccessLogEntry).where(AccessLogEntry.seq >= 1500)
                               .order_by(AccessLogEntry.seq)).all()
        rows[0].attributes = "tax.annual_income"
        prev = rows[0].prev_hash
        for row in rows:
            row.prev_hash = prev
            row.hash = prev = service.chain(prev, service.entry_line(row.__dict__))

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1
    assert "entry 2000 disagrees with the signed checkpoint" in result.output
