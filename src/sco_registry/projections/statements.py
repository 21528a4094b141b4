"""Statements built once per table and reused.

A projection applies thousands of events a second, each with a few statements; building a
SQLAlchemy Core statement (and its cache key) costs several times more than executing the
compiled one on SQLite (about 0.26 ms against 0.06 ms per `SELECT ... WHERE key = ?` on
this project's CI machine). So the statements of the write side are built once per table,
with bound parameters, and kept in the table's `info` (a live table's for the process, a
scratch table's for the rebuild that made it), then executed with the event's values.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import uuid
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from sco_registry.store.statements import DriverStatement

S = TypeVar("S")
_dumps = orjson.dumps
_JSONEncodeError = orjson.JSONEncodeError


def cached(table: sa.Table, key: Hashable, build: Callable[[sa.Table], S]) -> S:
    """The statement `build(table)` made for `key`, built on first use."""
    made: dict[Hashable, Any] = table.info.setdefault("sco_registry.statements", {})
    try:
        return made[key]  # type: ignore[no-any-return]
    except KeyError:
        made[key] = statement = build(table)
        return statement


def insert(table: sa.Table) -> sa.Insert:
    return cached(table, "insert", lambda t: t.insert())


@functools.lru_cache(maxsize=1 << 13)
def uuid_text(value: uuid.UUID) -> str:
    """`str(value)`, cached: the same event's id is written by most models in turn (and a
    correlation id by many events), and `UUID.__str__` is Python code."""
    return str(value)


# --- writes on the DBAPI cursor -------------------------------------------------------------

_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_stdlib_json = json.JSONEncoder().encode


def json_text(value: Any) -> str:
    """A JSON column's value as the text the column stores (None: JSON `null`, as the
    column's own bind processor writes it). orjson where it can encode the value, the
    standard library (SQLAlchemy's default serializer) otherwise, raising as it always
    did. The two texts differ in spacing and escapes only, and decode to the same value;
    the one value they would decode differently, a float NaN or infinity (orjson writes
    `null`), cannot come from the log (`chain.canonical_json` refuses them)."""
    try:
        return _dumps(value, option=_JSON_OPTIONS).decode("utf-8")
    except _JSONEncodeError:
        return _stdlib_json(value)


class _RowWrite:
    """An INSERT (or an UPDATE of executemany parameters) compiled for one dialect
    (`store/statements.DriverStatement`: SQLAlchemy's SQL, the parameters' bind processors)
    and run on the DBAPI cursor, its JSON parameters encoded here (`json_text`, None as
    JSON `null`), the others through their type's bind processor, where it has one (None
    left as NULL), as `Connection.execute` would."""

    def __init__(self, statement: sa.Insert | sa.Update, table: sa.Table, dialect: Dialect,
                 keys: tuple[str, ...]) -> None:  # fmt: skip
        json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
        driver = DriverStatement(
            statement,  # type: ignore[arg-type]  # compiled alike; no result columns
            dialect,
            keys if isinstance(statement, sa.Insert) else (),
            json_columns,
        )
        if driver.literals:
            raise ValueError(f"{table.name}: a write with values bound in the statement")
        self.sql = driver.sql
        self.error_class = driver.error_class
        names = driver.names
        self.get: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            operator.itemgetter(*names) if len(names) > 1 else lambda r: (r[names[0]],)
        )
        self.json = tuple(i for i, n in enumerate(names) if n in json_columns)
        self.processed = tuple(
            (i, proc)
            for i, proc in enumerate(driver.bind_processors)
            if proc is not None and names[i] not in json_columns
        )

        # Its form as a part of one combined statement (`Deferred`), made on first use.
        self._part: _Part | None = None
        self._part_made = False

    def part(self) -> _Part | None:
        """This write as one part of a combined statement (None: it has no such form)."""
        if not self._part_made:
            self._part, self._part_made = _Part.of(self.sql), True
        return self._part

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        deferred = _DEFERRED.get(id(conn)) if _DEFERRED else None
        params = self.parameters(rows)
        if deferred is not None and self.part() is not None:
            deferred.parts.append((self, params, deferred.owner))
            return
        self.execute(conn, params)

    def execute(self, conn: Connection, params: list[Sequence[Any]]) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        try:
            cursor.executemany(self.sql, params)
        except self.error_class as e:
            wrapped = sa.exc.DBAPIError.instance(self.sql, params, e, self.error_class)
            raise wrapped from e
        finally:
            cursor.close()

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> list[Sequence[Any]]:
        """Each row's values in the statement's order, encoded and processed."""
        get, encoded, processed = self.get, self.json, self.processed
        params: list[Sequence[Any]]
        if not encoded and not processed:
            params = [get(r) for r in rows]
        else:
            params = []
            dumps, options, refused = _dumps, _JSON_OPTIONS, _JSONEncodeError
            for r in rows:
                values = list(get(r))
                for i in encoded:
                    value = values[i]
                    try:  # `json_text`, inlined (one call fewer per JSON value)
                        values[i] = dumps(value, option=options).decode("utf-8")
                    except refused:
                        values[i] = _stdlib_json(value)
                for i, proc in processed:
                    if values[i] is not None:
                        values[i] = proc(values[i])
                params.append(values)
        return params


# A bound parameter with its cast, as SQLAlchemy renders it for asyncpg (`$3::VARCHAR`), up
# to what follows it in an INSERT's VALUES list or an UPDATE's SET and WHERE clauses.
_BOUND = re.compile(r"\$(\d+)::(.+?)(?=, \$|\)$|\) ON CONFLICT | WHERE | AND |$)")
_ALIAS, _ARRAYS = "\x00alias", "\x00arrays"


class _Part:
    """An executemany INSERT or UPDATE as one data-modifying part of a combined statement
    (PostgreSQL): its parameters bound as one array per column and read back row by row
    from `unnest`, which yields the arrays' elements in order, side by side.
    `INSERT INTO t (a, b) VALUES ($1::T1, $2::T2)` becomes `INSERT INTO t (a, b) SELECT
    u.c1, u.c2 FROM unnest($i::T1[], $j::T2[]) AS u(c1, c2)`; `UPDATE t SET x=$1::T1 WHERE
    t.k = $2::T2` becomes `UPDATE t SET x=u.c1 FROM unnest(...) AS u(c1, c2) WHERE t.k =
    u.c2`. The rows written are those of the executemany, one per parameter row."""

    __slots__ = ("original", "template", "types")

    def __init__(self, template: str, types: tuple[str, ...], original: str) -> None:
        self.template, self.types, self.original = template, types, original

    @classmethod
    def of(cls, sql: str) -> _Part | None:
        found = list(_BOUND.finditer(sql))
        if not found or [int(m.group(1)) for m in found] != list(range(1, len(found) + 1)):
            return None
        types = tuple(m.group(2) for m in found)
        pieces: list[str] = []
        at = 0
        for m in found:
            pieces += [sql[at : m.start()], f"{_ALIAS}.c{m.group(1)}"]
            at = m.end()
        pieces.append(sql[at:])
        body = "".join(pieces)
        source = (
            f" FROM unnest({_ARRAYS}) AS {_ALIAS}("
            + ", ".join(f"c{i}" for i in range(1, len(types) + 1))
            + ")"
        )
        if sql.startswith("INSERT INTO ") and " VALUES (" in body:
            head, values = body.split(" VALUES (", 1)
            conflict = ""
            if ") ON CONFLICT " in values:  # an upsert (`upsert_rows`)
                values, conflict = values.split(") ON CONFLICT ", 1)
                values, conflict = values + ")", " ON CONFLICT " + conflict
            if " VALUES (" in values or not values.endswith(")"):
                return None
            template = f"{head} SELECT {values[:-1]}{source}{conflict}"
        elif sql.startswith("UPDATE ") and body.count(" WHERE ") == 1:
            head, where = body.split(" WHERE ")
            template = f"{head}{source} WHERE {where}"
        else:
            return None
        return cls(template, types, sql)

    def sql(self, alias: str, first: int) -> str:
        arrays = ", ".join(f"${first + i}::{t}[]" for i, t in enumerate(self.types))
        return self.template.replace(_ARRAYS, arrays).replace(_ALIAS, alias)

    def single(self, first: int) -> str:
        """The statement for one row, its parameters numbered from `first`: scalars, as
        the executemany binds them (asyncpg checks every array element's shape in Python,
        about 1 us each, more than the row's own encoding)."""
        return _BOUND.sub(lambda m: f"${first + int(m.group(1)) - 1}::{m.group(2)}", self.original)


class Deferred:
    """The writes of `write_rows` and `update_rows` on one connection, held while it is
    active (`deferred`) and run by `run` as one statement: one round trip instead of one
    per table and kind (PostgreSQL, where each is a network round trip). What each part
    writes is exactly what its executemany would have; the parts are independent
    data-modifying WITH queries of one statement, which PostgreSQL runs to completion, all
    on the statement's one snapshot, none seeing another's rows. So a part must not depend
    on another part's rows (an UPDATE of rows another part inserts): the projections' units
    insert their new rows and close rows the database held before (`unit.py`), and each
    model's parts touch its own tables only. `owner`: who the parts added next are for (a
    projection's name), named by `owners` when the statement fails.

    `check` adds a query the statement also runs, on the database as it found it (before
    the parts' writes): what a unit took as known instead of reading it (the checkpoints,
    the compliance model's last event), checked in the same round trip as the writes."""

    def __init__(self) -> None:
        self.parts: list[tuple[_RowWrite, list[Sequence[Any]], str]] = []
        self.owner = ""
        self.checks: list[Check] = []

    def check(self, query: str, holds: Callable[[Any], bool], reason: str,
              stale: Callable[[], None] | None = None) -> None:  # fmt: skip
        """Have the statement run `query` (a scalar subquery without parameters: one value
        or NULL) on the database as the statement finds it; `run` then calls `holds(value)`
        and, if it is false, `stale()` (what the unit kept and must drop), and names
        `reason` among its failed checks. The caller rolls the transaction back then: the
        writes rest on what did not hold."""
        self.checks.append(Check(query, holds, reason, stale))

    def owners(self) -> list[str]:
        return list(dict.fromkeys(owner for _, _, owner in self.parts))

    def run(self, conn: Connection) -> list[str]:
        """Run the writes held (if any) in one statement, none held (nor checks) afterwards;
        returns the reasons of the checks that failed (`check`). The checks' queries are the
        statement's main query (`SELECT (q1), (q2), ...`): it sees the database as the
        statement found it, before any of the parts' writes (one snapshot for the whole
        statement)."""
        parts, self.parts = self.parts, []
        checks, self.checks = self.checks, []
        if not parts and not checks:
            return []
        if len(parts) == 1 and not checks:
            write, params, _ = parts[0]
            write.execute(conn, params)
            return []
        select = "SELECT " + ", ".join(f"({c.query})" for c in checks) if checks else None
        # A part of one row binds its values as scalars, a part of several one array per
        # column (`_Part`).
        key = (tuple((write, len(values) == 1) for write, values, _ in parts), select)
        sql = _COMBINED.get(key)
        if sql is None:
            pieces = []
            first = 1
            for n, (write, single) in enumerate(key[0]):
                part = write.part()
                assert part is not None
                made = part.single(first) if single else part.sql(f"u{n}", first)
                pieces.append(f"w{n} AS ({made})")
                first += len(part.types)
            main = "SELECT 1" if select is None else select
            sql = ("WITH " + ", ".join(pieces) + " " if pieces else "") + main
            if len(_COMBINED) >= _COMBINED_MAX:
                _COMBINED.clear()
            _COMBINED[key] = sql
        arrays: list[Any] = []
        for _, values, _ in parts:
            if len(values) == 1:
                arrays.extend(values[0])
            else:
                arrays.extend(list(column) for column in zip(*values, strict=True))
        error_class = conn.dialect.loaded_dbapi.Error
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql, arrays)
            found = list(cursor.fetchall())
        except error_class as e:
            wrapped = sa.exc.DBAPIError.instance(sql, arrays, e, error_class)
            raise wrapped from e
        finally:
            cursor.close()
        if not checks:
            return []
        failed = []
        for check, value in zip(checks, found[0], strict=True):
            if not check.holds(value):
                failed.append(check.reason)
                if check.stale is not None:
                    check.stale()
        return failed


