"""The event log's statements, and their compiled form run on the DBAPI cursor.

The hot ones (the append's, the reads') run on the DBAPI cursor of a SQLAlchemy
`Connection`, without SQLAlchemy's per-execute machinery: `Connection.execute` costs
tens of microseconds per call in Python (cache key, execution context, events, result
object) on top of the statement itself, more than SQLite takes to run the append's head
query and insert. The SQL is still SQLAlchemy's, compiled for the connection's dialect
(qmark for SQLite, numbered with casts for asyncpg), and so are the type conversions:
each parameter goes through its type's bind processor and each result column through
its result processor, exactly as `execute` would apply them. DBAPI errors are wrapped in
SQLAlchemy's `DBAPIError` like any others, so callers see one error type.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from sco_registry.store.rows import JSON_COLUMNS
from sco_registry.store.schema import events, idempotency_keys
from sco_registry.store.wakeups import NOTIFY_CHANNEL

Processor = Callable[[Any], Any] | None


class DriverStatement:
    """One statement compiled for one dialect, with its bind parameter order and the
    processors of its parameters and result columns."""

    def __init__(
        self,
        statement: sa.Select[Any] | sa.Insert,
        dialect: Dialect,
        column_keys: Sequence[str] = (),
        raw: Collection[str] = (),
    ) -> None:
        """`column_keys`: the columns an INSERT fills; `raw`: parameters passed as the
        driver takes them already, and result columns taken as the driver gives them
        (their type's bind or result processor is skipped)."""
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) or None)
        assert isinstance(compiled, SQLCompiler)
        if compiled.positiontup is None:
            raise ValueError(f"{dialect.name}: only positional parameter styles are supported")
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup)
        binds = compiled.binds
        # Values bound in the statement itself (LIMIT 1, a COALESCE default, ...).
        self.literals = {
            name: binds[name].effective_value
            for name in self.names
            if not binds[name].required and binds[name].value is not None
        }
        self.bind_processors: tuple[Processor, ...] = tuple(
            None if name in raw else binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.names
        )
        self._row_processors = [
            (i, proc) for i, proc in enumerate(self.bind_processors) if proc is not None
        ]
        self.result_processors: tuple[Processor, ...] = ()
        if isinstance(statement, sa.Select):
            self.result_processors = tuple(
                None
                if getattr(column, "name", None) in raw
                else column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in statement.selected_columns
            )
        self._column_processors = [
            (i, proc) for i, proc in enumerate(self.result_processors) if proc is not None
        ]
        self.error_class: type[Exception] = dialect.loaded_dbapi.Error

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        if self.literals:
            values = {**self.literals, **values}
        return tuple(
            value if proc is None or value is None else proc(value)
            for proc, value in zip(
                self.bind_processors, [values[name] for name in self.names], strict=True
            )
        )

    def fetch_one(self, conn: Connection, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """Run a query for one row, its columns processed."""
        params = self.parameters(values)
        cursor = _cursor(conn)
        try:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        except self.error_class as e:
            raise self._wrap(e, params) from e
        finally:
            cursor.close()
        assert row is not None
        return tuple(
            value if proc is None or value is None else proc(value)
            for proc, value in zip(self.result_processors, row, strict=True)
        )

    def fetch_all(self, conn: Connection, values: Mapping[str, Any]) -> list[Sequence[Any]]:
        """Run a query for all its rows; columns named in `raw` come as the driver gives
        them, the others processed."""
        params = self.parameters(values)
        cursor = _cursor(conn)
        try:
            cursor.execute(self.sql, params)
            rows: list[Sequence[Any]] = cursor.fetchall()
        except self.error_class as e:
            raise self._wrap(e, params) from e
        finally:
            cursor.close()
        processors = self._column_processors
        if not processors:
            return rows
        out: list[Sequence[Any]] = []
        for row in rows:
            values_ = list(row)
            for i, proc in processors:
                value = values_[i]
                if value is not None:
                    values_[i] = proc(value)
            out.append(values_)
        return out

    def execute_rows(self, conn: Connection, rows: Iterable[Sequence[Any]]) -> None:
        """Run a DML statement once per row (one `executemany`); each row holds the values
        in `names` order."""
        params = []
        processors = self._row_processors
        # Per column, the last value processed and its result: a value that is the very
        # same object as the previous row's (the record time of a batch, a valid time's
        # bounds) is processed once. Identity, not equality: processors are conversions.
        last_in: list[Any] = [None] * len(processors)
        last_out: list[Any] = [None] * len(processors)
        for row in rows:
            values = list(row)
            for n, (i, proc) in enumerate(processors):
                value = values[i]
                if value is None:
                    continue
                if value is not last_in[n]:
                    last_in[n] = value
                    last_out[n] = proc(value)
                values[i] = last_out[n]
            params.append(tuple(values))
        cursor = _cursor(conn)
        try:
            if len(params) == 1:
                cursor.execute(self.sql, params[0])
            else:
                cursor.executemany(self.sql, params)
        except self.error_class as e:
            raise self._wrap(e, params) from e
        finally:
            cursor.close()

    def _wrap(self, error: Exception, params: Any) -> sa.exc.DBAPIError:
        wrapped = sa.exc.DBAPIError.instance(self.sql, params, error, self.error_class)
        assert isinstance(wrapped, sa.exc.DBAPIError)
        return wrapped


def _cursor(conn: Connection) -> Any:
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    return dbapi_connection.cursor()


# -- the statements ---------------------------------------------------------------------

_c = events.c
_COLUMNS = (
    _c.position,
    _c.event_id,
    _c.stream_id,
    _c.stream_version,
    _c.event_type,
    _c.schema_version,
    _c.data,
    _c.metadata,
    _c.valid_time,
    _c.recorded_at,
    _c.actor,
    _c.sources,
    _c.correlation_id,
    _c.causation_id,
    _c.hash,
)
# What the read queries select: JSON columns as text, decoded a page at a time (rows.py).
_READ_COLUMNS = tuple(
    sa.cast(c, sa.Text).label(c.name) if c.name in JSON_COLUMNS else c for c in _COLUMNS
)
READ_ALL = (
    sa.select(*_READ_COLUMNS).where(_c.position > sa.bindparam("after")).order_by(_c.position)
)
READ_ALL_PAGE = READ_ALL.limit(sa.bindparam("limit"))
READ_STREAM = (
    sa.select(*_READ_COLUMNS)
    .where(_c.stream_id == sa.bindparam("stream_id"))
    .where(_c.stream_version >= sa.bindparam("from_version"))
    .order_by(_c.stream_version)
)
READ_STREAM_PAGE = READ_STREAM.limit(sa.bindparam("limit"))


def read_streams_statement(count: int) -> sa.Select[Any]:
    """`count` streams' events, each from its version on (`stream_<i>`, `from_<i>`), in
    position order (so each stream's in version order): `READ_STREAM` for several streams
    in one query."""
    each = [
        sa.and_(
            _c.stream_id == sa.bindparam(f"stream_{i}"),
            _c.stream_version >= sa.bindparam(f"from_{i}"),
        )
        for i in range(count)
    ]
    return sa.select(*_READ_COLUMNS).where(sa.or_(*each)).order_by(_c.position)


HEAD = sa.select(sa.func.coalesce(sa.func.max(_c.position), 0))
STREAM_VERSION = sa.select(sa.func.coalesce(sa.func.max(_c.stream_version), 0)).where(
    _c.stream_id == sa.bindparam("stream_id")
)
INSERT_EVENTS = events.insert()
INSERT_IDEMPOTENCY = idempotency_keys.insert()
# The idempotency record's columns, in the order `execute_rows` takes a row's values.
KEY_COLUMNS = (
    "key",
    "fingerprint",
    "first_position",
    "last_position",
    "stream_versions",
    "recorded_at",
)
PG_LOCK = sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("key", type_=sa.BigInteger)))
_k = idempotency_keys.c
_KEY_COLUMNS = (_k.fingerprint, _k.first_position, _k.last_position, _k.stream_versions)

