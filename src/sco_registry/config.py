"""Settings: the only reader of environment variables (prefix `SCO_REGISTRY_`).

Nothing is read at import time; call `load_settings()` where the process starts.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./sco-registry.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCO_REGISTRY_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy async URL: `sqlite+aiosqlite:///path.db` or `postgresql+asyncpg://...`."""

    sqlite_busy_timeout_ms: int = 30_000
    """How long an SQLite writer waits for the write lock before giving up."""

    echo_sql: bool = False


def load_settings() -> Settings:
    return Settings()
