"""The domain's valid-time and record-time WHERE clauses give the domain's answers on SQLite
and PostgreSQL alike: one query shape, text columns holding ISO days, bound parameters.

Every period of a grid of start and end dates (each precision, absent bounds, same-day and
overlapping ends) is asked every question of a grid of days and partial dates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import uuid

import pytest
import sqlalchemy as sa

from sco_registry.db import create_engine
from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.periods import (
    RECORD_TIME_SQL,
    VALID_TIME_COLUMNS,
    Period,
    RecordPeriod,
    Span,
    answer_from_columns,
    occasion_answer,
    occasion_sql,
    position_known_at,
    question_params,
    valid_time_sql,
)
from sco_registry.domain.time import PartialDate

DATES = ["2004", "2004-06", "2004-06-17", "2004-06-30", "2004-07-01", "2004-12", "2005-01-01"]
QUESTIONS = [
    *DATES,
    "2003-12-31",
    "2004-01-01",
    "2004-05",
    "2004-06-01",
    "2004-06-16",
    "2004-12-31",
    "2005",
    "2008",
]


def _periods() -> list[Period]:
    found = []
    for start, end in itertools.product([None, *DATES], repeat=2):
        with contextlib.suppress(InvalidValue):  # an end definitely before its start
            found.append(Period.parse(start, end))
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "pg_database_url"
    )
    return url


@pytest.mark.parametrize("rule", ["period", "occasion"])
async def test_valid_time_where_clauses_agree_with_the_rule(database_url: str, rule: str) -> None:
    """`valid_time_sql` gives `answer_from_columns` (the `Period` rule); `occasion_sql` gives
    `occasion_answer` (a meeting's days, its end day included; occasions have a start)."""
    periods = [p for p in _periods() if rule == "period" or p.start is not None]
    assert len(periods) > 40
    name = f"periods_{uuid.uuid4().hex[:8]}"
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(c, sa.String(10)) for c in VALID_TIME_COLUMNS),
    )
    rows = [{"id": i, **p.columns()} for i, p in enumerate(periods)]
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            await conn.execute(table.insert(), rows)
        checked = 0
        async with engine.connect() as conn:
            for text, span in itertools.product(QUESTIONS, Span):
                params = question_params(PartialDate.parse(text))
                got = {}
                for definite in (True, False):
                    clause = valid_time_sql if rule == "period" else occasion_sql
                    where = clause(span, definite=definite, table=name)
                    result = await conn.execute(
                        sa.text(f"SELECT id FROM {name} WHERE {where}"), params
                    )
                    got[definite] = {i for (i,) in result}
                for row, period in zip(rows, periods, strict=True):
                    if rule == "period":
                        answer = answer_from_columns(row, params, span)
                    else:
                        answer = occasion_answer(period, PartialDate.parse(text), span)
                    shown = (row["id"] in got[True], row["id"] in got[False])
                    expected = {"yes": (True, True), "perhaps": (False, True), "no": (False, False)}
                    assert shown == expected[answer.value], (row, text, span)
                    checked += 1
        assert checked == len(rows) * len(QUESTIONS) * len(Span)
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.drop_all)
    finally:
        await engine.dispose()


async def test_record_time_where_clause_agrees_with_known_at(database_url: str) -> None:
    records = [RecordPeriod(f, t) for f in (1, 5, 9) for t in (None, f + 1, f + 4)]
    name = f"records_{uuid.uuid4().hex[:8]}"
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recorded_from", sa.BigInteger, nullable=False),
        sa.Column("recorded_to", sa.BigInteger),
    )
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            await conn.execute(
                table.insert(),
                [
                    {"id": i, "recorded_from": r.recorded_from, "recorded_to": r.recorded_to}
                    for i, r in enumerate(records)
                ],
            )
            for position in range(15):
                result = await conn.execute(
                    sa.text(f"SELECT id FROM {name} WHERE {RECORD_TIME_SQL}"),
                    {"position": position},
                )
                assert {i for (i,) in result} == {
                    i for i, r in enumerate(records) if r.known_at(position)
                }
            await conn.run_sync(table.metadata.drop_all)
    finally:
        await engine.dispose()


def test_the_grid_has_the_close_calls() -> None:
    # Not a guarantee but a check on the grid: it holds empty, overlapping and open periods.
    periods = _periods()
    day = dt.date(2004, 6, 17)
    assert Period.parse("2004-06-17", "2004-06-17") in periods
    assert Period.parse("2004-06", "2004") in periods
    assert any(p.start is None and p.end is None for p in periods)
    assert {p.on(day).value for p in periods} == {"yes", "no", "perhaps"}


# docs/time.md's "known at a time T", with `events` replaced by this test's table.
KNOWN_AT_TIME_SQL = (
    "SELECT COALESCE((SELECT MIN(position) - 1 FROM {t} WHERE recorded_at > :t),"
    " (SELECT MAX(position) FROM {t}), 0)"
)


async def test_known_at_a_time_sql_agrees_with_position_known_at(database_url: str) -> None:
    base = dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    minutes = [0, 0, 5, 20, 10, 30]  # position 5 was recorded by a clock that stepped back
    log = [(i + 1, base + dt.timedelta(minutes=m)) for i, m in enumerate(minutes)]
    name = f"log_{uuid.uuid4().hex[:8]}"
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            query = sa.text(KNOWN_AT_TIME_SQL.format(t=name)).bindparams(
                sa.bindparam("t", type_=sa.DateTime(timezone=True))
            )
            assert (await conn.execute(query, {"t": base})).scalar_one() == 0  # an empty log
            await conn.execute(
                table.insert(), [{"position": p, "recorded_at": at} for p, at in log]
            )
            for m in range(-1, 35):
                t = base + dt.timedelta(minutes=m)
                got = (await conn.execute(query, {"t": t})).scalar_one()
                assert got == position_known_at(log, t), m
            await conn.run_sync(table.metadata.drop_all)
    finally:
        await engine.dispose()
