"""Valid and record periods (`domain/periods.py`): yes / no / perhaps, never an invented day.

The answers are checked against an oracle that tries every start day and end day the
partial dates allow, and the stored columns' SQL against the Python rule on SQLite.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.periods import (
    RECORD_TIME_SQL,
    VALID_TIME_COLUMNS,
    Answer,
    Period,
    RecordPeriod,
    Span,
    answer_from_columns,
    position_known_at,
    question_params,
    record_time_sql,
    valid_time_sql,
)
from sco_registry.domain.time import PartialDate, Precision
from tests.unit.domain.dates import near_dates

D = PartialDate.parse
day = dt.date.fromisoformat
ONE = dt.timedelta(days=1)
HISTORY = Path(__file__).parents[3] / "data" / "sco-history-1996-2012.json"


def _days(d: PartialDate) -> list[dt.date]:
    return [d.lower + i * ONE for i in range((d.upper - d.lower).days + 1)]


def _holds(s: dt.date, e: dt.date, q: PartialDate, span: Span) -> bool:
    """Does the fact that began on s and ended on e (exclusive) hold on every / some day of q?"""
    if span is Span.THROUGHOUT:
        return s <= q.lower and q.upper < e
    first = max(s, q.lower)
    return first <= q.upper and first < e


def oracle(period: Period, q: PartialDate, span: Span) -> Answer:
    """Try every start day s and end day e (s <= e) the period's dates allow.

    Absent bounds are one extreme day. For a fixed s, holding is monotone in e (a later end
    only adds days), so "for every e" is decided by the earliest allowed e and "for some e"
    by the latest: this keeps the oracle to one pass over the start days.
    """
    starts = [dt.date.min] if period.start is None else _days(period.start)
    outcomes: list[bool] = []
    for s in starts:
        if period.end is None:
            earliest = latest = dt.date.max
        else:
            earliest, latest = max(period.end.lower, s), period.end.upper
            if earliest > latest:
                continue  # no end day can follow this start day
        outcomes += [_holds(s, earliest, q, span), _holds(s, latest, q, span)]
    assert outcomes, f"{period} allows no start and end at all"
    return Answer.of(definite=all(outcomes), possible=any(outcomes))


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = draw(st.none() | near_dates)
    end = draw(st.none() | near_dates)
    if start is not None and end is not None and end.definitely_before(start):
        start, end = end, start
    return Period(start, end)


def _edges(period: Period) -> list[dt.date]:
    bounds = [period.start_lo, period.start_hi, period.end_lo, period.end_hi]
    return [b + k * ONE for b in bounds if b is not None for k in (-1, 0, 1)]


@st.composite
def period_and_question(draw: st.DrawFn) -> tuple[Period, PartialDate]:
    """A period, and a question often at one of its bounds (a day) or around it (coarser)."""
    period = draw(periods())
    edges = _edges(period)
    if edges and draw(st.booleans()):
        d = draw(st.sampled_from(edges))
        precision = draw(st.sampled_from(Precision))
        q = {
            Precision.DAY: PartialDate.of(d),
            Precision.MONTH: PartialDate(d.year, d.month),
            Precision.YEAR: PartialDate(d.year),
        }[precision]
    else:
        q = draw(near_dates)
    return period, q


AnswerRule = Callable[[Period, PartialDate, Span], Answer]


def _period_rule(period: Period, q: PartialDate, span: Span) -> Answer:
    return period.throughout(q) if span is Span.THROUGHOUT else period.sometime_in(q)


def _check_against_oracle(rule: AnswerRule) -> None:
    @given(period_and_question(), st.sampled_from(Span))
    # The close calls a mutant gets wrong: an end day counted as a day the fact held, and
    # a same-day succession counted as a fact that held for a day.
    @example((Period.parse("2001-06-15", "2004-06-17"), D("2004-06-17")), Span.THROUGHOUT)
    @example((Period.parse("2004-06-17", "2004-06-17"), D("2004")), Span.SOMETIME)
    @example((Period.parse("2004-06", "2004-06-10"), D("2004")), Span.SOMETIME)
    def check(pq: tuple[Period, PartialDate], span: Span) -> None:
        period, q = pq
        assert rule(period, q, span) is oracle(period, q, span), (str(period), str(q), span)

    check()


def test_answers_agree_with_every_start_and_end_the_dates_allow() -> None:
    _check_against_oracle(_period_rule)


def _inclusive_end(period: Period, q: PartialDate, span: Span) -> Answer:
    """A mutant: the end day counted as a day the fact still held."""
    later = Period(period.start, None if period.end is None else _next_day(period.end))
    return _period_rule(later, q, span)


def _next_day(d: PartialDate) -> PartialDate:
    return PartialDate.of(d.lower + ONE) if d.precision is Precision.DAY else d


def _no_empty_check(period: Period, q: PartialDate, span: Span) -> Answer:
    """A mutant: 'on some day of Q' without the clauses that the period holds on a day at all."""
    if span is Span.THROUGHOUT:
        return _period_rule(period, q, span)
    s_lo, s_hi, e_lo, e_hi = period.start_lo, period.start_hi, period.end_lo, period.end_hi
    definite = (s_hi is None or s_hi <= q.upper) and (e_lo is None or q.lower < e_lo)
    possible = (s_lo is None or s_lo <= q.upper) and (e_hi is None or q.lower < e_hi)
    return Answer.of(definite=definite, possible=possible)


@pytest.mark.parametrize("mutant", [_inclusive_end, _no_empty_check])
def test_negative_control_the_oracle_catches_a_wrong_rule(mutant: AnswerRule) -> None:
    with pytest.raises(AssertionError):
        _check_against_oracle(mutant)


def test_negative_control_an_invented_first_day_answers_wrongly() -> None:
    # Filling "2004-06" in as 2004-06-01 would answer "yes" on 2004-06-15: the oracle says not.
    invented = Period(PartialDate.of(D("2004-06").lower))
    honest = Period.parse("2004-06")
    assert invented.on(day("2004-06-15")) is Answer.YES
    assert oracle(honest, D("2004-06-15"), Span.THROUGHOUT) is Answer.PERHAPS
    assert honest.on(day("2004-06-15")) is Answer.PERHAPS


# The examples of docs/time.md.


def test_a_status_that_began_in_a_month() -> None:
    p = Period.parse("2004-06")
    assert p.on(day("2004-05-31")) is Answer.NO
    assert p.on(day("2004-06-01")) is Answer.PERHAPS
    assert p.on(day("2004-06-15")) is Answer.PERHAPS
    assert not p.on(day("2004-06-15")).certain
    assert p.on(day("2004-06-30")) is Answer.YES  # whichever day of June, it had begun
    assert p.on(day("2004-07-01")) is Answer.YES
    assert p.on(day("2004-07-01")).certain
    assert p.throughout(D("2004")) is Answer.NO
    assert p.sometime_in(D("2004")) is Answer.YES
    assert p.throughout(D("2004-06")) is Answer.PERHAPS
    assert p.sometime_in(D("2004-06")) is Answer.YES
    assert p.throughout(D("2005")) is Answer.YES


def test_a_status_that_ended_in_a_year() -> None:
    # The change happened some day in 2008; on that day the next status held.
    p = Period.parse("2001-06-15", "2008")
    assert p.on(day("2007-12-31")) is Answer.YES
    assert p.on(day("2008-01-01")) is Answer.PERHAPS
    assert p.on(day("2008-06-01")) is Answer.PERHAPS
    assert p.on(day("2008-12-31")) is Answer.NO  # the change was on 12-31 at the latest
    assert p.on(day("2009-01-01")) is Answer.NO
    assert p.throughout(D("2008")) is Answer.NO
    assert p.sometime_in(D("2008")) is Answer.PERHAPS
    assert p.sometime_in(D("2008-12")) is Answer.PERHAPS


def test_a_same_day_succession_is_an_empty_period() -> None:
    p = Period.parse("2004-06-17", "2004-06-17")
    assert {p.on(day("2004-06-16")), p.on(day("2004-06-17")), p.on(day("2004-06-18"))} == {
        Answer.NO
    }
    assert p.sometime_in(D("2004")) is Answer.NO
    # Both in one month: it may have held for some days, or none.
    assert Period.parse("2004-06", "2004-06").sometime_in(D("2004-06")) is Answer.PERHAPS
    assert Period.parse("2004-06-01", "2004-06-30").sometime_in(D("2004-06")) is Answer.YES


def test_no_start_holds_from_the_start_of_history_and_no_end_is_open() -> None:
    always = Period()
    assert always.on(dt.date(1, 1, 1)) is Answer.YES
    assert always.throughout(D("9999")) is Answer.YES
    until = Period(None, D("2003-09-05"))
    assert until.on(day("1996-04-26")) is Answer.YES
    assert until.on(day("2003-09-04")) is Answer.YES
    assert until.on(day("2003-09-05")) is Answer.NO
    assert until.is_open is False and always.is_open is True


# Bundled history (data/sco-history-1996-2012.json): answers checked by hand.


def _record(record_id: str) -> dict[str, Any]:
    records = json.loads(HISTORY.read_text())["records"]
    found: dict[str, Any] = next(r for r in records if r["id"] == record_id)
    return found


def test_mongolia_observer_from_the_2004_tashkent_summit() -> None:
    r = _record("membership/MN/2004-06-17/status_granted")
    assert r["status_after"] == "observer"
    observer = Period.parse(r["date"])
    assert observer.on(day("2004-06-16")) is Answer.NO
    assert observer.on(day("2004-06-17")) is Answer.YES
    assert observer.sometime_in(D("2004")) is Answer.YES
    assert observer.throughout(D("2004")) is Answer.NO
    assert observer.throughout(D("2005")) is Answer.YES


def test_uzbekistan_a_founding_member_on_2001_06_15() -> None:
    five = Period.parse(_record("membership/UZ/2001-06-14/participation_began")["date"])
    sco = Period.parse(_record("membership/UZ/2001-06-15/founding_member")["date"])
    assert five.on(day("2001-06-14")) is Answer.YES
    assert sco.on(day("2001-06-14")) is Answer.NO
    assert sco.on(day("2001-06-15")) is Answer.YES
    assert sco.on(day("2005-01-01")) is Answer.YES


def test_the_executive_secretary_from_january_2004_to_2006() -> None:
    r = _record("office/secretariat/zhang-deguang")
    term = Period.parse(r["from"], r["to"])
    assert str(term) == "[2004-01, 2006)"
    assert term.on(day("2003-12-31")) is Answer.NO
    assert term.on(day("2004-01-15")) is Answer.PERHAPS
    assert term.on(day("2005-03-01")) is Answer.YES
    assert term.on(day("2006-06-01")) is Answer.PERHAPS
    assert term.on(day("2007-01-01")) is Answer.NO
    assert term.throughout(D("2005")) is Answer.YES
    assert term.throughout(D("2004")) is Answer.PERHAPS  # if he took office on 1 January
    assert term.sometime_in(D("2004")) is Answer.YES
    assert term.sometime_in(D("2006")) is Answer.PERHAPS  # the term may have ended on 1 January


def test_the_anti_terrorist_structure_sat_in_bishkek_until_september_2003() -> None:
    body = _record("body/rats")
    moved = _record("body_change/rats/2003-09-05/seat_relocated")
    assert (body["seat"], body["established"], moved["seat"]) == ("Bishkek", None, "Tashkent")
    bishkek = Period(None, D(moved["date"]))  # recorded with no date: from the start
    tashkent = Period.parse(moved["date"])
    assert bishkek.on(day("2002-06-07")) is Answer.YES
    assert tashkent.on(day("2002-06-07")) is Answer.NO
    assert (bishkek.on(day("2003-09-05")), tashkent.on(day("2003-09-05"))) == (
        Answer.NO,
        Answer.YES,
    )
    assert bishkek.sometime_in(D("2003")) is tashkent.sometime_in(D("2003")) is Answer.YES


# Properties.


@given(periods(), near_dates)
def test_a_day_question_is_the_same_as_either_span(period: Period, q: PartialDate) -> None:
    d = q.lower
    assert (
        period.on(d)
        is period.throughout(PartialDate.of(d))
        is period.sometime_in(PartialDate.of(d))
    )


_RANK = {Answer.NO: 0, Answer.PERHAPS: 1, Answer.YES: 2}


@given(period_and_question())
def test_answers_about_a_partial_date_bound_the_answers_about_its_days(
    pq: tuple[Period, PartialDate],
) -> None:
    period, q = pq
    whole, some = period.throughout(q), period.sometime_in(q)
    assert _RANK[whole] <= _RANK[some]
    on_days = {period.on(d) for d in _days(q)}
    if whole is Answer.YES:
        assert on_days == {Answer.YES}
    if some is Answer.NO:
        assert on_days == {Answer.NO}
    if Answer.YES in on_days:
        assert some is Answer.YES
    if on_days == {Answer.NO}:
        assert some is Answer.NO and whole is Answer.NO


@given(periods())
def test_answers_along_the_days_run_no_perhaps_yes_perhaps_no(period: Period) -> None:
    first, last = dt.date(2002, 12, 1), dt.date(2006, 1, 31)  # around the dates drawn
    days = [first + i * ONE for i in range((last - first).days + 1)]
    runs = "".join(a.value[0] for a, _ in itertools.groupby(period.on(d) for d in days))
    assert re.fullmatch("n?p?y?p?n?", runs), (str(period), runs)
    possible = [d for d in days if period.on(d) is not Answer.NO]
    definite = [d for d in days if period.on(d) is Answer.YES]
    assert set(definite) <= set(possible)


@given(periods())
def test_columns_round_trip_with_the_precision_given(period: Period) -> None:
    columns = period.columns()
    assert tuple(columns) == VALID_TIME_COLUMNS
    again = Period.from_columns(json.loads(json.dumps(columns)))
    assert again == period
    for given_date, back in ((period.start, again.start), (period.end, again.end)):
        assert (given_date is None) is (back is None)
        if given_date is not None and back is not None:
            assert back.precision is given_date.precision and str(back) == str(given_date)
    assert columns["valid_from_lo"] == (None if period.start_lo is None else str(period.start_lo))
    assert columns["valid_to_hi"] == (None if period.end_hi is None else str(period.end_hi))


def test_stored_bounds_must_be_those_of_the_stored_dates() -> None:
    columns: dict[str, object] = dict(Period.parse("2004-06").columns())
    columns["valid_from_hi"] = "2004-06-01"  # an invented day
    with pytest.raises(InvalidValue) as e:
        Period.from_columns(columns)
    assert e.value.code == "period.malformed_columns"
    with pytest.raises(InvalidValue) as e:
        Period.from_columns({**Period().columns(), "valid_from": 2004})
    assert e.value.code == "period.malformed_columns"
    with pytest.raises(InvalidValue) as e:
        answer_from_columns(
            {**Period().columns(), "valid_to_lo": dt.date(2004, 1, 1)},
            question_params(D("2004")),
            Span.SOMETIME,
        )
    assert e.value.code == "period.malformed_columns"


# The SQL: the same rule as the Python, on SQLite.


def _sql_answers(
    rows: list[dict[str, str | None]], params: dict[str, str], span: Span
) -> list[str]:
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE TABLE s (id INTEGER PRIMARY KEY, {', '.join(VALID_TIME_COLUMNS)})")
        db.executemany(
            f"INSERT INTO s VALUES (:id, {', '.join(':' + c for c in VALID_TIME_COLUMNS)})",
            [{"id": i, **r} for i, r in enumerate(rows)],
        )

        def ids(definite: bool) -> set[int]:
            where = valid_time_sql(span, definite=definite, table="s")
            return {i for (i,) in db.execute(f"SELECT id FROM s WHERE {where}", params)}

        yes, maybe = ids(True), ids(False)
        assert yes <= maybe
        return ["yes" if i in yes else "perhaps" if i in maybe else "no" for i in range(len(rows))]
    finally:
        db.close()


@given(st.lists(periods(), min_size=1, max_size=20), near_dates, st.sampled_from(Span))
def test_the_where_clauses_select_what_the_rule_answers(
    ps: list[Period], q: PartialDate, span: Span
) -> None:
    rows = [p.columns() for p in ps]
    params = question_params(q)
    expected = [answer_from_columns(r, params, span).value for r in rows]
    assert _sql_answers(rows, params, span) == expected


def test_negative_control_a_wrong_where_clause_is_caught() -> None:
    rows = [Period.parse("2001-06-15", "2004-06-17").columns()]
    params = question_params(dt.date(2004, 6, 17))
    assert _sql_answers(rows, params, Span.THROUGHOUT) == ["no"]
    assert answer_from_columns(rows[0], params, Span.THROUGHOUT) is Answer.NO
    # An end taken as inclusive ("<=") would still count the day of the change:
    where = valid_time_sql(Span.THROUGHOUT, definite=True).replace(":q_hi <", ":q_hi <=")
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE t ({', '.join(VALID_TIME_COLUMNS)})")
    db.execute(f"INSERT INTO t VALUES ({', '.join(':' + c for c in VALID_TIME_COLUMNS)})", rows[0])
    assert db.execute(f"SELECT count(*) FROM t WHERE {where}", params).fetchone() == (1,)
    db.close()


def test_the_where_clause_text_names_the_table() -> None:
    assert valid_time_sql(Span.THROUGHOUT, definite=False) == (
        "(valid_from_lo IS NULL OR valid_from_lo <= :q_lo) "
        "AND (valid_to_hi IS NULL OR :q_hi < valid_to_hi)"
    )
    assert "s.valid_from_hi" in valid_time_sql(Span.SOMETIME, definite=True, table="s")
    assert record_time_sql() == RECORD_TIME_SQL
    assert record_time_sql("r") == (
        "r.recorded_from <= :position AND (r.recorded_to IS NULL OR r.recorded_to > :position)"
    )


# Values and errors.


def test_answer_values_and_certainty() -> None:
    assert [a.value for a in Answer] == ["yes", "no", "perhaps"]
    assert Answer.YES.certain and Answer.NO.certain and not Answer.PERHAPS.certain
    assert Answer.of(definite=False, possible=True) is Answer.PERHAPS
    with pytest.raises(AssertionError):
        Answer.of(definite=True, possible=False)


def test_an_end_definitely_before_the_start_is_refused() -> None:
    with pytest.raises(InvalidValue) as e:
        Period.parse("2008", "2004-06")
    assert e.value.code == "period.end_before_start"
    assert e.value.details == {"start": "2008", "end": "2004-06"}
    # An end that may fall after the start is accepted: the dates do not prove it wrong.
    assert Period.parse("2004-06", "2004").end == D("2004")
    assert Period.parse("2004-06-17", "2004-06").sometime_in(D("2004-06")) is Answer.PERHAPS


def test_a_period_takes_partial_dates_only() -> None:
    with pytest.raises(InvalidValue) as e:
        Period("2004")  # type: ignore[arg-type]
    assert e.value.code == "period.malformed"
    with pytest.raises(InvalidValue) as e:
        Period.parse("2004-13")
    assert e.value.code == "date.malformed"


def test_an_open_period_is_ended_once() -> None:
    observer = Period.parse("2005-07-05")
    ended = observer.ended(D("2017-06"))
    assert ended == Period.parse("2005-07-05", "2017-06")
    assert observer.is_open  # values are not changed in place
    with pytest.raises(InvalidValue) as e:
        ended.ended(D("2018"))
    assert e.value.code == "period.already_ended"
    with pytest.raises(InvalidValue) as e:
        observer.ended(D("2004"))
    assert e.value.code == "period.end_before_start"


def test_question_params() -> None:
    assert question_params(dt.date(2004, 6, 15)) == {"q_lo": "2004-06-15", "q_hi": "2004-06-15"}
    assert question_params(D("2004-02")) == {"q_lo": "2004-02-01", "q_hi": "2004-02-29"}
    for bad in (dt.datetime(2004, 6, 15, tzinfo=dt.UTC), "2004", None):
        with pytest.raises(InvalidValue) as e:
            question_params(bad)  # type: ignore[arg-type]
        assert e.value.code == "period.malformed_question"


# Record time.


def test_known_at_a_position_is_half_open() -> None:
    row = RecordPeriod(120)
    assert not row.known_at(119) and row.known_at(120) and row.known_at(10**9)
    corrected = row.superseded_at(300)
    assert corrected.known_at(299) and not corrected.known_at(300)
    assert row.is_current and not corrected.is_current
    with pytest.raises(InvalidValue) as e:
        corrected.superseded_at(400)
    assert e.value.code == "period.already_superseded"
    for args, code in (
        ((0,), "period.malformed_position"),
        ((5, 5), "period.superseded_before_recorded"),
        ((5, 4), "period.superseded_before_recorded"),
    ):
        with pytest.raises(InvalidValue) as e:
            RecordPeriod(*args)
        assert e.value.code == code


@given(st.integers(1, 50), st.none() | st.integers(1, 30), st.integers(0, 90))
def test_known_at_matches_its_positions_and_the_sql(start: int, length: int | None, p: int) -> None:
    row = RecordPeriod(start, None if length is None else start + length)
    positions = range(start, 10**6 if row.recorded_to is None else row.recorded_to)
    assert row.known_at(p) is (p in positions)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE r (recorded_from, recorded_to)")
    db.execute("INSERT INTO r VALUES (?, ?)", (row.recorded_from, row.recorded_to))
    found = db.execute(f"SELECT count(*) FROM r WHERE {RECORD_TIME_SQL}", {"position": p})
    assert found.fetchone() == (int(row.known_at(p)),)
    db.close()


def _at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-01-01T{hhmm}:00+00:00")


def test_known_at_a_time_is_the_last_position_recorded_by_then() -> None:
    log = [(1, _at("10:00")), (2, _at("10:00")), (3, _at("10:05")), (4, _at("11:00"))]
    assert position_known_at(log, _at("09:59")) == 0
    assert position_known_at(log, _at("10:00")) == 2
    assert position_known_at(log, _at("10:30")) == 3
    assert position_known_at(log, _at("12:00")) == 4
    assert position_known_at([], _at("12:00")) == 0
    # A clock that stepped back: position 4 was appended after position 3, so not known
    # before 3 was; "the greatest position recorded by then" would say 4.
    stepped = [(1, _at("10:00")), (2, _at("10:05")), (3, _at("10:20")), (4, _at("10:10"))]
    assert position_known_at(stepped, _at("10:15")) == 2
    assert max(p for p, t in stepped if t <= _at("10:15")) == 4
    with pytest.raises(InvalidValue) as e:
        position_known_at(log, dt.datetime(2026, 1, 1, 10))
    assert e.value.code == "period.naive_time"
