"""Where a subject runs: a fresh SQLite file or a fresh PostgreSQL database, and the
server-side settings worth recording next to the numbers."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def default_pg_url() -> str:
    """The PostgreSQL server the benchmarks make their databases on, unless told:
    `SCO_REGISTRY_BENCH_PG_URL`, else `SCO_REGISTRY_TEST_PG_URL`, else `DEFAULT_PG_URL`."""
    return (
        os.environ.get("SCO_REGISTRY_BENCH_PG_URL")
        or os.environ.get("SCO_REGISTRY_TEST_PG_URL")
        or DEFAULT_PG_URL
    )


SQLITE = "sqlite"
POSTGRESQL = "postgresql"


@dataclass(frozen=True, slots=True)
class Target:
    """One fresh database for one subject and run."""

    backend: str
    sqlite_path: Path | None = None
    pg_url: str | None = None
    """libpq URL (postgresql://user@host:port/db) of the fresh database."""

    @property
    def pg(self) -> PgParts:
        assert self.pg_url is not None
        return PgParts.parse(self.pg_url)


@dataclass(frozen=True, slots=True)
class PgParts:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def parse(cls, url: str) -> PgParts:
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
            dbname=parts.path.lstrip("/") or "postgres",
        )


def plain_pg_url(url: str) -> str:
    """A libpq URL from an SQLAlchemy-style one (`postgresql+asyncpg://...`)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


class PgServer:
    """The PostgreSQL server the benchmark creates its databases on."""

    def __init__(self, url: str) -> None:
        self.url = plain_pg_url(url)

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.encode())

    def settings(self) -> dict[str, Any]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            out: dict[str, Any] = {}
            row = conn.execute("SELECT current_setting('server_version')").fetchone()
            out["server_version"] = row[0] if row else None
            for name in (
                "fsync",
                "synchronous_commit",
                "wal_sync_method",
                "full_page_writes",
                "wal_level",
                "shared_buffers",
                "max_connections",
            ):
                row = conn.execute(f"SHOW {name}".encode()).fetchone()
                out[name] = row[0] if row else None
            return out

    @contextmanager
    def fresh_database(self, label: str) -> Iterator[Target]:
        name = f"bench_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._admin(f'CREATE DATABASE "{name}"')
        try:
            yield Target(POSTGRESQL, pg_url=with_database(self.url, name))
        finally:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_sqlite(label: str) -> Iterator[Target]:
    """A new SQLite file in a temporary directory, removed afterwards (with -wal, -shm)."""
    directory = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
    try:
        yield Target(SQLITE, sqlite_path=directory / "events.db")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