class Check(NamedTuple):
    """A query run with a `Deferred`'s writes, and what its value must be (`Deferred.check`)."""

    query: str
    holds: Callable[[Any], bool]
    reason: str
    stale: Callable[[], None] | None


_DEFERRED: dict[int, Deferred] = {}
# The combined statements made, by their parts' writes (a few shapes: the tables an append's
# events touch); cleared past the bound.
_COMBINED: dict[tuple[tuple[tuple[_RowWrite, bool], ...], str | None], str] = {}
_COMBINED_MAX = 256


def pending(conn: Connection) -> Deferred | None:
    """The `Deferred` active on `conn`, if any (an inline apply on PostgreSQL)."""
    return _DEFERRED.get(id(conn)) if _DEFERRED else None


@contextmanager
def deferred(conn: Connection) -> Iterator[Deferred]:
    """While the block runs, `write_rows` and `update_rows` on `conn` are held in the
    `Deferred` yielded (the caller runs them: what is not run is dropped). Nested: the one
    already active."""
    found = _DEFERRED.get(id(conn))
    if found is not None:
        yield found
        return
    made = _DEFERRED[id(conn)] = Deferred()
    try:
        yield made
    finally:
        del _DEFERRED[id(conn)]


def write_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """`conn.execute(table.insert(), rows)` (an executemany), the same rows written, without
    SQLAlchemy's per-row parameter processing: on the DBAPI cursor, JSON pre-encoded. Rows
    with different columns are written in groups of the same columns, in order."""
    if not rows:
        return
    dialect = conn.dialect
    start = 0
    while start < len(rows):
        names = rows[start].keys()
        end = start + 1
        while end < len(rows) and rows[end].keys() == names:
            end += 1
        keys = tuple(sorted(names))

        def build(t: sa.Table, keys: tuple[str, ...] = keys) -> _RowWrite:
            return _RowWrite(t.insert(), t, dialect, keys)

        made = cached(table, ("driver-insert", dialect.name, dialect.driver, keys), build)
        made.run(conn, rows[start:end])
        start = end


