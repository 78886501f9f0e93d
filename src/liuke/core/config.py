"""Settings from ``LIUKE_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One immutable settings object per process; tests build their own instead of patching env."""

    model_config = SettingsConfigDict(env_prefix="LIUKE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/liuke.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    redis_url: str | None = Field(default=None, description="redis://host:6379/0 for multi-worker")
    secret_key: str = Field(default="dev-insecure-change-me", min_length=8)
    default_locale: str = Field(default="zh_CN", pattern=r"^(zh_CN|en)$")
    session_ttl_hours: int = Field(default=12, ge=1)
    cookie_secure: bool = Field(default=False, description="set true behind HTTPS")
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_page_size: int = Field(default=200, ge=1)
    dispatch_interval_s: float = Field(default=1.0, gt=0)
    dispatch_in_process: bool = Field(default=True)
    reports_in_process: bool = Field(
        default=True, description="liuke serve runs due scheduled reports itself (else: cron)"
    )
    reports_check_s: float = Field(
        default=60.0, gt=0, description="how often to look for due reports"
    )
    static_vendor_dir: Path = Field(default=Path("node_modules"))
    chromium_path: Path = Field(
        default=Path("/usr/bin/chromium"),
        description="headless Chromium for PDF reports (Debian package chromium)",
    )
    model_dir: Path = Field(default=Path("var/models"), description="trained model files")
    analytics_snapshot_dir: Path | None = Field(
        default=None, description="Parquet snapshot folder the duckdb analytics engine reads"
    )
    analytics_cache_s: float = Field(
        default=60.0, ge=0, description="seconds dashboards reuse computed figures (0: never)"
    )
    analytics_warm: bool = Field(
        default=False, description="compute every workspace's overview at start-up (demo)"
    )
    spark_master: str = Field(default="local[2]", description="Spark master URL for analytics")
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="where customers reach this server (links in survey e-mails); a workspace "
        "may set its own in settings.surveys.public_url",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for outbound mail (reports); unset: mail disabled"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="25, 587 (starttls), 465 (ssl)")
    smtp_username: str | None = Field(default=None, description="log in when set")
    smtp_password: SecretStr | None = Field(default=None, description="kept out of logs and reprs")
    smtp_from: str = Field(
        default="liuke@localhost", description="sender: addr@host or 'Display name <addr@host>'"
    )
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none", description="none: plain SMTP; starttls: upgrade after EHLO; ssl: TLS port"
    )
    smtp_timeout_s: float = Field(
        default=10.0, gt=0, description="seconds any one SMTP network step may take"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
