"""The access log's witness in a running govcx: heads reach it only after their commit, the server keeps
it current, a witness that cannot be written is loud, every kind of witness verifies, and PostgreSQL
refuses to let the application change or remove log rows."""

import logging
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient
from typer.testing import CliRunner

from govcx.app import create_app
from govcx.cli import app as cli
from govcx.core.db import make_session_factory, unit_of_work
from govcx.exchange import service
from govcx.exchange.witness import FILE_NAME, FileWitness, Publisher, bind, peek_seq, witness_round
from tests.conftest import TEST_SECRET
from tests.factories.consent import SIGNER
from tests.factories.exchange import as_insider, log_entries, rehash

runner = CliRunner()


def _append(factory, cast, clock, n):
    with unit_of_work(factory) as session:
        service.append(session=session, signer=SIGNER, at=clock.now(),
                       entries=log_entries(subject_id=cast.ana.id, agency_id=cast.tax.id, clock=clock, n=n))


def _said(result):
    return " ".join(result.output.split())  # the console's line wrapping undone


def _cli(args, database_url, tmp_path, **env):
    return runner.invoke(cli, args, env={"GOVCX_DATABASE_URL": database_url, "GOVCX_SECRET_KEY": TEST_SECRET,
                                         "GOVCX_DATA_DIR": str(tmp_path), **env})


def test_a_head_made_in_a_transaction_that_rolls_back_never_reaches_the_witness(engine, cast, clock, tmp_path):
    witness = tmp_path / FILE_NAME
    factory = make_session_factory(engine)
    bind(factory, Publisher(FileWitness(witness)))

    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        service.append(session=session, signer=SIGNER, at=clock.now(),
                       entries=log_entries(subject_id=cast.ana.id, agency_id=cast.tax.id, clock=clock, n=1000))
        raise RuntimeError("the request failed after logging")
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:  # a savepoint rolled back, the rest kept
        with session.begin_nested():
            service.append(session=session, signer=SIGNER, at=clock.now(),
                           entries=log_entries(subject_id=cast.ana.id, agency_id=cast.tax.id, clock=clock, n=1000))
            raise RuntimeError("undone")
    assert not witness.exists()

    _append(factory, cast, clock, 1000)
    assert [peek_seq(t) for t in witness.read_text().split()] == [1000]


