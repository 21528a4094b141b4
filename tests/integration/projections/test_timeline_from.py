"""A timeline page from a date (`timeline(from_=...)`) is read in two parts, the facts
within one calendar year from the date's year on and the facts crossing a new year off
their partial index: on rows with periods of every shape (undated, within a year, over
several years, closed in record time), every page from every date, as of now and as known
at positions through the history, is the page the plain definition gives (facts known
then that may fall on or after the date, in key order), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from typing import Any

import sqlalchemy as sa

from sco_registry.domain.periods import Period
from sco_registry.domain.time import PartialDate
from sco_registry.projections import timeline as t


def _date(rng: random.Random, year: int) -> PartialDate:
    precision = rng.random()
    if precision < 0.3:
        return PartialDate(year)
    if precision < 0.6:
        return PartialDate(year, rng.randint(1, 12))
    return PartialDate(year, rng.randint(1, 12), rng.randint(1, 28))


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        shape = rng.random()
        start = end = None
        if shape >= 0.1:
            year = rng.randint(1990, 2010)
            start = _date(rng, year)
            # Most facts hold within their year; some over several (a new year crossed).
            end = start if shape < 0.6 else _date(rng, year + rng.randint(1, 6))
        columns = Period(start, end).columns()
        closed = rng.random() < 0.1
        rows.append(
            {
                "stream_id": f"meeting/x/{i}",
                "recorded_from": i,
                "ordinal": 0,
                "recorded_to": i + 1 if closed else None,
                "recorded_at": "2026-01-01T00:00:00.000000Z",
                "kind": "meeting",
                "event_type": "MeetingHeld",
                "record_id": f"meeting/x/{i}",
                "summary": "s",
                **columns,
                "sort_lo": columns["valid_from_lo"] or t.LOWEST,
                "sort_hi": columns["valid_to_hi"] or t.HIGHEST,
                "event_id": str(uuid.UUID(int=i)),
                "position": i,
                "corrects_event_id": None,
                "sources": [],
                "confidence": None,
                "note": None,
            }
        )
    return rows


def _known(row: dict[str, Any], known_at: int | None) -> bool:
    if known_at is None:
        return row["recorded_to"] is None
    return row["recorded_from"] <= known_at and (
        row["recorded_to"] is None or row["recorded_to"] > known_at
    )


def _expected(
    rows: list[dict[str, Any]], lo: str, known_at: int | None = None
) -> list[tuple[str, str, int]]:
    return sorted(
        (r["sort_lo"], r["sort_hi"], r["position"])
        for r in rows
        if _known(r, known_at) and r["valid_to_hi"] is not None and r["valid_to_hi"] >= lo
    )


def test_pages_from_a_date_are_the_plain_definitions_pages() -> None:
    _check(sa.create_engine("sqlite://"))


def test_pages_from_a_date_are_the_plain_definitions_pages_on_postgresql(
    fresh_pg_database: str,
) -> None:
    # Its own statements for the part crossing a new year (written for PostgreSQL's planner).
    engine = sa.create_engine(fresh_pg_database.replace("+asyncpg", "+psycopg", 1))
    try:
        _check(engine)
    finally:
        engine.dispose()


def _check(engine: sa.Engine) -> None:
    target = sa.MetaData()
    tables = t.TimelineProjection.define(target, "__from")
    facts = tables[t.FACTS]
    rows = _rows(600, seed=8)
    crossing_seen = 0
    with engine.begin() as conn:
        target.create_all(conn)
        conn.execute(facts.insert(), rows)
        for year in range(1988, 2018, 4):
            for when in (PartialDate(year), PartialDate(year, 7), PartialDate(year, 7, 15)):
                for known_at in (None, 1, 150, 301, 600):
                    lo = when.lower.isoformat()
                    expected = _expected(rows, lo, known_at)
                    # The facts that start in an earlier year but end in or after this
                    # date: the part only the crossing branch finds (a negative control of
                    # its use), and the rows closed at a position known then.
                    crossing_seen += sum(1 for k in expected if "" < k[0] < f"{when.year:04d}")
                    walked: list[tuple[str, str, int]] = []
                    after = None
                    while True:
                        page = t.timeline(
                            conn, from_=when, known_at=known_at, after=after, limit=20,
                            tables=tables,
                        )  # fmt: skip
                        walked += [e.key for e in page]
                        if len(page) < 20:
                            break
                        after = page[-1].key
                    assert walked == expected, (when, known_at)
                    if known_at is not None:
                        assert all(e.record.recorded_from <= known_at for e in page), (
                            "known-at pages hold only rows recorded by then"
                        )
    assert crossing_seen > 100
    # Rows closed in record time, known half-way: the known-at pages differ from the
    # current ones (else the known-at branch was not tested).
    assert _expected(rows, "1990-01-01", 301) != _expected(rows, "1990-01-01", None)
