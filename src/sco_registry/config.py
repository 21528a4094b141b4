"""Settings: the only reader of environment variables (prefix `SCO_REGISTRY_`).

Nothing is read at import time; call `load_settings()` where the process starts. A value
that cannot be used is refused there, as an `InvalidSetting` naming the variable, before
anything is opened (`config.invalid_database_url`, `config.invalid_setting`).
"""

from __future__ import annotations

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from sco_registry.domain.errors import RegistryError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./sco-registry.db"
ENV_PREFIX = "SCO_REGISTRY_"

# The drivers the store is written for (its statements are compiled for these two).
SUPPORTED_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class InvalidSetting(RegistryError):
    """A setting's value cannot be used; nothing was opened."""

    code = "config.invalid_setting"


class InvalidDatabaseUrl(InvalidSetting):
    code = "config.invalid_database_url"


def parse_database_url(text: str) -> URL:
    """The URL of a database the store can use, or `InvalidDatabaseUrl` saying why not."""
    expected = "expected sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST:PORT/DB"
    try:
        url = make_url(text)
        backend = url.get_backend_name()
        port = url.port  # parsed lazily: a malformed port only fails here
    except (ArgumentError, ValueError) as e:
        raise InvalidDatabaseUrl(f"{ENV_PREFIX}DATABASE_URL is malformed ({e}); {expected}") from e
    wanted = SUPPORTED_DRIVERS.get(backend)
    if wanted is None or url.drivername != wanted:
        hint = f"use {wanted}://" if wanted else expected
        raise InvalidDatabaseUrl(
            f"{ENV_PREFIX}DATABASE_URL names the driver {url.drivername!r}, "
            f"which the store does not support: {hint}"
        )
    if backend == "postgresql" and not url.database:
        raise InvalidDatabaseUrl(f"{ENV_PREFIX}DATABASE_URL names no database; {expected}")
    if port is not None and not 0 < port < 65536:
        raise InvalidDatabaseUrl(f"{ENV_PREFIX}DATABASE_URL has the port {port}; {expected}")
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy async URL: `sqlite+aiosqlite:///path.db` or `postgresql+asyncpg://...`."""

    sqlite_busy_timeout_ms: int = 30_000
    """How long an SQLite writer waits for the write lock before giving up."""

    echo_sql: bool = False

    api_host: str = "127.0.0.1"
    """Where `sco-registry serve` (and `run`) listen."""

    api_port: int = 8000

    api_min_position_timeout_s: float = 5.0
    """How long a query's `minPosition` waits for the read models before
    `read.min_position_timeout`."""

    @field_validator("database_url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        parse_database_url(value)
        return value

    @field_validator("sqlite_busy_timeout_ms")
    @classmethod
    def _non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("api_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 <= value < 65536:
            raise ValueError("must be a TCP port, 0 to 65535 (0: any free port)")
        return value

    @field_validator("api_min_position_timeout_s")
    @classmethod
    def _timeout(cls, value: float) -> float:
        if not 0 <= value <= 60:
            raise ValueError("must be from 0 to 60 seconds")
        return value


def load_settings() -> Settings:
    """The settings from the environment; `InvalidSetting` (one message) when one is unusable."""
    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        name = f"{ENV_PREFIX}{'.'.join(str(part) for part in first['loc']).upper()}"
        raise InvalidSetting(f"{name}: {first['msg']}", details={"setting": name}) from None