# `append_batch`: the current version of every stream its units touch, and which of its
# idempotency keys are recorded already (both once per batch, under the append lock).
BATCH_VERSIONS = (
    sa.select(_c.stream_id, sa.func.max(_c.stream_version))
    .where(_c.stream_id.in_(sa.bindparam("streams", expanding=True)))
    .group_by(_c.stream_id)
)
BATCH_KEYS = sa.select(_k.key).where(_k.key.in_(sa.bindparam("keys", expanding=True))).limit(1)


@functools.cache
def head_statement(streams: int, notify: bool, keyed: bool) -> sa.Select[Any]:
    """One round trip for what an append must know: the last position and hash, and the
    current version of each of `streams` streams (bound as s0, s1, ...); with `keyed`, also
    the idempotency key's record, if any (bound as key: fingerprint, first and last
    position, stream versions; all NULL for a new key).

    With `notify` (PostgreSQL) it also queues NOTIFY with the new last position (the head
    plus the bound number of `events`): delivered at COMMIT, dropped by a ROLLBACK, so a
    failed append wakes nobody, and it costs no round trip of its own. A replayed key
    writes nothing and notifies nobody."""
    last = sa.select(_c.position, _c.hash).order_by(_c.position.desc()).limit(1).subquery()
    head = sa.select(last.c.position).scalar_subquery()
    versions = [
        sa.select(sa.func.coalesce(sa.func.max(_c.stream_version), 0))
        .where(_c.stream_id == sa.bindparam(f"s{i}"))
        .scalar_subquery()
        for i in range(streams)
    ]
    columns: list[Any] = [head, sa.select(last.c.hash).scalar_subquery(), *versions]
    used: list[Any] = [
        sa.select(col).where(_k.key == sa.bindparam("key")).scalar_subquery()
        for col in _KEY_COLUMNS
    ]
    if keyed:
        columns.extend(used)
    if not notify:
        return sa.select(*columns)
    # PostgreSQL: also try the append lock, without waiting (last column: got it?). A
    # subquery in FROM with a volatile function is evaluated once, before the columns.
    locked = sa.select(
        sa.func.pg_try_advisory_xact_lock(sa.bindparam("lock_key", type_=sa.BigInteger)).label(
            "got"
        )
    ).subquery("locked")
    new_last = sa.func.coalesce(head, 0) + sa.bindparam("events", type_=sa.BigInteger)
    signal: Any = sa.func.pg_notify(NOTIFY_CHANNEL, sa.cast(new_last, sa.Text))
    # CASE evaluates pg_notify (volatile) only when the lock is held and the key is new.
    condition = locked.c.got if not keyed else sa.and_(locked.c.got, used[0].is_(None))
    columns.append(sa.case((condition, signal), else_=None))
    columns.append(locked.c.got)
    return sa.select(*columns).select_from(locked)


# PostgreSQL: one append in one statement, the function of Alembic revision 0007 (its
# docstring says what it does, in which order). Parameters in the function's order.
PG_APPEND_FUNCTION = "sco_append_events"
PG_APPEND_PARAMETERS = 24
PG_APPEND = (
    f"SELECT status, failed_stream, actual_version, first_position, last_position, "
    f"stream_versions, replayed_versions, hashes FROM {PG_APPEND_FUNCTION}("
    + ", ".join(f"${i}" for i in range(1, PG_APPEND_PARAMETERS + 1))
    + ")"
)


class RawStatement:
    """SQL text run as is on the DBAPI cursor (the driver's own parameter style and type
    conversions), its errors wrapped in `DBAPIError` like every other statement's."""

    def __init__(self, sql: str, dialect: Dialect) -> None:
        self.sql = sql
        self.error_class: type[Exception] = dialect.loaded_dbapi.Error

    def fetch_one(self, conn: Connection, params: Sequence[Any]) -> Sequence[Any]:
        cursor = _cursor(conn)
        try:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        except self.error_class as e:
            wrapped = sa.exc.DBAPIError.instance(self.sql, params, e, self.error_class)
            raise wrapped from e
        finally:
            cursor.close()
        assert row is not None
        return tuple(row)
