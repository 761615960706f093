import pytest
from pydantic import ValidationError

from govcx.core.config import Environment, Settings


def test_production_refuses_to_start_without_a_real_secret(tmp_path):
    with pytest.raises(ValidationError, match="GOVCX_SECRET_KEY"):
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path, database_url="postgresql://db/govcx")


def test_production_refuses_a_short_secret(tmp_path):
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path, database_url="postgresql://db/govcx",
                 secret_key="short")


def test_production_needs_an_explicit_database(tmp_path):
    with pytest.raises(ValidationError, match="GOVCX_DATABASE_URL"):
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path, secret_key="x" * 40)


def test_outside_production_a_random_secret_is_kept_private_in_the_data_dir(tmp_path):
    first = Settings(data_dir=tmp_path).secret
    again = Settings(data_dir=tmp_path).secret
    elsewhere = Settings(data_dir=tmp_path / "other").secret

    assert first == again
    assert first != elsewhere
    assert len(first) >= 48
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_the_embedded_default_lives_in_the_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path)

    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'govcx.db'}"
    assert settings.resolved_warehouse_url.endswith("warehouse.duckdb")
    assert settings.should_auto_upgrade


def test_settings_come_from_govcx_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVCX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GOVCX_SUPPRESSION_THRESHOLD", "25")

    settings = Settings()

    assert settings.data_dir == tmp_path
    assert settings.suppression_threshold == 25
