"""The `govcx` command, run as a person would, against the store GOVCX_* points at."""

from sqlalchemy import inspect
from typer.testing import CliRunner

from govcx.cli import app
from govcx.core.db import make_engine

runner = CliRunner()


def _env(tmp_path):
    return {"GOVCX_DATA_DIR": str(tmp_path), "GOVCX_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_db_upgrade_migrates_the_store_the_environment_names(tmp_path):
    result = runner.invoke(app, ["db", "upgrade"], env=_env(tmp_path))

    assert result.exit_code == 0, result.output
    assert "person" in inspect(make_engine(f"sqlite:///{tmp_path / 'cli.db'}")).get_table_names()


def test_create_agency_prints_its_id_and_refuses_a_bad_code(tmp_path):
    created = runner.invoke(app, ["admin", "create-agency", "--code", "tax", "--name", "Tax Agency"],
                            env=_env(tmp_path))
    duplicate = runner.invoke(app, ["admin", "create-agency", "--code", "TAX", "--name", "Again"],
                              env=_env(tmp_path))
    bad = runner.invoke(app, ["admin", "create-agency", "--code", "no spaces!", "--name", "X"], env=_env(tmp_path))

    assert created.exit_code == 0 and len(created.stdout.strip()) == 36
    assert duplicate.exit_code == 2 and "TAX is taken" in duplicate.output
    assert bad.exit_code == 2 and "error" in bad.output


def test_a_key_for_an_unknown_agency_or_scope_is_refused_with_a_message(tmp_path):
    runner.invoke(app, ["admin", "create-agency", "--code", "TAX", "--name", "Tax"], env=_env(tmp_path))

    unknown_agency = runner.invoke(app, ["admin", "create-agency-key", "--agency", "NOPE", "--scope",
                                         "registry:read"], env=_env(tmp_path))
    unknown_scope = runner.invoke(app, ["admin", "create-agency-key", "--agency", "TAX", "--scope", "root"],
                                  env=_env(tmp_path))
    a_law_for_itself = runner.invoke(app, ["admin", "create-agency-key", "--agency", "TAX", "--scope",
                                           "legal-basis:admin"], env=_env(tmp_path))

    assert unknown_agency.exit_code == 2 and "No agency with code NOPE" in unknown_agency.output
    assert unknown_scope.exit_code == 2 and "Unknown scope" in unknown_scope.output
    assert a_law_for_itself.exit_code == 2 and "cannot hold: legal-basis:admin" in a_law_for_itself.output


def test_production_settings_without_a_secret_are_refused_before_anything_runs(tmp_path):
    result = runner.invoke(app, ["db", "upgrade"], env=_env(tmp_path) | {"GOVCX_ENV": "production"})

    assert result.exit_code == 2
    assert "GOVCX_SECRET_KEY" in result.output
    assert not (tmp_path / "cli.db").exists()


def test_an_export_for_a_quarter_outside_the_calendar_fails_with_a_message(tmp_path):
    runner.invoke(app, ["db", "upgrade"], env=_env(tmp_path))

    result = runner.invoke(app, ["feedback", "export-a11", "--quarter", "FY0000Q1", "--out", str(tmp_path)],
                           env=_env(tmp_path))

    assert result.exit_code == 2
    assert "fiscal year between" in result.output
    assert "Traceback" not in result.output
