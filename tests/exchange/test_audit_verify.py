"""`govcx audit verify` over the real store and its witness: an untouched log passes; every way an
insider without the signing key could shorten, rewrite or erase the log, or roll its witness back,
fails naming the first entry or head that differs.

The insider here can do anything to the database (on PostgreSQL, as a superuser who switches the
append-only triggers off), and in the witness tests anything to the witness file, but never sign.
"""

import shutil

import pytest
from typer.testing import CliRunner

from govcx.cli import app
from govcx.core.db import make_session_factory, unit_of_work
from govcx.core.signing import Signer
from govcx.exchange import service
from govcx.exchange.witness import FILE_NAME, FileWitness, Publisher, bind, sign_head
from tests.conftest import TEST_SECRET
from tests.factories.consent import SIGNER
from tests.factories.exchange import as_insider, log_entries, rehash

runner = CliRunner()
ENTRIES = 2_500  # past two signed checkpoints; `govcx audit checkpoint` adds a third head at 2,500


def _env(database_url, tmp_path):
    return {"GOVCX_DATABASE_URL": database_url, "GOVCX_SECRET_KEY": TEST_SECRET, "GOVCX_DATA_DIR": str(tmp_path)}


@pytest.fixture
def witness_file(tmp_path):
    return tmp_path / FILE_NAME


@pytest.fixture
def logged(engine, clock, cast, database_url, tmp_path, witness_file):
    """2,500 entries appended the way the app does: each signed head reaches the witness after its commit."""
    factory = make_session_factory(engine)
    bind(factory, Publisher(FileWitness(witness_file)))
    entries = log_entries(subject_id=cast.ana.id, agency_id=cast.tax.id, clock=clock, n=ENTRIES)
    with unit_of_work(factory) as session:
        service.append(session=session, signer=SIGNER, entries=entries[:10], at=clock.now())
    with unit_of_work(factory) as session:  # a second append continues the same chain
        service.append(session=session, signer=SIGNER, entries=entries[10:], at=clock.now())
    written = runner.invoke(app, ["audit", "checkpoint"], env=_env(database_url, tmp_path))
    assert written.exit_code == 0, written.output
    assert len(witness_file.read_text().splitlines()) == 3  # heads at 1,000, 2,000 and 2,500


def _said(result):
    """What the command printed, with the console's line wrapping undone."""
    return " ".join(result.output.split())


def _verify(database_url, tmp_path):
    return runner.invoke(app, ["audit", "verify"], env=_env(database_url, tmp_path))


def test_an_untouched_log_with_its_witness_verifies(logged, database_url, tmp_path):
    result = _verify(database_url, tmp_path)

    assert result.exit_code == 0, result.output
    assert '"entries":2500' in result.stdout and '"checkpoints":3' in result.stdout
    assert '"witness_heads":3' in result.stdout and '"witnessed_entries":2500' in result.stdout
    assert "access log intact" in result.output


@pytest.mark.parametrize(("tamper", "named"), [
    (["UPDATE access_log_entry SET attributes = 'tax.annual_income' WHERE seq = 1200"], "entry 1200 was changed"),
    (["DELETE FROM access_log_entry WHERE seq = 1200"], "entry 1200 is missing"),
    (["UPDATE access_log_entry SET seq = -1 WHERE seq = 1200", "UPDATE access_log_entry SET seq = 1200 WHERE seq = 1201",
      "UPDATE access_log_entry SET seq = 1201 WHERE seq = -1"], "entry 1200 is out of order"),
    (["DELETE FROM access_log_entry WHERE seq = 2500"], "entry 2500 is missing: the witness vouches for 2,500"),
    # Drop the newest entries and their checkpoints, and move the head back: the store alone looks whole.
    (["DELETE FROM access_log_entry WHERE seq > 2200", "DELETE FROM access_log_checkpoint WHERE seq > 2200",
      "UPDATE access_log_head SET seq = 2200, hash = (SELECT hash FROM access_log_entry WHERE seq = 2200)"],
     "entry 2201 is missing: the witness vouches for 2,500 entries"),
    # Erase everything: entries, checkpoints and head.
    (["DELETE FROM access_log_entry", "DELETE FROM access_log_checkpoint", "DELETE FROM access_log_head"],
     "entry 1 is missing: the witness vouches for 2,500 entries"),
])
def test_every_way_to_change_remove_reorder_or_cut_the_log_in_the_store_fails_naming_where(
    logged, engine, database_url, tmp_path, tamper, named
):
    as_insider(engine, *tamper)

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1, result.output
    assert named in _said(result)


