"""Settings come from LIUKE_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from liuke.core.config import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LIUKE_* variable or .env file from the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith("LIUKE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    s = Settings()
    assert s.database_url == "sqlite:///./var/liuke.db"
    assert s.default_locale == "zh_CN"
    assert s.redis_url is None
    assert s.dispatch_in_process is True
    assert s.cookie_secure is False


def test_reads_liuke_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIUKE_DATABASE_URL", "postgresql+psycopg://u@db/liuke")
    monkeypatch.setenv("LIUKE_REDIS_URL", "redis://cache:6379/1")
    monkeypatch.setenv("LIUKE_SECRET_KEY", "a-long-enough-secret")
    monkeypatch.setenv("LIUKE_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("LIUKE_SESSION_TTL_HOURS", "3")
    monkeypatch.setenv("LIUKE_COOKIE_SECURE", "true")
    monkeypatch.setenv("LIUKE_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("LIUKE_MAX_PAGE_SIZE", "25")
    monkeypatch.setenv("LIUKE_DISPATCH_INTERVAL_S", "0.25")
    monkeypatch.setenv("LIUKE_DISPATCH_IN_PROCESS", "false")
    monkeypatch.setenv("LIUKE_STATIC_VENDOR_DIR", "/opt/vendor")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///not-ours.db")  # unprefixed: ignored
    s = Settings()
    assert s.database_url == "postgresql+psycopg://u@db/liuke"
    assert s.redis_url == "redis://cache:6379/1"
    assert s.secret_key == "a-long-enough-secret"
    assert s.default_locale == "en"
    assert s.session_ttl_hours == 3
    assert s.cookie_secure is True
    assert s.max_body_bytes == 4096
    assert s.max_page_size == 25
    assert s.dispatch_interval_s == 0.25
    assert s.dispatch_in_process is False
    assert s.static_vendor_dir == Path("/opt/vendor")


def test_env_var_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("liuke_default_locale", "en")
    assert Settings().default_locale == "en"


def test_dotenv_file_and_env_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LIUKE_DEFAULT_LOCALE=en\nLIUKE_MAX_PAGE_SIZE=7\n")
    s = Settings()
    assert (s.default_locale, s.max_page_size) == ("en", 7)
    monkeypatch.setenv("LIUKE_MAX_PAGE_SIZE", "9")
    assert Settings().max_page_size == 9  # the environment wins over .env


@pytest.mark.parametrize("locale", ["fr", "zh", "en_US", "ZH_CN", ""])
def test_invalid_locale_is_rejected(monkeypatch: pytest.MonkeyPatch, locale: str) -> None:
    monkeypatch.setenv("LIUKE_DEFAULT_LOCALE", locale)
    with pytest.raises(ValidationError, match="default_locale"):
        Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LIUKE_SECRET_KEY", "short"),
        ("LIUKE_MAX_BODY_BYTES", "100"),
        ("LIUKE_MAX_PAGE_SIZE", "0"),
        ("LIUKE_SESSION_TTL_HOURS", "0"),
        ("LIUKE_DISPATCH_INTERVAL_S", "0"),
        ("LIUKE_COOKIE_SECURE", "maybe"),
    ],
)
def test_invalid_values_are_rejected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_explicit_arguments_win() -> None:
    s = Settings(database_url="sqlite:///x.db", default_locale="en")
    assert (s.database_url, s.default_locale) == ("sqlite:///x.db", "en")
    with pytest.raises(ValidationError):
        Settings(default_locale="de")