def upsert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Each row inserted, or written over the row of its primary key if the table holds one
    (`INSERT ... ON CONFLICT (key) DO UPDATE`, PostgreSQL and SQLite): what a DELETE of the
    key and an INSERT leave, in one statement (so, inline on PostgreSQL, one part of the
    `Deferred` statement). Every row the same columns, the primary key among them, each
    key once."""
    if not rows:
        return
    dialect = conn.dialect
    keys = tuple(sorted(rows[0].keys()))

    def build(t: sa.Table) -> _RowWrite:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        else:  # pragma: no cover - the project's databases are those two
            raise ValueError(f"{dialect.name}: no upsert")
        statement = insert(t)
        primary = [c.name for c in t.primary_key.columns]
        others = {k: statement.excluded[k] for k in keys if k not in primary}
        upsert = statement.on_conflict_do_update(index_elements=primary, set_=others)
        return _RowWrite(upsert, t, dialect, keys)

    made = cached(table, ("driver-upsert", dialect.name, dialect.driver, keys), build)
    made.run(conn, rows)


def update_rows(
    conn: Connection,
    table: sa.Table,
    key: Hashable,
    build: Callable[[sa.Table], sa.Update],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """`conn.execute(build(table), rows)` (an executemany of bound parameters, every row the
    same names) on the DBAPI cursor, as `write_rows`."""
    if not rows:
        return
    dialect = conn.dialect

    def made(t: sa.Table) -> _RowWrite:
        return _RowWrite(build(t), t, dialect, ())

    cached(table, ("driver-update", key, dialect.name, dialect.driver), made).run(conn, rows)
