"""Settings: the only reader of environment variables (prefix `SCO_REGISTRY_`).

Nothing is read at import time; call `load_settings()` where the process starts. A value
that cannot be used is refused there, as an `InvalidSetting` naming the variable, before
anything is opened (`config.invalid_database_url`, `config.invalid_setting`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from sco_registry.domain.errors import RegistryError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./sco-registry.db"
ENV_PREFIX = "SCO_REGISTRY_"

# The signing secret used where none is configured: development only. Outside development a
# missing secret, or this one, is refused (`Settings._secrets_outside_development`).
DEVELOPMENT_JWT_SECRET = "sco-registry-development-secret-do-not-deploy"
# HMAC algorithms need `jwt_secret`; the others a `jwt_public_key` (and PyJWT's crypto extra).
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
PUBLIC_KEY_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"})
# The shortest secret accepted outside development (RFC 7518 3.2: at least the hash's size).
MIN_SECRET_BYTES = 32

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
    """How long a query's `minPosition` waits for the read models (then its error is
    `read.min_position_timeout`)."""

    read_database_url: str | None = None
    """Where queries read (a PostgreSQL streaming replica of `database_url`); unset: the
    primary. Writes, `verify` and subscriptions stay on the primary; a query's `minPosition`
    waits until the replica's read models have reached it (read your own writes)."""

    projections_inline: bool = True
    """Whether each append applies the read models in its own transaction (a write reads
    back at once). Off: appends write only the log, and a projection worker
    (`sco-registry worker`) brings the read models up; `minPosition` waits for it."""

    worker_poll_s: float = 0.5
    """How often a projection worker without the lease tries to take it, and how often the
    lease holder looks for new events when no notification wakes it."""

    worker_page_events: int = 200
    """Events a projection worker applies per transaction (each holds the append lock while
    it applies: appends wait at most one page's work)."""

    api_introspection: bool | None = None
    """Whether the API answers introspection (`__schema`, `__type`; GraphiQL needs it);
    unset: on in development only."""

    api_field_suggestions: bool | None = None
    """Whether error messages suggest field names ("Did you mean ...?"); unset: on in
    development only."""

    api_cache_entries: int = 1_000
    """How many recent GET answers the in-process cache keeps (0: none; ETags and 304s are
    answered all the same). See `graphql/caching.py`."""

    ready_max_lag_positions: int = 0
    """`/readyz` answers 503 while a read model lags the log by more than this many
    positions (0: ready only when every read model is current)."""

    log_format: Literal["json", "console"] = "json"
    """How the API's logs are written to stderr: one JSON object a line, or for a person."""

    access_log: bool = False
    """Whether the API logs one line per HTTP request (`http.request`: method, path, status,
    duration, and the request's ids)."""

    environment: Literal["development", "test", "production"] = "development"
    """Where the process runs. Outside `development` the API refuses a missing or default
    signing secret (and the development token command refuses to run)."""

    jwt_issuer: str = "sco-registry"
    """The `iss` every bearer token must carry."""

    jwt_audience: str = "sco-registry-api"
    """The `aud` every bearer token must carry."""

    jwt_algorithm: str = "HS256"
    """The one algorithm tokens are verified with (a token naming another is refused)."""

    jwt_secret: SecretStr | None = None
    """The HMAC key (HS256/384/512); in development it defaults to a fixed, public one."""

    jwt_public_key: str | None = None
    """PEM public key for RS/ES/PS/EdDSA algorithms (needs the `cryptography` package)."""

    jwt_leeway_seconds: int = 30
    """Clock skew allowed when checking `exp`, `nbf` and `iat`."""

    @field_validator("database_url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        parse_database_url(value)
        return value

    @model_validator(mode="after")
    def _usable_read_url(self) -> Settings:
        if self.read_database_url is None:
            return self
        read = parse_database_url(self.read_database_url)
        if read.get_backend_name() != make_url(self.database_url).get_backend_name():
            raise InvalidDatabaseUrl(
                f"{ENV_PREFIX}READ_DATABASE_URL must be a replica of {ENV_PREFIX}DATABASE_URL, "
                "on the same kind of database"
            )
        return self

    @field_validator("worker_poll_s")
    @classmethod
    def _poll(cls, value: float) -> float:
        if not 0 < value <= 60:
            raise ValueError("must be more than 0 and at most 60 seconds")
        return value

    @field_validator("worker_page_events")
    @classmethod
    def _page(cls, value: int) -> int:
        if not 1 <= value <= 10_000:
            raise ValueError("must be from 1 to 10000 events")
        return value

    @field_validator("sqlite_busy_timeout_ms")
    @classmethod
    def _non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("api_cache_entries", "ready_max_lag_positions")
    @classmethod
    def _zero_or_more(cls, value: int) -> int:
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

    @field_validator("jwt_algorithm")
    @classmethod
    def _known_algorithm(cls, value: str) -> str:
        if value not in HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS:
            known = ", ".join(sorted(HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS))
            raise ValueError(f"unknown JWT algorithm {value!r}; expected one of {known}")
        return value

    @field_validator("jwt_leeway_seconds")
    @classmethod
    def _leeway_non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> Settings:
        """The signing key must be configured, and not the public development one, wherever
        the process is not a developer's: a default secret lets anyone mint a writer."""
        if self.jwt_algorithm in PUBLIC_KEY_ALGORITHMS:
            if not self.jwt_public_key:
                raise ValueError(f"jwt_public_key is required with {self.jwt_algorithm}")
            return self
        if self.environment == "development":
            return self
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else ""
        if not secret:
            raise ValueError(f"jwt_secret must be set outside development ({self.environment})")
        if secret == DEVELOPMENT_JWT_SECRET:
            raise ValueError(f"jwt_secret is the development default ({self.environment})")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"jwt_secret must be at least {MIN_SECRET_BYTES} bytes")
        return self

    def api_introspection_enabled(self) -> bool:
        if self.api_introspection is not None:
            return self.api_introspection
        return self.environment == "development"

    def api_field_suggestions_enabled(self) -> bool:
        if self.api_field_suggestions is not None:
            return self.api_field_suggestions
        return self.environment == "development"

    def signing_secret(self) -> str:
        """The HMAC key tokens are signed and verified with (the development default where
        none is set: the validator refuses that outside development)."""
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            return self.jwt_secret.get_secret_value()
        return DEVELOPMENT_JWT_SECRET


def load_settings() -> Settings:
    """The settings from the environment; `InvalidSetting` (one message) when one is unusable."""
    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        # A model-level check (the secrets) has no location: name the variable it is about.
        loc = ".".join(str(part) for part in first["loc"]) or _model_setting(first["msg"])
        name = f"{ENV_PREFIX}{loc.upper()}"
        raise InvalidSetting(f"{name}: {first['msg']}", details={"setting": name}) from None


def _model_setting(message: str) -> str:
    """The setting a model-level check's message is about (its first word)."""
    words = message.removeprefix("Value error, ").split()
    return words[0] if words else "settings"
