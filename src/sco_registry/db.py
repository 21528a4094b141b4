"""Database engines (SQLite and PostgreSQL, async) and running the Alembic migrations.

SQLite connections are set up for one writer and many readers across processes:

* ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers.
* ``busy_timeout``: a writer that finds the write lock taken waits this long instead of
  failing at once with "database is locked".
* ``synchronous=NORMAL``: in WAL mode a commit survives a crash of the application; after a
  power loss or OS crash the last few commits may be rolled back (never corrupted). FULL
  would fsync on every commit, several times slower for each append.
* ``foreign_keys=ON``: SQLite leaves foreign keys off unless asked, per connection.
* Write transactions start with ``BEGIN IMMEDIATE``: the write lock is taken at BEGIN, so the
  busy timeout applies there. A deferred BEGIN would take a read snapshot first and then fail
  with SQLITE_BUSY, without waiting, when it tries to write after another writer committed.

The sqlite3 driver's own transaction handling (it emits BEGIN only before DML, never before
SELECT or DDL) is switched off and SQLAlchemy emits BEGIN itself: the recipe from the
SQLAlchemy SQLite dialect docs ("Serializable isolation / Savepoints / Transactional DDL").
An engine derived with `read_only_engine` emits no BEGIN at all: each of its statements is
its own implicit read transaction (one consistent snapshot per statement, no write lock);
on PostgreSQL it runs in autocommit likewise, which saves the BEGIN and ROLLBACK round trips.

The event store does not run its own statements on the aiosqlite engine: every aiosqlite
call is a hop to aiosqlite's thread and back through the event loop, about a dozen per
append. `sqlite_sync_engine` derives a synchronous pysqlite engine for the same file, set up
the same way (pragmas, BEGIN IMMEDIATE, JSON decoding), on which the store runs a whole
unit of work in one hop to its own worker thread (see `store/execution.py`).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from sco_registry.config import InvalidDatabaseUrl
from sco_registry.store import fastjson
from sco_registry.store.errors import (
    DatabaseNotMigrated,
    DatabaseUnavailable,
    DatabaseUnreachable,
    NotADatabase,
    SchemaMismatch,
)

# Execution option read by the SQLite "begin" hook: the BEGIN statement to emit.
SQLITE_BEGIN_OPTION = "sco_sqlite_begin"

_REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL's pool: up to 15 connections, as SQLAlchemy's default (5 kept, 10 overflow),
# but 12 of them kept when they come back. With only 5 kept, eight writers at once (and
# the store's kept reader and spares) overflowed the pool, and every connection returned
# beyond the fifth was closed, to be opened again soon after: one new session per 25
# writes, each a connect, the driver's type codecs set up again, and each statement
# prepared again on it (`SqlEventStore` and the read models prepare theirs per connection).
PG_POOL_SIZE = 12
PG_POOL_OVERFLOW = 3
# The busy timeout each SQLite engine was made with, for the synchronous twin derived from it.
_busy_timeouts: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def create_engine(
    url: str, *, sqlite_busy_timeout_ms: int = DEFAULT_SQLITE_BUSY_TIMEOUT_MS, echo: bool = False
) -> AsyncEngine:
    """An async engine for `url` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``).

    Use a file for SQLite: an in-memory database shares one connection between all tasks,
    so concurrent transactions on it would not be isolated from each other."""
    pool: dict[str, int] = {}
    if url.startswith("postgresql"):
        pool = {"pool_size": PG_POOL_SIZE, "max_overflow": PG_POOL_OVERFLOW}
    try:
        engine = create_async_engine(url, echo=echo, json_deserializer=_loads_json, **pool)
    except (ArgumentError, ValueError) as e:  # a malformed URL or port, an unknown dialect
        raise InvalidDatabaseUrl(f"not a usable database URL: {e}") from e
    except ImportError as e:  # a dialect whose driver is not installed
        raise InvalidDatabaseUrl(f"not a usable database URL: no driver ({e})") from e
    if engine.dialect.name == "sqlite":
        _setup_sqlite(engine.sync_engine, sqlite_busy_timeout_ms)
        _busy_timeouts[engine.sync_engine] = sqlite_busy_timeout_ms
    return engine


def sqlite_sync_engine(engine: AsyncEngine) -> Engine:
    """A synchronous (pysqlite) engine for the SQLite file of the aiosqlite `engine`, with
    the same pragmas, busy timeout, BEGIN IMMEDIATE and JSON decoding. Its connections may
    be used from any thread (SQLAlchemy turns off `check_same_thread` for files), one
    thread at a time, as its pool hands them out."""
    if engine.dialect.name != "sqlite":
        raise ValueError(f"not a SQLite engine: {engine.url.drivername}")
    timeout = _busy_timeouts.get(engine.sync_engine, DEFAULT_SQLITE_BUSY_TIMEOUT_MS)
    sync = create_sync_engine(
        engine.url.set(drivername="sqlite"),
        echo=engine.echo,
        json_deserializer=_loads_json,
    )
    _setup_sqlite(sync, timeout, driver_begin=True)
    return sync


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for reads of one statement each, outside an explicit
    transaction: no BEGIN on SQLite (no write lock), autocommit on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SQLITE_BEGIN_OPTION: ""})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _loads_json(text: str) -> Any:
    # Most events have empty metadata, many rows no sources or documents: skip the parser
    # for those; the rest through `fastjson.loads` (the standard library's values, orjson's
    # speed: 0.5 µs less a value, and a page of 100 meetings decodes about 1,000).
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if text == "null":
        return None
    if type(text) is not str:  # asyncpg hands some JSON over as bytes: as before
        return json.loads(text)
    return fastjson.loads(text)


def decode_json(text: str | None) -> Any:
    """A JSON column's stored text, read as text (`records.json_text`), decoded as the
    engines' `json_deserializer` decodes it; SQL NULL is None, as SQLAlchemy's JSON type
    gives it."""
    return None if text is None else _loads_json(text)


def _setup_sqlite(sync_engine: Engine, busy_timeout_ms: int, *, driver_begin: bool = False) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Disable the driver's BEGIN handling entirely; the "begin" hook below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so that switching to WAL waits for a busy file too.
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        begin = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN IMMEDIATE")
        if not begin:
            return
        if not driver_begin:
            conn.exec_driver_sql(begin)
            return
        # On the DBAPI cursor: `exec_driver_sql` costs more Python than SQLite takes to
        # begin, and the store begins a transaction for every append. A refusal (the busy
        # timeout ran out) is still raised as SQLAlchemy's OperationalError.
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        error_class = conn.dialect.loaded_dbapi.Error
        try:
            cursor.execute(begin)
        except error_class as e:
            raise DBAPIError.instance(begin, (), e, error_class) from e
        finally:
            cursor.close()


def migrations_dir() -> Path:
    """The Alembic script folder, found from this file (never from the working directory)."""
    path = _REPO_ROOT / "migrations"
    if not (path / "env.py").is_file():
        raise RuntimeError(
            f"the migrations folder was not found at {path}: run from a source checkout "
            "or an image that ships `migrations/` beside `src/`"
        )
    return path


def alembic_config(url: str) -> Config:
    """The Alembic configuration for `url`: alembic.ini when present, absolute script path."""
    ini = _REPO_ROOT / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser interpolation would choke on a `%` in a URL-encoded password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest schema (Alembic ``upgrade head``).

    Safe inside a running event loop: Alembic runs on our own async connection through
    `run_sync`, and migrations/env.py uses the connection it is handed. A database that
    cannot be reached is a `DatabaseUnreachable` (or `NotADatabase`), nothing else."""
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            await _sqlite_heads(engine)  # opens the file without aiosqlite first (see there)
        async with connected(engine) as conn, conn.begin():

            def upgrade(sync_conn: Connection) -> None:
                _refuse_unknown_revision(sync_conn, engine.url, config)
                config.attributes["connection"] = sync_conn
                command.upgrade(config, "head")

            await conn.run_sync(upgrade)
    finally:
        await engine.dispose()


