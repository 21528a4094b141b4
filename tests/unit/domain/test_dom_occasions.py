"""Occasions (`domain/periods.py`: `occasion_answer`, `occasion_sql`): a meeting's days run from
its start date to its end date, both included, one day when no end is given; asked about a
day or a partial date: yes, no or perhaps, never an invented day.

The answers are checked against an oracle that tries every first and last day the dates
allow, the SQL against the Python rule on SQLite, and the negative controls show the
oracle catches the period rule (end excluded) and a rule that drops the one-day case.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sco_registry.domain.periods import (
    VALID_TIME_COLUMNS,
    Answer,
    Period,
    Span,
    occasion_answer,
    occasion_sql,
    question_params,
)
from sco_registry.domain.time import PartialDate
from tests.unit.domain.dates import near_dates

D = PartialDate.parse
day = dt.date.fromisoformat
ONE = dt.timedelta(days=1)


def _days(d: PartialDate) -> list[dt.date]:
    return [d.lower + i * ONE for i in range((d.upper - d.lower).days + 1)]


def _took_place(s: dt.date, e: dt.date, q: PartialDate, span: Span) -> bool:
    """Did the occasion of the days [s, e] (both included) cover every / some day of q?"""
    if span is Span.THROUGHOUT:
        return s <= q.lower and q.upper <= e
    return max(s, q.lower) <= min(e, q.upper)


def oracle(period: Period, q: PartialDate, span: Span) -> Answer:
    """Try every first day s and last day e (s <= e; no end date: e = s) the dates allow.
    For a fixed s both questions are monotone in e, so the earliest and latest e decide."""
    assert period.start is not None
    outcomes: list[bool] = []
    for s in _days(period.start):
        if period.end is None:
            outcomes.append(_took_place(s, s, q, span))
            continue
        earliest, latest = max(period.end.lower, s), period.end.upper
        if earliest > latest:
            continue
        outcomes += [_took_place(s, earliest, q, span), _took_place(s, latest, q, span)]
    assert outcomes
    return Answer.of(definite=all(outcomes), possible=any(outcomes))


@st.composite
def occasions(draw: st.DrawFn) -> Period:
    start = draw(near_dates)
    end = draw(st.none() | near_dates)
    if end is not None and end.definitely_before(start):
        start, end = end, start
    return Period(start, end)


Rule = Callable[[Period, PartialDate, Span], Answer]


def _check_against_oracle(rule: Rule) -> None:
    @given(occasions(), near_dates, st.sampled_from(Span))
    # The close calls: the last day of a meeting, a one-day meeting, a one-day meeting
    # dated to a month asked about the whole month or a day of it.
    @example(Period.parse("2001-06-14", "2001-06-15"), D("2001-06-15"), Span.THROUGHOUT)
    @example(Period.parse("1996-04-26", "1996-04-26"), D("1996-04-26"), Span.SOMETIME)
    @example(Period.parse("2004-06"), D("2004-06"), Span.THROUGHOUT)
    @example(Period.parse("2004-06"), D("2004-06-15"), Span.SOMETIME)
    def check(period: Period, q: PartialDate, span: Span) -> None:
        assert rule(period, q, span) is oracle(period, q, span), (str(period), str(q), span)

    check()


def test_answers_agree_with_every_first_and_last_day_the_dates_allow() -> None:
    _check_against_oracle(occasion_answer)


def _period_rule(period: Period, q: PartialDate, span: Span) -> Answer:
    """A mutant: the meeting asked as a `Period` (its end date excluded, no end: open)."""
    return period.throughout(q) if span is Span.THROUGHOUT else period.sometime_in(q)


def _no_one_day_case(period: Period, q: PartialDate, span: Span) -> Answer:
    """A mutant: a meeting without an end date asked as if it might last any number of
    days within its start date."""
    return occasion_answer(Period(period.start, period.end or period.start), q, span)


@pytest.mark.parametrize("mutant", [_period_rule, _no_one_day_case])
def test_negative_control_the_oracle_catches_a_wrong_rule(mutant: Rule) -> None:
    with pytest.raises(AssertionError):
        _check_against_oracle(mutant)


def test_the_bundled_one_day_and_two_day_summits() -> None:
    shanghai_1996 = Period.parse("1996-04-26", "1996-04-26")
    assert occasion_answer(shanghai_1996, day("1996-04-26"), Span.SOMETIME) is Answer.YES
    assert occasion_answer(shanghai_1996, day("1996-04-27"), Span.SOMETIME) is Answer.NO
    # As a Period it is empty: it would hold on no day at all.
    assert shanghai_1996.on(day("1996-04-26")) is Answer.NO
    shanghai_2001 = Period.parse("2001-06-14", "2001-06-15")
    assert occasion_answer(shanghai_2001, day("2001-06-15"), Span.SOMETIME) is Answer.YES
    assert occasion_answer(shanghai_2001, D("2001-06"), Span.THROUGHOUT) is Answer.NO
    assert occasion_answer(shanghai_2001, D("2001-06"), Span.SOMETIME) is Answer.YES


def test_a_meeting_dated_to_a_month() -> None:
    june = Period.parse("2004-06")  # one day of June 2004, not known which
    assert occasion_answer(june, day("2004-05-31"), Span.SOMETIME) is Answer.NO
    assert occasion_answer(june, day("2004-06-15"), Span.SOMETIME) is Answer.PERHAPS
    assert occasion_answer(june, D("2004-06"), Span.SOMETIME) is Answer.YES
    assert occasion_answer(june, D("2004-06"), Span.THROUGHOUT) is Answer.NO
    assert occasion_answer(june, D("2004"), Span.SOMETIME) is Answer.YES
    # With an end date in the month, it may have lasted the whole of it.
    assert occasion_answer(Period.parse("2004-06", "2004-06"), D("2004-06"), Span.THROUGHOUT) is (
        Answer.PERHAPS
    )


# The SQL: the same rule as the Python, on SQLite.


def _sql_answers(
    rows: list[dict[str, str | None]], params: dict[str, str], span: Span
) -> list[str]:
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE TABLE m (id INTEGER PRIMARY KEY, {', '.join(VALID_TIME_COLUMNS)})")
        db.executemany(
            f"INSERT INTO m VALUES (:id, {', '.join(':' + c for c in VALID_TIME_COLUMNS)})",
            [{"id": i, **r} for i, r in enumerate(rows)],
        )

        def ids(definite: bool) -> set[int]:
            where = occasion_sql(span, definite=definite, table="m")
            return {i for (i,) in db.execute(f"SELECT id FROM m WHERE {where}", params)}

        yes, maybe = ids(True), ids(False)
        assert yes <= maybe
        return ["yes" if i in yes else "perhaps" if i in maybe else "no" for i in range(len(rows))]
    finally:
        db.close()


@given(st.lists(occasions(), min_size=1, max_size=20), near_dates, st.sampled_from(Span))
@example([Period.parse("2004-06")], D("2004-06-15"), Span.THROUGHOUT)
def test_the_where_clauses_select_what_the_rule_answers(
    ps: list[Period], q: PartialDate, span: Span
) -> None:
    expected = [occasion_answer(p, q, span).value for p in ps]
    assert _sql_answers([p.columns() for p in ps], question_params(q), span) == expected


def test_negative_control_a_where_clause_without_the_one_day_case_is_caught() -> None:
    rows = [Period.parse("2004-06").columns()]
    params = question_params(D("2004-06"))
    assert _sql_answers(rows, params, Span.THROUGHOUT) == ["no"]
    where = occasion_sql(Span.THROUGHOUT, definite=False).replace(":q_lo = :q_hi", "1 = 1")
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE t ({', '.join(VALID_TIME_COLUMNS)})")
    db.execute(f"INSERT INTO t VALUES ({', '.join(':' + c for c in VALID_TIME_COLUMNS)})", rows[0])
    assert db.execute(f"SELECT count(*) FROM t WHERE {where}", params).fetchone() == (1,)
    db.close()
