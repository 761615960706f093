"""`govcx demo` and the admin verbs a demo user reaches for next, run as a person would."""

from __future__ import annotations

import json

from starlette.testclient import TestClient
from typer.testing import CliRunner

from govcx.app import create_app
from govcx.cli import app
from govcx.core import accounts
from govcx.core.config import Environment, Settings
from govcx.demo.generator import CREDENTIALS_FILE, TRUTH_FILE
from govcx.registry import schemas, service
from tests.conftest import TEST_SECRET

runner = CliRunner()


def _demo(tmp_path, *options: str):  # noqa: ANN001, ANN202
    # GOVCX_DATABASE_URL unset on purpose: the demo's own store is the embedded one in the data dir.
    return runner.invoke(app, ["demo", "--people", "200", "--no-serve", "--data-dir", str(tmp_path), *options],
                         env={"GOVCX_DATABASE_URL": None, "GOVCX_DATA_DIR": None, "GOVCX_ENV": None})


def _kept(tmp_path) -> tuple[str, tuple[int, int]]:  # noqa: ANN001
    """The passwords file's text and the store's identity (inode, last change), to tell a kept country."""
    database = (tmp_path / "govcx.db").stat()
    return (tmp_path / CREDENTIALS_FILE).read_text(), (database.st_ino, database.st_mtime_ns)


def test_govcx_demo_generates_a_country_and_says_where_and_how_to_sign_in(tmp_path):
    result = _demo(tmp_path)

    assert result.exit_code == 0, result.output
    assert (tmp_path / "govcx.db").exists() and (tmp_path / TRUTH_FILE).exists()
    credentials = json.loads((tmp_path / CREDENTIALS_FILE).read_text())
    assert "200 people in" in result.stdout and "public Open311 reports" in result.stdout
    assert "http://127.0.0.1:8000/sign-in" in result.stdout
    assert "http://127.0.0.1:8000/citizen/sign-in" in result.stdout
    assert credentials["staff"][0]["email"] in result.stdout
    assert credentials["citizen"]["national_id"] in result.stdout
    assert not list(tmp_path.glob("*.duckdb*"))  # no analytics store is claimed until one exists


def test_govcx_demo_again_keeps_the_country_and_its_passwords(tmp_path):
    first = _demo(tmp_path)
    before = _kept(tmp_path)

    again = _demo(tmp_path)

    assert first.exit_code == 0 and again.exit_code == 0, again.output
    assert "Keeping the demo country" in again.stdout
    assert _kept(tmp_path) == before
    credentials = json.loads(before[0])
    assert credentials["staff"][0]["password"] in again.stdout  # the same sign-ins, printed again


def test_govcx_demo_starts_over_when_the_seed_or_size_changes(tmp_path):
    _demo(tmp_path)
    before = _kept(tmp_path)

    reseeded = _demo(tmp_path, "--seed", "8")

    assert reseeded.exit_code == 0, reseeded.output
    assert "Starting over (seed 7 -> 8)" in reseeded.stdout
    assert json.loads((tmp_path / TRUTH_FILE).read_text())["seed"] == 8
    assert _kept(tmp_path)[0] != before[0]  # new passwords
    resized = runner.invoke(app, ["demo", "--people", "150", "--seed", "8", "--no-serve", "--data-dir",
                                  str(tmp_path)], env={"GOVCX_DATABASE_URL": None, "GOVCX_DATA_DIR": None,
                                                       "GOVCX_ENV": None})
    assert resized.exit_code == 0, resized.output
    assert "Starting over (people 200 -> 150)" in resized.stdout
    assert json.loads((tmp_path / TRUTH_FILE).read_text())["sizes"]["people"] == 150


def test_govcx_demo_fresh_starts_over_with_the_same_seed(tmp_path):
    _demo(tmp_path)
    before = _kept(tmp_path)

    fresh = _demo(tmp_path, "--fresh")

    assert fresh.exit_code == 0, fresh.output
    assert "Starting over (--fresh)" in fresh.stdout
    assert _kept(tmp_path)[0] != before[0]
    assert json.loads((tmp_path / TRUTH_FILE).read_text())["sizes"]["people"] == 200


def test_a_key_made_for_a_demo_agency_works_against_the_data_dir_the_environment_names(tmp_path):
    _demo(tmp_path)

    made = runner.invoke(app, ["admin", "create-agency-key", "--agency", "TAX", "--scope", "registry:read"],
                         env={"GOVCX_DATA_DIR": str(tmp_path), "GOVCX_DATABASE_URL": None})

    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    settings = Settings(env=Environment.TEST, data_dir=tmp_path, log_level="WARNING")
    with TestClient(create_app(settings)) as client:
        family = json.loads((tmp_path / CREDENTIALS_FILE).read_text())["citizen"]["name"].split()[-1]
        found = client.get("/api/v1/persons", params={"q": family}, headers={"X-API-Key": key})
        refused = client.post("/api/v1/persons", json={}, headers={"X-API-Key": key})
    assert found.status_code == 200 and found.json()["items"]
    assert refused.status_code == 403  # the key has only the scope asked for


def test_create_agency_key_prints_a_working_key_alone_on_its_last_line(database_url, tmp_path, uow, clock, client):
    with uow() as session:
        service.create_agency(session=session, data=schemas.AgencyCreate(code="TAX", name="Tax"), clock=clock)

    made = runner.invoke(app, ["admin", "create-agency-key", "--agency", "TAX", "--scope", "registry:read"],
                         env={"GOVCX_DATABASE_URL": database_url, "GOVCX_DATA_DIR": str(tmp_path)})

    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith(f"{accounts.KEY_PREFIX}_") and " " not in key
    assert client.get("/api/v1/agencies", headers={"X-API-Key": key}).status_code == 200


def test_create_staff_takes_the_password_as_an_option(database_url, tmp_path, uow, clock):
    with uow() as session:
        service.create_agency(session=session, data=schemas.AgencyCreate(code="SOC", name="Social"), clock=clock)

    made = runner.invoke(app, ["admin", "create-staff", "--email", "Casey@Soc.Example", "--name", "Casey Case",
                               "--role", "cx_analyst", "--agency", "SOC", "--password", "a long enough password"],
                         env={"GOVCX_DATABASE_URL": database_url, "GOVCX_DATA_DIR": str(tmp_path)})

    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout.strip().splitlines()[-1])["role"] == "cx_analyst"
    with uow() as session:
        account = accounts.authenticate_staff(session=session, email="casey@soc.example",
                                              password="a long enough password", clock=clock)
        assert account is not None and account.name == "Casey Case"


def test_the_demo_refuses_a_data_dir_whose_store_it_did_not_make(tmp_path):
    made = runner.invoke(app, ["admin", "create-agency", "--code", "REAL", "--name", "Real"],
                         env={"GOVCX_DATA_DIR": str(tmp_path), "GOVCX_DATABASE_URL": None,
                              "GOVCX_SECRET_KEY": TEST_SECRET})
    assert made.exit_code == 0, made.output

    result = _demo(tmp_path)

    assert result.exit_code == 2
    assert "did not make" in result.output
    assert not (tmp_path / TRUTH_FILE).exists()