# -- opening a database for use: reachable, and at the schema this code needs -------------


def describe(url: URL) -> str:
    """The database as a message names it: an SQLite file's path, a server without password."""
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        return "an in-memory SQLite database" if path is None else f"the SQLite file {path}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
    return f"PostgreSQL at {where}"


def sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite URL (None for an in-memory database)."""
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).resolve()


def connect_error(url: URL, error: DBAPIError | OSError) -> DatabaseUnavailable:
    """The store error for a failure to connect to (or open) the database at `url`."""
    reason = str(error.orig if isinstance(error, DBAPIError) else error).strip()
    reason = reason.splitlines()[0] if reason else error.__class__.__name__
    details = {"database": describe(url)}
    if url.get_backend_name() == "sqlite":
        if "file is not a database" in reason:
            return NotADatabase(f"{describe(url)} is not an SQLite database", details=details)
        return DatabaseUnreachable(f"cannot open {describe(url)}: {reason}", details=details)
    return DatabaseUnreachable(f"cannot connect to {describe(url)}: {reason}", details=details)


@asynccontextmanager
async def connected(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection of `engine`; failing to make it raises `connect_error`'s translation
    (only the connecting is translated: errors of the work done on it pass unchanged)."""
    try:
        conn = await engine.connect()
    except (DBAPIError, OSError) as e:
        raise connect_error(engine.url, e) from e
    try:
        yield conn
    finally:
        await conn.close()


