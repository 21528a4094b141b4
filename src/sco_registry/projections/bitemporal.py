"""The one write every read model makes: close the rows that no longer hold, open the new.

A read model's row has a record period [recorded_from, recorded_to) of log positions: it is
*open* (current) while `recorded_to` is NULL. When an event changes what a model derives
for some scope (a state's periods, a body's rows, a record's version, a stream's timeline
facts, the compliance findings), the model derives that scope's rows afresh (their content
columns) and hands them to `sync`, which compares them with the scope's open rows by
content, as a multiset:

* an open row whose content is among the derived rows is kept (it still holds: its record
  period goes on);
* an open row whose content is not is closed: `recorded_to` = the event's position;
* a derived row that no open row matched is opened: `recorded_from` = the event's
  position, `recorded_at` its record time, and, where the table has one, `ordinal` = its
  index among the derived rows (so rows opened by one event have distinct keys).

So the rows open after an event are exactly the rows derived from the log up to it, and the
rows known at position P (`recorded_from <= P < recorded_to`) are those a replay of the log
up to P would hold as current: the property every model's tests check against a replay.

`append` is the special case a model can prove cheaper: the event adds rows and closes none
(the first event of a stream; a timeline fact that corrects nothing), so only the inserts
are needed. It writes exactly the rows `sync` would, given the same open rows and ordinals.

The comparison is by a canonical JSON text of the content columns (`fingerprint`), so JSON
columns (events, sources, evidence) compare by value, as SQLite and PostgreSQL return them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.periods import Period
from sco_registry.domain.time import PartialDate
from sco_registry.projections import statements, unit
from sco_registry.store.base import RecordedEvent
from sco_registry.store.chain import format_timestamp

_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_dumps = orjson.dumps
_JSONEncodeError = orjson.JSONEncodeError
_stdlib = json.JSONEncoder(
    sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False
).encode


def fingerprint(row: Mapping[str, Any] | sa.RowMapping, content: Sequence[str]) -> str:
    """The content columns of a row (derived or read back), as one comparable text: sorted
    keys, anything not JSON as its `str` (dates, datetimes, subclasses of `str` and `int`,
    dataclasses included, as the standard library's `default=str` does). orjson writes it;
    what orjson refuses (keys not `str`, ints beyond 64 bits) the standard library writes,
    with the same separators, so that a plain value has the same text either way."""
    values = {c: row[c] for c in content}
    try:
        return _dumps(values, option=_OPTIONS, default=str).decode("utf-8")
    except _JSONEncodeError:
        return _stdlib(values)


class Derived(dict[str, Any]):
    """A derived row (content columns) a model keeps from one event to the next (one that
    depends only on events that do not change, such as a period's start and end): its
    fingerprint is made once (`sync`). It must not be changed once made."""

    __slots__ = ("_print",)


def _derived_print(row: Mapping[str, Any], content: tuple[str, ...]) -> str:
    """`fingerprint(row, content)`, kept with the row when it is a `Derived`."""
    if type(row) is not Derived:
        return fingerprint(row, content)
    found: tuple[tuple[str, ...], str] | None = getattr(row, "_print", None)
    if found is not None and found[0] == content:
        return found[1]
    text = fingerprint(row, content)
    row._print = (content, text)  # type: ignore[attr-defined]
    return text


def open_rows(
    conn: Connection, table: sa.Table, scope: Mapping[str, Any]
) -> Sequence[Mapping[Any, Any]]:
    """The scope's open rows (`scope`: column -> value; empty: the whole table). Under a
    unit (`unit.py`): read once per unit and kept there, the unit's own rows included
    (the caller must not change the list)."""
    buffer = unit.active(conn)
    if buffer is None:
        return _select_open(conn, table, scope)
    key = unit.scope_key(table, scope)
    rows = buffer.open.get(key)
    if rows is None:
        rows = buffer.open[key] = [dict(r) for r in _select_open(conn, table, scope)]
    return rows


def _select_open(
    conn: Connection, table: sa.Table, scope: Mapping[str, Any]
) -> list[sa.RowMapping]:
    columns = tuple(scope)

    def build(t: sa.Table) -> sa.Select[Any]:
        where = [t.c[c] == sa.bindparam(f"w_{c}") for c in columns]
        return sa.select(t).where(*where, t.c.recorded_to.is_(None))

    query = statements.cached(table, ("open", columns), build)
    params = {f"w_{c}": v for c, v in scope.items()}
    return list(conn.execute(query, params).mappings())


def sync(
    conn: Connection,
    table: sa.Table,
    *,
    scope: Mapping[str, Any],
    content: Sequence[str],
    derived: Sequence[Mapping[str, Any]],
    event: RecordedEvent,
    new_scope: bool = False,
    where: Callable[[Mapping[Any, Any]], bool] | None = None,
    ordinal_base: int = 0,
    differs: Callable[[Mapping[Any, Any]], bool] | None = None,
) -> int:
    """Make the open rows of `scope` in `table` the `derived` rows (their `content`
    columns, in a deterministic order), as of `event`: close what no longer holds, open
    what is new, keep the rest (see the module's docstring). `new_scope`: the caller knows
    the scope has no rows yet (its stream's first event), so none are read. `where`: only
    the scope's open rows it accepts are compared with `derived` (the others are left as
    they are: the caller derived that part of the scope alone). `ordinal_base` is added to
    the ordinals opened. `differs`: a test the caller can make cheaply that an open row's
    content is none of `derived`'s (true only when it is sure); when it holds for every
    open row compared, no fingerprint is made (each is closed, every derived row opened,
    as the comparison would have decided). Returns `len(derived)`: the ordinals this call
    may have used after `ordinal_base` (for a caller syncing several scopes of one table
    at one event)."""
    buffer = unit.active(conn)
    if new_scope:
        if buffer is not None:
            buffer.open.setdefault(unit.scope_key(table, scope), [])
        rows = [(ordinal_base + i, row) for i, row in enumerate(derived)]
        append(conn, table, scope=scope, rows=rows, event=event)
        return len(derived)
    content = tuple(content)
    # Under a unit, a row's fingerprint is computed once: the unit keeps it with the row.
    known = None if buffer is None else buffer.fingerprints
    current = open_rows(conn, table, scope)
    prints: list[str] | None = None
    if differs is None or not all(differs(row) for row in current if where is None or where(row)):
        prints = [_derived_print(row, content) for row in derived]
    wanted: dict[str, list[int]] = {}
    for i, text in enumerate(prints or ()):
        wanted.setdefault(text, []).append(i)
    kept: set[int] = set()
    key = [c.name for c in table.primary_key.columns]
    closed: list[dict[str, Any]] = []
    still: list[dict[str, Any]] = []
    for row in current:
        if where is None or where(row):
            if prints is None:
                text = ""  # `differs`: matches nothing derived
            elif known is None:
                text = fingerprint(row, content)
            else:
                found = known.get((id(row), content))
                if found is None:
                    text = fingerprint(row, content)
                    known[(id(row), content)] = (row, text)
                else:
                    text = found[1]
            matches = wanted.get(text)
            if not matches:
                if buffer is not None and id(row) in buffer.pending:
                    row["recorded_to"] = event.position  # type: ignore[index]  # the unit's
                else:
                    closed.append({"p_to": event.position, **{f"k_{c}": row[c] for c in key}})
                continue
            kept.add(matches.pop(0))
        if buffer is not None:
            still.append(row)  # type: ignore[arg-type]  # the unit's dicts
    if buffer is not None:
        if len(still) != len(current):
            buffer.open[unit.scope_key(table, scope)] = still
        if closed:
            buffer.closes.setdefault(table, []).extend(closed)
    elif closed:
        conn.execute(statements.cached(table, "close", unit.close_statement), closed)
    rows = [(ordinal_base + i, row) for i, row in enumerate(derived) if i not in kept]
    made = append(conn, table, scope=scope, rows=rows, event=event)
    if known is not None and made and prints is not None:
        opened = [i for i in range(len(derived)) if i not in kept]
        for i, row in zip(opened, made, strict=True):
            known[(id(row), content)] = (row, prints[i])
    return len(derived)


def append(
    conn: Connection,
    table: sa.Table,
    *,
    scope: Mapping[str, Any],
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    event: RecordedEvent,
) -> list[dict[str, Any]]:
    """Open `rows` ((ordinal, content) pairs) in `scope` as of `event`, closing nothing;
    returns the rows made (the table's columns), in the order of `rows`."""
    if not rows:
        return []
    ordinal = "ordinal" in table.c
    recorded_at = record_time(event)
    made = [
        {
            **scope,
            "recorded_from": event.position,
            **({"ordinal": i} if ordinal else {}),
            "recorded_to": None,
            "recorded_at": recorded_at,
            **content,
        }
        for i, content in rows
    ]
    buffer = unit.active(conn)
    if buffer is None:
        conn.execute(statements.insert(table), made)
        return made
    key = unit.scope_key(table, scope)
    opened = buffer.open.get(key)
    if opened is None:
        # Not read in this unit yet: read it before the unit holds rows of it.
        opened = buffer.open[key] = [dict(r) for r in _select_open(conn, table, scope)]
    buffer.insert(table, made)
    opened.extend(made)
    return made


@functools.lru_cache(maxsize=8192)
def _timestamp(value: dt.datetime) -> str:
    return format_timestamp(value)


def valid_columns(start: object, end: object) -> dict[str, str | None]:
    """`Period(start, end).columns()` of a record's dates as its facts give them (text, or
    nothing: a falsy value is no date), each date parsed once per text (`period_columns`:
    parsing the dates and building the period was most of a row's valid columns, and a
    history's events share their dates among models). A value that is not text is parsed
    (and refused) as before."""
    if (start is None or type(start) is str) and (end is None or type(end) is str):
        return period_columns(start or None, end or None)
    return Period(_date(start), _date(end)).columns()


def _date(value: Any) -> PartialDate | None:
    return PartialDate.parse(value) if value else None


def period_columns(start: str | None, end: str | None) -> dict[str, str | None]:
    """`Period(PartialDate.parse(start), PartialDate.parse(end)).columns()` (None: no date;
    any text parsed, "" refused as `PartialDate.parse` refuses it, a period ending before
    it starts as `Period` refuses it), each date parsed once per text (`_date_columns`)."""
    s = None if start is None else _date_columns(start)
    e = None if end is None else _date_columns(end)
    if s is not None and e is not None and e[0].definitely_before(s[0]):
        Period(s[0], e[0])  # raises, as building the period would
    return {
        "valid_from": None if s is None else s[1],
        "valid_from_lo": None if s is None else s[2],
        "valid_from_hi": None if s is None else s[3],
        "valid_to": None if e is None else e[1],
        "valid_to_lo": None if e is None else e[2],
        "valid_to_hi": None if e is None else e[3],
    }


@functools.lru_cache(maxsize=1 << 13)
def _date_columns(text: str) -> tuple[PartialDate, str, str, str]:
    """A date as given, parsed: it, its text as stored, its first and last days (ISO)."""
    date = PartialDate.parse(text)
    return date, str(date), date.lower.isoformat(), date.upper.isoformat()


def record_time(event: RecordedEvent) -> str:
    """`format_timestamp(event.recorded_at)`, made once per record time for the models that
    apply the same page in turn (cached by value: equal datetimes, one text)."""
    return _timestamp(event.recorded_at)
