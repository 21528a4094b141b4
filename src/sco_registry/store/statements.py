"""The event log's hot statements, compiled once per dialect and run on the DBAPI cursor.

They run on the DBAPI cursor of a SQLAlchemy `Connection`, without SQLAlchemy's
per-execute machinery: `Connection.execute` costs tens of microseconds per call in Python
(cache key, execution context, events, result object) on top of the statement itself,
more than SQLite takes to run the append's head query and insert. The SQL is still
SQLAlchemy's, compiled for the connection's dialect (qmark for SQLite, numbered with
casts for asyncpg), and so are the type conversions: each parameter goes through its
type's bind processor and each result column through its result processor, exactly as
`execute` would apply them. DBAPI errors are wrapped in SQLAlchemy's `DBAPIError` like
any others, so callers see one error type.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

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