def test_a_chain_rewritten_with_fresh_hashes_is_caught_by_the_signed_checkpoint(logged, engine, database_url,
                                                                                tmp_path):
    rehash(engine, change_at=1500)

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1
    assert "entry 2000 disagrees with the signed checkpoint" in result.output


@pytest.mark.parametrize(("change_at", "named"), [
    (5, "entry 1000 disagrees with the head the witness holds for it"),
    (1500, "entry 2000 disagrees with the head the witness holds for it"),
    (2400, "entry 2500 disagrees with the head the witness holds for it"),
])
def test_a_chain_rehashed_after_deleting_the_checkpoints_is_caught_by_the_witness(
    logged, engine, database_url, tmp_path, change_at, named
):
    as_insider(engine, "DELETE FROM access_log_checkpoint")
    rehash(engine, change_at=change_at)

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1, result.output
    output = _said(result)
    assert named in output
    lower = (change_at - 1) // 1000 * 1000 + 1
    assert f"one of entries {lower}-" in output  # the range between the last head that agrees and this one


def _lines(path):
    return path.read_text().splitlines(keepends=True)


def _forged_head(seq, digest):
    return sign_head(Signer.from_secret(b"not-the-key-" * 4), seq=seq, digest=digest, at=service._EPOCH).signature


@pytest.mark.parametrize(("rewrite", "named"), [
    (lambda lines: lines[:1], "the witness ends at entry 1,000, but the store holds a head signed for entry 2,500"),
    (lambda lines: lines[:2], "the witness ends at entry 2,000, but the store holds a head signed for entry 2,500"),
    (lambda lines: [*lines[:2], lines[2][:-40]], "the witness's head 3"),
    (lambda lines: [], "holds no head, yet the store holds 2,500 entries"),
    (lambda lines: [lines[1], lines[0], lines[2]], "the witness's head 2 (entry 1,000) does not come after head 1"),
    (lambda lines: [*lines, _forged_head(2600, "f" * 64) + "\n"], "the witness's head 4"),
    (lambda lines: [_forged_head(1000, "e" * 64) + "\n", *lines[1:]], "the witness's head 1"),
])
def test_a_witness_rolled_back_cut_reordered_or_forged_fails_naming_the_head(
    logged, database_url, tmp_path, witness_file, rewrite, named
):
    witness_file.write_text("".join(rewrite(_lines(witness_file))))

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1, result.output
    output = _said(result)
    assert named in output
    if "head 4" in named or "head 1 " in named:
        assert "not signed with this log's key" in output
    if "head 3" in named:
        assert "damaged" in output


def test_a_witness_replaced_by_an_older_copy_fails(logged, engine, clock, cast, database_url, tmp_path, witness_file):
    older = tmp_path / "older-copy"
    shutil.copy(witness_file, older)
    factory = make_session_factory(engine)
    bind(factory, Publisher(FileWitness(witness_file)))
    with unit_of_work(factory) as session:
        service.append(session=session, signer=SIGNER, entries=log_entries(subject_id=cast.ana.id, agency_id=cast.tax.id,
                                                                         clock=clock, n=600), at=clock.now())
    assert runner.invoke(app, ["audit", "checkpoint"], env=_env(database_url, tmp_path)).exit_code == 0
    shutil.copy(older, witness_file)

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1
    assert "the witness ends at entry 2,500, but the store holds a head signed for entry 3,100" in \
        _said(result)


def test_a_missing_witness_fails_when_the_store_holds_entries(logged, database_url, tmp_path, witness_file):
    witness_file.unlink()

    result = _verify(database_url, tmp_path)

    assert result.exit_code == 1
    assert "there is no witness file at" in result.output and "yet the store holds 2,500 entries" in \
        _said(result)


def test_an_empty_store_without_a_witness_verifies(engine, database_url, tmp_path):
    result = _verify(database_url, tmp_path)

    assert result.exit_code == 0, result.output
    assert '"entries":0' in result.stdout


def test_audit_checkpoint_refuses_to_sign_over_a_log_cut_below_the_witness(logged, engine, database_url, tmp_path,
                                                                          witness_file):
    before = witness_file.read_text()
    as_insider(engine, "DELETE FROM access_log_entry WHERE seq > 2200", "DELETE FROM access_log_checkpoint",
               "UPDATE access_log_head SET seq = 2200, hash = (SELECT hash FROM access_log_entry WHERE seq = 2200)")

    result = runner.invoke(app, ["audit", "checkpoint"], env=_env(database_url, tmp_path))

    assert result.exit_code == 1
    assert "the access log ends at entry 2,200, but a head was signed for 2,500" in _said(result)
    assert witness_file.read_text() == before  # nothing signed over the cut log
