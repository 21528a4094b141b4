"""A write buffer for one unit of work: the rows a projection reads and writes, held in
memory and written once, one `executemany` per table.

Every read model writes through the same few helpers (`streams.keep` / `add` / `read`,
`bitemporal.open_rows` / `sync` / `append`, `write`). Applied event by event, each of
them is a statement (or two) per event, and SQLAlchemy Core costs 60-100 us a statement
before the database does anything. Within one unit of work (a rebuild's or a catch-up's
page, an append's events) a `Unit` is *active* on the connection (`buffered(conn)`); then:

* a kept stream (`streams`) is read from the database at most once per unit (or not at
  all: a stream whose first event is in the unit), and the events added to it are kept in
  memory, in position order, and inserted at `flush`;
* a scope's open rows (`bitemporal`) are read at most once per unit; the rows opened are
  kept in memory (and are the scope's open rows from then on), a row opened and closed in
  the same unit is inserted closed, a row of the database closed is updated at `flush`;
* a model's own state (`memo`: the audit's hashes, the compliance facts) lives as long as
  the unit.

`flush` writes it all: per table, one `executemany` of the rows opened, one of the rows
closed (and a model's own writes, `on_flush`), on the DBAPI cursor with the JSON columns
encoded by orjson (`statements.write_rows`: SQLAlchemy's per-row parameter processing and
the standard library's JSON encoder were most of a flush's time). The database then
holds exactly what the same events applied one by one would have written: the helpers
make the same decisions from the same rows (the scope's open rows, the stream as
recorded), only read from memory instead of the database. Nothing else may read a
buffered table during the unit (the models' own reads go through the helpers: the one
rule of this module).

Inline, a unit's open rows also outlive it (`Carried`, handed on by the runner): the next
append's unit of the same projection starts from them instead of reading its scopes again,
if its first event follows the last one the carrying unit applied in the log's hash chain
(so nothing else was committed in between, and the carrying append was not rolled back);
any other write of the runner's (catch-up, rebuild, verify) drops them. A scope's open rows
were otherwise read again at every append: most of a model's inline cost (one SELECT per
scope, each open row decoded and fingerprinted again).

The invariant that makes the caches right: a scope with buffered writes is always in the
cache, because a write goes through the cache (loading it first, or starting it empty when
the caller knows the scope is new); a kept stream with buffered writes is in the cache, or
not read in this unit at all, its rows added in the unit then kept as its tail
(`stream_tails`), which follows the rows read from the database when it is read (the
unit's events come after those the database holds).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.projections import statements

ScopeKey = tuple[sa.Table, tuple[tuple[str, Any], ...]]
StreamKey = tuple[sa.Table, str, Any]


# Bounds on what an inline unit leaves to the next (`Carried`), per projection: past them,
# nothing (or no fingerprint) is carried, and the next unit reads its scopes again. The
# memory held between appends is at most about MAX_CARRIED_ROWS row dicts per projection.
MAX_CARRIED_SCOPES = 1024
MAX_CARRIED_ROWS = 10_000
MAX_CARRIED_PRINTS = 20_000


class Carried:
    """A unit's open rows, and their fingerprints, as its flush left them in the database,
    for the next unit of the same projection: the position and hash of the last event
    the unit applied say where they stand (`ProjectionRunner.apply_inline` hands them on
    only to a unit whose first event follows that one in the hash chain)."""

    __slots__ = ("fingerprints", "hash", "open", "position")

    def __init__(
        self,
        position: int,
        hash: str,
        open: dict[ScopeKey, list[dict[str, Any]]],
        fingerprints: dict[tuple[int, tuple[str, ...]], tuple[Any, str]],
    ) -> None:
        self.position, self.hash = position, hash
        self.open, self.fingerprints = open, fingerprints


class Unit:
    """What one unit of work has read and not yet written (see the module's docstring).
    `carried`: the open rows a previous unit left (`Carried`), taken as read (the unit
    then changes them in place: a carried state serves one unit)."""

    def __init__(self, carried: Carried | None = None) -> None:
        self._reset(carried)

    def _reset(self, carried: Carried | None = None) -> None:
        # A kept stream's rows (dicts of the table's columns), in position order.
        self.streams: dict[StreamKey, list[dict[str, Any]]] = {}
        # The rows added in this unit to a kept stream not read in it (`streams.add`): they
        # follow its rows in the database, and join them when it is read.
        self.stream_tails: dict[StreamKey, list[dict[str, Any]]] = {}
        # A scope's open rows (dicts of the table's columns): read once, then kept here.
        self.open: dict[ScopeKey, list[dict[str, Any]]] = {} if carried is None else carried.open
        # Rows to insert, per table (a row closed in this unit carries its recorded_to).
        self.inserts: dict[sa.Table, list[dict[str, Any]]] = {}
        # ids of the closable dicts in `inserts` (closing one of them changes it in place).
        self.pending: set[int] = set()
        # Rows of the database to close, per table: the key's values and `p_to`.
        self.closes: dict[sa.Table, list[dict[str, Any]]] = {}
        # The content fingerprints (`bitemporal.fingerprint`) of the unit's open rows, by the
        # row's id and the content columns (the row kept too, so its id stays its own).
        self.fingerprints: dict[tuple[int, tuple[str, ...]], tuple[Any, str]] = (
            {} if carried is None else carried.fingerprints
        )
        # A model's own state for the unit, by a key of its own.
        self.memo: dict[Hashable, Any] = {}
        # The position and hash of the event the carried rows stand at (the log's event
        # just before this unit's first: the runner hands a `Carried` on only then).
        self.head: tuple[int, str] | None = (
            None if carried is None else (carried.position, carried.hash)
        )
        self._on_flush: list[Callable[[Connection], None]] = []

    def insert(self, table: sa.Table, rows: list[dict[str, Any]], closable: bool = True) -> None:
        """Buffer `rows` for `table`; `closable`: rows a model may close in this unit
        (`bitemporal`'s open rows; not a kept stream's or an audit's, never changed)."""
        self.inserts.setdefault(table, []).extend(rows)
        if closable:
            self.pending.update(id(r) for r in rows)

    def on_flush(self, write: Callable[[Connection], None]) -> None:
        """Run `write(conn)` at `flush`, after the rows (once per call of this)."""
        self._on_flush.append(write)

    def flush(self, conn: Connection) -> None:
        """Write what the unit holds, one statement per table and kind; empties it."""
        for table, rows in self.inserts.items():
            statements.write_rows(conn, table, rows)
        for table, keys in self.closes.items():
            statements.update_rows(conn, table, "close", close_statement, keys)
        for write in self._on_flush:
            write(conn)
        self._reset()

    def flush_carried(self, conn: Connection, position: int, hash: str) -> Carried:
        """`flush`, and the open rows it leaves in the database (every scope read or
        written in the unit: the unit's rows are those of the database once written),
        with their fingerprints, for the next unit (`Carried`), within the bounds."""
        scopes, prints = self.open, self.fingerprints
        self.flush(conn)
        if len(scopes) > MAX_CARRIED_SCOPES or sum(map(len, scopes.values())) > MAX_CARRIED_ROWS:
            scopes, prints = {}, {}
        elif len(prints) > MAX_CARRIED_PRINTS:
            prints = {}  # recomputed when needed; a row's own dict keeps its id meanwhile
        return Carried(position, hash, scopes, prints)


def close_statement(t: sa.Table) -> sa.Update:
    """`UPDATE t SET recorded_to = :p_to WHERE <key> = :k_<key>` (executemany)."""
    key = [c == sa.bindparam(f"k_{c.name}") for c in t.primary_key.columns]
    return t.update().where(*key).values(recorded_to=sa.bindparam("p_to"))


_ACTIVE: dict[int, Unit] = {}


def active(conn: Connection) -> Unit | None:
    """The unit active on `conn`, if any."""
    return _ACTIVE.get(id(conn)) if _ACTIVE else None


@contextmanager
def buffered(conn: Connection, carried: Carried | None = None) -> Iterator[Unit]:
    """A unit active on `conn` while the block runs (the caller flushes it; what is not
    flushed is dropped), starting from `carried` if given. Nested: the unit already
    active (`carried` then unused)."""
    found = _ACTIVE.get(id(conn))
    if found is not None:
        yield found
        return
    made = _ACTIVE[id(conn)] = Unit(carried)
    try:
        yield made
    finally:
        del _ACTIVE[id(conn)]


def write(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `table`: buffered when a unit is active, else at once (rows no
    model closes: those of a table `bitemporal` keeps go through `bitemporal.append`)."""
    if not rows:
        return
    unit = active(conn)
    if unit is None:
        conn.execute(statements.insert(table), rows)
    else:
        unit.insert(table, rows, closable=False)


def scope_key(table: sa.Table, scope: Mapping[str, Any]) -> ScopeKey:
    return (table, tuple(sorted(scope.items())))
