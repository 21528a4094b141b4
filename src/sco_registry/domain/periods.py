"""Periods for read models: when a fact held in history (valid time) and when the registry knew it.

A **valid period** runs from a start to an end, each a `PartialDate` as the sources give it,
or absent. A partial date is an *indeterminate instant* (`docs/time.md`): "2004-06" is one day
of June 2004, not known which. So a period has four bounds, all days, all inclusive:

    the start day s lies in [start_lo, start_hi]      (the bounds of the start date)
    the end day e lies in [end_lo, end_hi]            (the bounds of the end date)

and the fact holds on the days s <= d < e: from its start day, up to but not including the day
of the change that ended it (on that day the next state holds). No start means "from the
start of its history" (a record that carries no date); no end means it still holds. A period
may be empty (a status replaced the same day it was given); an end that is definitely before
the start is refused (`period.end_before_start`).

On a day d the fact holds **definitely** when start_hi <= d < end_lo, **possibly** when
start_lo <= d < end_hi, and the answer is `Answer.YES`, `Answer.PERHAPS` or `Answer.NO`:
never an invented day. Asked about a partial date Q (a year, a month), there are two questions,
each exact for every choice of s and e the bounds allow (with s <= e):

* `throughout(Q)`: does it hold on every day of Q? definitely when start_hi <= Q.lower and
  Q.upper < end_lo; possibly when start_lo <= Q.lower and Q.upper < end_hi;
* `sometime_in(Q)`: does it hold on some day of Q? definitely when start_hi <= Q.upper,
  Q.lower < end_lo and start_hi < end_lo; possibly when start_lo <= Q.upper,
  Q.lower < end_hi and start_lo < end_hi.

For a day both are `on(day)`. Read models store the bounds as ISO day strings (`columns()`,
NULL for an absent bound; ISO strings of four-digit years compare as the days do, on SQLite
and PostgreSQL alike), and `valid_time_sql` gives the WHERE clauses over them;
`answer_from_columns` is the same logic in Python, for testing a read function's SQL.

A **record period** is a half-open interval of log positions [recorded_from, recorded_to): a
row is known from the position of the event that made it until the position of the event
that superseded it (a correction, a retraction, a later change), open while current.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.time import PartialDate


class Answer(enum.Enum):
    """An as-of answer: the fact holds, does not, or may (the dates do not decide)."""

    YES = "yes"
    NO = "no"
    PERHAPS = "perhaps"

    @property
    def certain(self) -> bool:
        return self is not Answer.PERHAPS

    @classmethod
    def of(cls, *, definite: bool, possible: bool) -> Answer:
        assert possible or not definite, "a definite fact is a possible one"
        if definite:
            return cls.YES
        return cls.PERHAPS if possible else cls.NO


class Span(enum.Enum):
    """What a question about a partial date asks: every day of it, or some day of it."""

    THROUGHOUT = "throughout"
    SOMETIME = "sometime"


VALID_TIME_COLUMNS = (
    "valid_from",
    "valid_from_lo",
    "valid_from_hi",
    "valid_to",
    "valid_to_lo",
    "valid_to_hi",
)


def _lower(d: PartialDate | None) -> dt.date | None:
    return None if d is None else d.lower


def _upper(d: PartialDate | None) -> dt.date | None:
    return None if d is None else d.upper


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


_Bounds = tuple[dt.date | None, dt.date | None, dt.date | None, dt.date | None]


@dataclass(frozen=True, slots=True)
class Period:
    """A valid period: `start` (None: from the start of its history) to `end` (None: open)."""

    start: PartialDate | None = None
    end: PartialDate | None = None
    _bounds: _Bounds = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, PartialDate):
                raise InvalidValue(
                    f"a period's {name} must be a partial date, not {type(value).__name__}",
                    code="period.malformed",
                )
        start, end = self.start, self.end
        if start is not None and end is not None and end.definitely_before(start):
            raise InvalidValue(
                f"a period cannot end ({end}) before it starts ({start})",
                code="period.end_before_start",
                details={"start": str(start), "end": str(end)},
            )
        bounds = (_lower(start), _upper(start), _lower(end), _upper(end))
        object.__setattr__(self, "_bounds", bounds)  # computed once: a frozen value

    @classmethod
    def parse(cls, start: str | None, end: str | None = None) -> Period:
        return cls(
            None if start is None else PartialDate.parse(start),
            None if end is None else PartialDate.parse(end),
        )

    @property
    def start_lo(self) -> dt.date | None:
        return self._bounds[0]

    @property
    def start_hi(self) -> dt.date | None:
        return self._bounds[1]

    @property
    def end_lo(self) -> dt.date | None:
        return self._bounds[2]

    @property
    def end_hi(self) -> dt.date | None:
        return self._bounds[3]

    @property
    def is_open(self) -> bool:
        return self.end is None

    def ended(self, end: PartialDate) -> Period:
        """This open period, closed by a change dated `end` (the fact's next state began then)."""
        if self.end is not None:
            raise InvalidValue(
                f"the period already ended ({self.end})",
                code="period.already_ended",
                details={"end": str(self.end), "new_end": str(end)},
            )
        return Period(self.start, end)

    def on(self, day: dt.date) -> Answer:
        """Does the fact hold on `day`? (Both spans of the question `PartialDate.of(day)`.)"""
        return self._answer(day, day, Span.THROUGHOUT)

    def throughout(self, when: PartialDate) -> Answer:
        """Does the fact hold on every day of `when`?"""
        return self._answer(when.lower, when.upper, Span.THROUGHOUT)

    def sometime_in(self, when: PartialDate) -> Answer:
        """Does the fact hold on at least one day of `when`?"""
        return self._answer(when.lower, when.upper, Span.SOMETIME)

    def _answer(self, q_lo: dt.date, q_hi: dt.date, span: Span) -> Answer:
        s_lo, s_hi, e_lo, e_hi = self._bounds
        return _rule(s_lo, s_hi, e_lo, e_hi, q_lo, q_hi, span)

    def columns(self) -> dict[str, str | None]:
        """The stored form: the dates as given (with their precision) and the four bounds."""
        return {
            "valid_from": None if self.start is None else str(self.start),
            "valid_from_lo": _iso(self.start_lo),
            "valid_from_hi": _iso(self.start_hi),
            "valid_to": None if self.end is None else str(self.end),
            "valid_to_lo": _iso(self.end_lo),
            "valid_to_hi": _iso(self.end_hi),
        }

    @classmethod
    def from_columns(cls, row: Mapping[str, object]) -> Period:
        """The period a stored row holds; its bounds must be those of its dates."""
        start, end = row.get("valid_from"), row.get("valid_to")
        for value in (start, end):
            if value is not None and not isinstance(value, str):
                raise InvalidValue(
                    f"a stored date must be text, not {type(value).__name__}",
                    code="period.malformed_columns",
                )
        assert start is None or isinstance(start, str)
        assert end is None or isinstance(end, str)
        period = cls.parse(start, end)
        stored = {k: row.get(k) for k in VALID_TIME_COLUMNS}
        if stored != period.columns():
            raise InvalidValue(
                "the stored bounds are not those of the stored dates",
                code="period.malformed_columns",
                details={"stored": stored, "expected": period.columns()},
            )
        return period

    def __str__(self) -> str:
        return f"[{self.start or '..'}, {self.end or '..'})"


def question_params(when: dt.date | PartialDate) -> dict[str, str]:
    """The bind parameters of an as-of question: `q_lo`, `q_hi` (a day: both that day)."""
    if isinstance(when, dt.datetime) or not isinstance(when, dt.date | PartialDate):
        raise InvalidValue(
            f"an as-of question is a date or a partial date, not {type(when).__name__}",
            code="period.malformed_question",
        )
    q = when if isinstance(when, PartialDate) else PartialDate.of(when)
    return {"q_lo": q.lower.isoformat(), "q_hi": q.upper.isoformat()}


def answer_from_columns(row: Mapping[str, object], params: Mapping[str, str], span: Span) -> Answer:
    """`valid_time_sql`'s logic in Python over a stored row (ISO day strings, None for NULL).

    `Period`'s answers come from the same rule on days, so a read function's SQL is tested
    against the very rule the domain states.
    """
    s_lo, s_hi, e_lo, e_hi = (
        _text(row, k) for k in VALID_TIME_COLUMNS[1:3] + VALID_TIME_COLUMNS[4:]
    )
    return _rule(s_lo, s_hi, e_lo, e_hi, params["q_lo"], params["q_hi"], span)


# Days or their ISO strings: the rule is the same on both (ISO days sort as the days do).
_Day = TypeVar("_Day", dt.date, str)


def _rule(
    s_lo: _Day | None,
    s_hi: _Day | None,
    e_lo: _Day | None,
    e_hi: _Day | None,
    q_lo: _Day,
    q_hi: _Day,
    span: Span,
) -> Answer:
    """The whole rule. An absent bound is no constraint ("x IS NULL OR ..." in the SQL)."""

    def le(a: _Day | None, b: _Day | None) -> bool:
        return a is None or b is None or a <= b

    def lt(a: _Day | None, b: _Day | None) -> bool:
        return a is None or b is None or a < b

    if span is Span.THROUGHOUT:
        definite = le(s_hi, q_lo) and lt(q_hi, e_lo)
        possible = le(s_lo, q_lo) and lt(q_hi, e_hi)
    else:
        definite = le(s_hi, q_hi) and lt(q_lo, e_lo) and lt(s_hi, e_lo)
        possible = le(s_lo, q_hi) and lt(q_lo, e_hi) and lt(s_lo, e_hi)
    return Answer.of(definite=definite, possible=possible)


def _text(row: Mapping[str, object], key: str) -> str | None:
    value = row[key]
    if value is not None and not isinstance(value, str):
        raise InvalidValue(
            f"{key} must be an ISO day string, not {type(value).__name__}",
            code="period.malformed_columns",
        )
    return value


def valid_time_sql(span: Span, *, definite: bool, table: str = "") -> str:
    """The WHERE clause (text, binds `:q_lo`, `:q_hi`) for rows that hold definitely or possibly.

    Rows answering `Answer.YES` match the definite clause; `Answer.PERHAPS` the possible one
    and not the definite one; `Answer.NO` neither. `table` qualifies the columns (`"s"` gives
    `s.valid_from_lo`; a trusted identifier, never user input). The same text runs on SQLite
    and PostgreSQL (text columns).
    """
    p = f"{table}." if table else ""
    s_lo, s_hi, e_lo, e_hi = (f"{p}{k}" for k in VALID_TIME_COLUMNS[1:3] + VALID_TIME_COLUMNS[4:])

    def col_le(col: str, param: str) -> str:
        return f"({col} IS NULL OR {col} <= {param})"

    def lt_col(param: str, col: str) -> str:
        return f"({col} IS NULL OR {param} < {col})"

    def cols_lt(a: str, b: str) -> str:
        return f"({a} IS NULL OR {b} IS NULL OR {a} < {b})"

    if span is Span.THROUGHOUT:
        if definite:
            parts = [col_le(s_hi, ":q_lo"), lt_col(":q_hi", e_lo)]
        else:
            parts = [col_le(s_lo, ":q_lo"), lt_col(":q_hi", e_hi)]
    elif definite:
        parts = [col_le(s_hi, ":q_hi"), lt_col(":q_lo", e_lo), cols_lt(s_hi, e_lo)]
    else:
        parts = [col_le(s_lo, ":q_hi"), lt_col(":q_lo", e_hi), cols_lt(s_lo, e_hi)]
    return " AND ".join(parts)


# Occasions: the days something took place, its last day included.


def occasion_answer(period: Period, when: dt.date | PartialDate, span: Span) -> Answer:
    """Did the occasion `period` (a meeting: its start date to its end date, *both days
    included*; no end date: the one day of its start) take place on every day (`THROUGHOUT`)
    or some day (`SOMETIME`) of `when`? Never an invented day.

    A `Period` holds up to the day of the change that ended it (its end is the next state's
    first day); a meeting's end date is its own last day, so its stored period cannot be asked
    with `Period.on` or `valid_time_sql`. With the occasion's days [s, e], s in
    [start_lo, start_hi] and e in [end_lo, end_hi] (no end: e = s), s <= e:

    * throughout Q: definitely when start_hi <= Q.lower and Q.upper <= end_lo, possibly when
      start_lo <= Q.lower and Q.upper <= end_hi (a one-day occasion covers a one-day Q only);
    * some day of Q: definitely when start_hi <= Q.upper and Q.lower <= end_lo, possibly when
      start_lo <= Q.upper and Q.lower <= end_hi.

    `occasion_sql` is the same rule over the stored columns.
    """
    q = when if isinstance(when, PartialDate) else PartialDate.of(when)
    s_lo, s_hi, e_lo, e_hi = period.start_lo, period.start_hi, period.end_lo, period.end_hi
    one_day = period.end is None and period.start is not None
    if one_day:
        e_lo, e_hi = s_lo, s_hi
    # s <= e narrows each bound by the other date: s <= end_hi, e >= start_lo.
    if s_hi is not None and e_hi is not None and e_hi < s_hi:
        s_hi = e_hi
    if e_lo is not None and s_lo is not None and s_lo > e_lo:
        e_lo = s_lo

    def le(a: dt.date | None, b: dt.date | None) -> bool:
        return a is None or b is None or a <= b

    if span is Span.THROUGHOUT:
        fits = not one_day or q.lower == q.upper
        definite = fits and le(s_hi, q.lower) and le(q.upper, e_lo)
        possible = fits and le(s_lo, q.lower) and le(q.upper, e_hi)
    else:
        definite = le(s_hi, q.upper) and le(q.lower, e_lo)
        possible = le(s_lo, q.upper) and le(q.lower, e_hi)
    return Answer.of(definite=definite, possible=possible)


def occasion_sql(span: Span, *, definite: bool, table: str = "") -> str:
    """`occasion_answer` as a WHERE clause over the stored columns (binds `:q_lo`, `:q_hi`):
    rows answering yes match the definite clause, perhaps the possible one and not the
    definite one. An absent end is the start's day (COALESCE); `table` as `valid_time_sql`."""
    p = f"{table}." if table else ""
    s_lo, start_hi = f"{p}valid_from_lo", f"{p}valid_from_hi"
    end_lo = f"COALESCE({p}valid_to_lo, {s_lo})"
    e_hi = f"COALESCE({p}valid_to_hi, {start_hi})"
    # s <= e: s is at most end_hi, e at least start_lo (CASE: the same text on both backends).
    s_hi = f"(CASE WHEN {e_hi} < {start_hi} THEN {e_hi} ELSE {start_hi} END)"
    e_lo = f"(CASE WHEN {s_lo} > {end_lo} THEN {s_lo} ELSE {end_lo} END)"

    def le(a: str, b: str) -> str:
        nulls = " OR ".join(f"{x} IS NULL" for x in (a, b) if not x.startswith(":"))
        return f"({nulls} OR {a} <= {b})"

    if span is Span.THROUGHOUT:
        fits = f"({p}valid_to IS NOT NULL OR {p}valid_from IS NULL OR :q_lo = :q_hi)"
        if definite:
            parts = [fits, le(s_hi, ":q_lo"), le(":q_hi", e_lo)]
        else:
            parts = [fits, le(s_lo, ":q_lo"), le(":q_hi", e_hi)]
    elif definite:
        parts = [le(s_hi, ":q_hi"), le(":q_lo", e_lo)]
    else:
        parts = [le(s_lo, ":q_hi"), le(":q_lo", e_hi)]
    return " AND ".join(parts)


# Record time.


def record_time_sql(table: str = "") -> str:
    """The WHERE clause (text, binds `:position`) for rows known at a log position."""
    p = f"{table}." if table else ""
    return (
        f"{p}recorded_from <= :position AND ({p}recorded_to IS NULL OR {p}recorded_to > :position)"
    )


RECORD_TIME_SQL = record_time_sql()


@dataclass(frozen=True, slots=True)
class RecordPeriod:
    """The log positions [recorded_from, recorded_to) at which the registry held a row."""

    recorded_from: int
    recorded_to: int | None = None

    def __post_init__(self) -> None:
        if self.recorded_from < 1:
            raise InvalidValue(
                f"a log position starts at 1, not {self.recorded_from}",
                code="period.malformed_position",
            )
        if self.recorded_to is not None and self.recorded_to <= self.recorded_from:
            raise InvalidValue(
                f"a row recorded at {self.recorded_from} "
                f"cannot be superseded at {self.recorded_to}",
                code="period.superseded_before_recorded",
                details={"recorded_from": self.recorded_from, "recorded_to": self.recorded_to},
            )

    @property
    def is_current(self) -> bool:
        return self.recorded_to is None

    def known_at(self, position: int) -> bool:
        """Did the registry hold this row once the log reached `position`?"""
        return self.recorded_from <= position and (
            self.recorded_to is None or self.recorded_to > position
        )

    def superseded_at(self, position: int) -> RecordPeriod:
        """This current row, closed by the event at `position` (a correction, a retraction...)."""
        if self.recorded_to is not None:
            raise InvalidValue(
                f"the row was already superseded at {self.recorded_to}",
                code="period.already_superseded",
                details={"recorded_to": self.recorded_to, "position": position},
            )
        return RecordPeriod(self.recorded_from, position)


def position_known_at(log: Iterable[tuple[int, dt.datetime]], at: dt.datetime) -> int:
    """The log position the registry had reached at time `at` (0: nothing recorded yet).

    `log` is (position, recorded_at) in position order. The answer is the longest prefix of
    the log recorded at or before `at`: the last position recorded at or before it, whenever
    `recorded_at` never decreases along the log (a clock that stepped back cannot make a
    later event known earlier than one before it).
    """
    if at.tzinfo is None:
        raise InvalidValue("a time to ask about needs a time zone", code="period.naive_time")
    reached = 0
    for position, recorded_at in log:
        if recorded_at > at:
            break
        reached = position
    return reached