def test_the_server_witnesses_new_entries_every_few_seconds_and_as_it_stops(settings, clock, engine, cast,
                                                                           database_url):
    settings.audit_witness_interval_s = 0.1
    witness = settings.resolved_audit_witness_path
    factory = make_session_factory(engine)
    with TestClient(create_app(settings, clock=clock)):
        _append(factory, cast, clock, 7)
        deadline = time.monotonic() + 20
        while not (witness.exists() and witness.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [peek_seq(t) for t in witness.read_text().split()] == [7]
        _append(factory, cast, clock, 5)
    # The last entries are witnessed as the server stops, at the latest.
    assert [peek_seq(t) for t in witness.read_text().split()] == [7, 12]
    verified = _cli(["audit", "verify"], database_url, settings.data_dir)
    assert verified.exit_code == 0, verified.output
    assert '"witnessed_entries":12' in verified.stdout


def test_a_witness_that_cannot_be_written_fails_readiness_and_is_counted_and_logged(settings, clock, engine, cast,
                                                                                  caplog):
    blocker = settings.data_dir / "not-a-directory"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("")
    settings.audit_witness_path = blocker / FILE_NAME
    _append(make_session_factory(engine), cast, clock, 3)

    with caplog.at_level(logging.ERROR, logger="govcx"), TestClient(create_app(settings, clock=clock)) as client:
        deadline = time.monotonic() + 20
        while client.get("/readyz").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        ready = client.get("/readyz")
        metrics = client.get("/metrics").text

    assert ready.status_code == 503
    assert "access log's witness" in ready.json()["detail"] and "cannot be written" in ready.json()["detail"]
    assert "govcx_audit_witness_ok 0.0" in metrics
    assert "govcx_audit_witness_failures_total 0.0" not in metrics
    assert any(r.getMessage() == "audit witness write failed" for r in caplog.records)


def test_the_loop_refuses_to_sign_a_head_over_a_chain_rewritten_below_the_last_one(engine, cast, clock, tmp_path):
    factory = make_session_factory(engine)
    publisher = Publisher(FileWitness(tmp_path / FILE_NAME))
    bind(factory, publisher)
    tick = witness_round(factory=factory, signer=SIGNER, clock=clock, publisher=publisher)
    _append(factory, cast, clock, 20)
    assert tick().seq == 20

    rehash(engine, change_at=15)
    _append(factory, cast, clock, 5)

    assert tick() is None
    assert "entry 20 no longer matches the head signed there" in publisher.failure
    assert [peek_seq(t) for t in (tmp_path / FILE_NAME).read_text().split()] == [20]


def test_a_directory_witness_gets_one_file_per_head_and_verifies(engine, cast, clock, database_url, tmp_path):
    drop = tmp_path / "witness-drop"
    drop.mkdir()
    factory = make_session_factory(engine)
    _append(factory, cast, clock, 25)

    written = _cli(["audit", "checkpoint"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_PATH=str(drop))
    verified = _cli(["audit", "verify"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_PATH=str(drop))

    assert written.exit_code == 0, written.output
    assert sorted(os.listdir(drop)) == [f"{25:020d}.jws"]
    assert verified.exit_code == 0, verified.output
    os.rename(drop / f"{25:020d}.jws", drop / f"{24:020d}.jws")  # a head moved to claim less
    moved = _cli(["audit", "verify"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_PATH=str(drop))
    assert moved.exit_code == 1 and "the witness's head 1" in _said(moved) and "damaged" in _said(moved)


class _WitnessService(BaseHTTPRequestHandler):
    heads: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        token = self.rfile.read(int(self.headers["Content-Length"])).decode()
        newest = peek_seq(self.heads[-1]) if self.heads else 0
        if (peek_seq(token) or 0) <= newest:
            self.send_response(409)
        else:
            self.heads.append(token)
            self.send_response(201)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        body = "".join(f"{h}\n" for h in self.heads).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_witness():
    _WitnessService.heads = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WitnessService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/heads", _WitnessService.heads
    server.shutdown()
    server.server_close()


def test_an_http_witness_takes_each_head_and_catches_a_cut_log(engine, cast, clock, database_url, tmp_path,
                                                              http_witness):
    url, heads = http_witness
    factory = make_session_factory(engine)
    _append(factory, cast, clock, 30)

    written = _cli(["audit", "checkpoint"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_URL=url)
    again = _cli(["audit", "checkpoint"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_URL=url)
    verified = _cli(["audit", "verify"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_URL=url)

    assert written.exit_code == 0 and again.exit_code == 0, written.output + again.output
    assert [peek_seq(h) for h in heads] == [30]
    assert verified.exit_code == 0, verified.output
    as_insider(engine, "DELETE FROM access_log_entry WHERE seq > 20", "DELETE FROM access_log_checkpoint",
               "UPDATE access_log_head SET seq = 20, hash = (SELECT hash FROM access_log_entry WHERE seq = 20)")
    cut = _cli(["audit", "verify"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_URL=url)
    assert cut.exit_code == 1 and "entry 21 is missing: the witness vouches for 30 entries" in _said(cut)


def test_an_unreachable_http_witness_makes_audit_checkpoint_fail_loudly(engine, cast, clock, database_url, tmp_path):
    _append(make_session_factory(engine), cast, clock, 3)

    result = _cli(["audit", "checkpoint"], database_url, tmp_path, GOVCX_AUDIT_WITNESS_URL="http://127.0.0.1:9/heads",
                  GOVCX_AUDIT_WITNESS_TIMEOUT_S="2")

    assert result.exit_code == 1
    assert "witness not written" in _said(result) and "cannot reach http://127.0.0.1:9/heads" in _said(result)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("statement", [
    "UPDATE access_log_entry SET attributes = 'tax.annual_income' WHERE seq = 2",
    "DELETE FROM access_log_entry WHERE seq = 3",
    "TRUNCATE access_log_entry CASCADE",
    "UPDATE access_log_checkpoint SET hash = repeat('0', 64)",
    "DELETE FROM access_log_checkpoint",
    "TRUNCATE access_log_checkpoint",
    "DELETE FROM access_log_head",
    "UPDATE access_log_head SET seq = seq - 1",
    "UPDATE access_log_head SET hash = repeat('0', 64)",
])
def test_postgresql_refuses_the_application_any_change_to_log_rows_but_appending(engine, cast, clock, tmp_path,
                                                                                 statement):
    factory = make_session_factory(engine)
    bind(factory, Publisher(FileWitness(tmp_path / FILE_NAME)))
    _append(factory, cast, clock, 1000)

    with pytest.raises(DBAPIError, match="access log"), engine.begin() as connection:
        connection.execute(text(statement))

    _append(factory, cast, clock, 5)  # appending goes on
    with engine.connect() as connection:
        report = service.verify(connection=connection, jwks=SIGNER.jwks(), witness=FileWitness(tmp_path / FILE_NAME))
    assert report.ok and report.entries == 1005, report.problem


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_application_role_cannot_switch_the_append_only_triggers_off(engine, cast, clock):
    _append(make_session_factory(engine), cast, clock, 3)
    role = f"govcx_app_test_{os.getpid()}"
    with engine.begin() as connection:
        connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        connection.execute(text(f"GRANT USAGE ON SCHEMA {connection.execute(text('SELECT current_schema()')).scalar()}"
                                f" TO {role}"))
        # Even a role that a careless administrator granted everything on the tables.
        connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON access_log_entry TO {role}"))
    try:
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as connection:
            connection.execute(text(f"SET LOCAL ROLE {role}"))
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(f"SET LOCAL ROLE {role}"))
            connection.execute(text("DELETE FROM access_log_entry"))
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
