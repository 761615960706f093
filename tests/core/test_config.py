import secrets

import pytest
from pydantic import ValidationError

from govcx.core.config import Environment, Settings

STRONG = "kX3v9Qm2pLr7Tz8Wc1Nb5Hd4Jf6Gs0Ya-Ue_Io2Pq8Rt5Vw3Xz7"


def test_production_refuses_to_start_without_a_real_secret(tmp_path):
    with pytest.raises(ValidationError, match="GOVCX_SECRET_KEY"):
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path, database_url="postgresql://db/govcx")


def test_production_refuses_a_short_secret(tmp_path):
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path, database_url="postgresql://db/govcx",
                 secret_key="short")


@pytest.mark.parametrize("guessable", [
    "p" * 32, "p" * 48, "ab" * 20, "abc" * 16, "0123456789" * 4, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" * 2,
    "passwordpasswordpasswordpassword", "0123456789abcdef0123456789abcdef", "abcdefghijklmnopqrstuvwxyzABCDEF",
])
def test_production_refuses_a_long_secret_with_little_entropy_and_names_the_setting(tmp_path, guessable):
    with pytest.raises(ValidationError, match="GOVCX_SECRET_KEY is too easy to guess") as refused:
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path, database_url="postgresql://db/govcx",
                 secret_key=guessable)

    assert guessable not in str(refused.value)  # the error never repeats the secret
    assert "secrets.token_urlsafe" in str(refused.value)


@pytest.mark.parametrize("made_by", ["token_urlsafe(48)", "token_hex(32)", "token_urlsafe(32)"])
def test_production_accepts_a_random_secret(tmp_path, made_by):
    secret = eval(f"secrets.{made_by}", {"secrets": secrets})  # noqa: S307 - a fixed list of recipes

    settings = Settings(env=Environment.PRODUCTION, data_dir=tmp_path, database_url="postgresql://db/govcx",
                        secret_key=secret)

    assert settings.secret == secret.encode()


def test_production_needs_an_explicit_database(tmp_path):
    with pytest.raises(ValidationError, match="GOVCX_DATABASE_URL"):
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path, secret_key=STRONG)


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