async def check_schema(engine: AsyncEngine) -> None:
    """Raise unless the database at `engine` is reachable and at this code's newest schema
    revision: `DatabaseUnreachable`, `NotADatabase`, `DatabaseNotMigrated`, `SchemaMismatch`.
    Reads only (no BEGIN on SQLite, autocommit on PostgreSQL)."""
    scripts = ScriptDirectory.from_config(alembic_config(""))
    heads = set(scripts.get_heads())
    if engine.dialect.name == "sqlite":
        current = await _sqlite_heads(engine)
    else:
        async with connected(read_only_engine(engine)) as conn:
            current = set(await conn.run_sync(_current_heads))
    if current == heads:
        return
    where = describe(engine.url)
    if not current:
        raise DatabaseNotMigrated(
            f"database not migrated: run sco-registry migrate ({where} has no schema)",
            details={"database": where},
        )
    found = ", ".join(sorted(current))
    needed = ", ".join(sorted(heads))
    known = all(_known_revision(scripts, r) for r in current)
    hint = "run sco-registry migrate" if known else "it was migrated by a newer sco-registry"
    raise SchemaMismatch(
        f"{where} is at schema revision {found}, this version needs {needed}: {hint}",
        details={"database": where, "found": found, "needed": needed},
    )


def _current_heads(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


async def _sqlite_heads(engine: AsyncEngine) -> set[str]:
    """The schema revisions of an SQLite database, read through the synchronous driver in a
    worker thread. Not through aiosqlite: when its open fails (a directory, a file that is
    not a database), aiosqlite leaves its worker thread to report to the event loop after
    `asyncio.run` has closed it, and the thread prints a traceback at exit
    (omnilib/aiosqlite#241). So a file is first opened this way, and aiosqlite only opens
    files that open."""
    sync = sqlite_sync_engine(engine).execution_options(**{SQLITE_BEGIN_OPTION: ""})

    def read() -> set[str]:
        try:
            conn = sync.connect()
        except DBAPIError as e:
            raise connect_error(engine.url, e) from e
        with conn:
            return _current_heads(conn)

    try:
        return await asyncio.to_thread(read)
    finally:
        sync.dispose()


def _refuse_unknown_revision(conn: Connection, url: URL, config: Config) -> None:
    """A database migrated by a newer version cannot be upgraded (nor downgraded) by this
    one: say so, rather than let Alembic fail on a revision it cannot locate."""
    scripts = ScriptDirectory.from_config(config)
    unknown = [
        r
        for r in MigrationContext.configure(conn).get_current_heads()
        if not _known_revision(scripts, r)
    ]
    if unknown:
        where = describe(url)
        raise SchemaMismatch(
            f"{where} is at schema revision {', '.join(unknown)}, unknown to this version: "
            "it was migrated by a newer sco-registry",
            details={"database": where, "found": ", ".join(unknown)},
        )


def _known_revision(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:  # what alembic raises for an unknown or malformed revision id
        return False


async def open_engine(
    url: str, *, sqlite_busy_timeout_ms: int = DEFAULT_SQLITE_BUSY_TIMEOUT_MS, echo: bool = False
) -> AsyncEngine:
    """An engine for a database that is ready for use (see `check_schema`). An SQLite file
    that does not exist is not created: it is reported as not migrated."""
    path = sqlite_file(make_url(url)) if url.startswith("sqlite") else None
    if path is not None and not path.exists():
        raise DatabaseNotMigrated(
            f"database not migrated: run sco-registry migrate (no SQLite file at {path})",
            details={"database": str(path)},
        )
    engine = create_engine(url, sqlite_busy_timeout_ms=sqlite_busy_timeout_ms, echo=echo)
    try:
        await check_schema(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine
