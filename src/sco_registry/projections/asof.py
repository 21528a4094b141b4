"""The valid-time half of a read: "as of a date in history", for the record models' reads
(meetings, documents, organizations) and the mandates' (`docs/time.md`).

A read asked `as_of` a day or a partial date selects with the WHERE clauses of
`domain/periods.py` over the row's stored bounds and says, per row, `yes` or `perhaps`
(`certain` is false for perhaps), or `no` where a read of one record returns it anyway:
never an invented day. Two rules:

- `Rule.PERIOD`: a fact that holds from its start up to the day its end names (a document
  from its signature to its supersession, an organization from its founding to its
  succession, a mandate from its giving to its fulfilment): `valid_time_sql`;
- `Rule.OCCASION`: something that took place from its start day to its end day, the end day
  included, one day when no end is given (a meeting in session): `occasion_sql`.

The record-time half (`known_at`, a position) stays each model's `known(...)` condition;
`position_at` turns a time T into the position the log had reached then.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.periods import (
    VALID_TIME_COLUMNS,
    Answer,
    Period,
    Span,
    occasion_sql,
    question_params,
    valid_time_sql,
)
from sco_registry.domain.time import PartialDate, parse_cached
from sco_registry.store.chain import format_timestamp

AsOf = dt.date | PartialDate


class Rule(enum.Enum):
    PERIOD = "period"
    OCCASION = "occasion"


def _clause(rule: Rule, span: Span, definite: bool, table: sa.Table) -> str:
    if rule is Rule.OCCASION:
        return occasion_sql(span, definite=definite, table=table.name)
    return valid_time_sql(span, definite=definite, table=table.name)


def possible(table: sa.Table, as_of: AsOf, span: Span, rule: Rule) -> sa.TextClause:
    """The rows that may hold (or take place) on `as_of`: the rows a list read keeps."""
    return sa.text(_clause(rule, span, False, table)).bindparams(**question_params(as_of))


def answer_column(table: sa.Table, as_of: AsOf, span: Span, rule: Rule) -> sa.Label[str]:
    """`answer`: 'yes' where the row definitely holds on `as_of`, 'perhaps' where it may,
    'no' otherwise (a list read filters the noes out with `possible`)."""
    params = question_params(as_of)
    definite = sa.text(_clause(rule, span, True, table)).bindparams(**params)
    maybe = sa.text(_clause(rule, span, False, table)).bindparams(**params)
    return sa.case((definite, "yes"), (maybe, "perhaps"), else_="no").label("answer")


def answer_of(value: str | None) -> Answer | None:
    """The stored answer column read back (None: the read was not asked as of a date)."""
    return None if value is None else Answer(value)


def answer_in(m: Mapping[str, Any] | sa.RowMapping) -> Answer | None:
    """The row's `answer` column, if the read selected one (`answer_of`). A membership test,
    not `m.get`: on a SQLAlchemy row a missing key costs a raised and caught KeyError."""
    return answer_of(m["answer"]) if "answer" in m else None


# --- building answers: the same immutable values for the same stored text, made once --------


@functools.lru_cache(maxsize=1 << 16)
def _period(values: tuple[Any, ...]) -> Period:
    return Period.from_columns(dict(zip(VALID_TIME_COLUMNS, values, strict=True)))


def period_of(m: Mapping[str, Any] | sa.RowMapping) -> Period:
    """`Period.from_columns(row)`, its checks included (a malformed row still raises: an
    exception is not cached), made once per distinct stored period: a page's rows share
    most of theirs, and parsing them was a good part of a read's Python time."""
    return _period(tuple(m[c] for c in VALID_TIME_COLUMNS))


def period_from(values: tuple[Any, ...]) -> Period:
    """`period_of` from the row's `VALID_TIME_COLUMNS` values, in that order."""
    return _period(values)


def date_of(text: str | None) -> PartialDate | None:
    """A stored partial date (`parse_cached`: the values are immutable)."""
    return parse_cached(text) if text else None


def position_at(conn: Connection, at: dt.datetime) -> int:
    """ "Known at a time T" as a position: the log position the registry had reached at `at`
    (0: nothing recorded yet), for any read's `known_at`. The longest prefix of the log
    recorded at or before `at` (`domain.periods.position_known_at`: a clock that stepped
    back never makes a later event known earlier than one before it), read from the audit
    model's copy of every event's position and record time (so it runs over the read
    models' connection on every store; the audit model must be current). `at` needs a time
    zone (`period.naive_time`)."""
    if at.tzinfo is None:
        raise InvalidValue("a time to ask about needs a time zone", code="period.naive_time")
    from sco_registry.projections import audit

    events = audit.LIVE[audit.EVENTS]
    later = sa.select(sa.func.min(events.c.position) - 1).where(
        events.c.recorded_at > format_timestamp(at)
    )
    last = sa.select(sa.func.max(events.c.position))
    query = sa.select(sa.func.coalesce(later.scalar_subquery(), last.scalar_subquery(), 0))
    return int(conn.execute(query).scalar_one())
