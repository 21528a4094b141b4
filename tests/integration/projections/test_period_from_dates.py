"""A meeting's and a document's valid period is read from its dates, not its valid columns
(`records.period_of_dates`: the page selects fewer columns): on every store, every row of
both models (closed versions included), the bundled history and a generated one, the period
made from the dates is the one the stored valid columns give (`asof.period_of`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.importer.bundled import load_bundled
from sco_registry.importer.load import import_files
from sco_registry.projections import asof
from sco_registry.projections import documents as dm
from sco_registry.projections import meetings as mt
from sco_registry.store.base import EventStore
from tests.integration.projections import records_support as rs
from tests.property import support
from tests.strategies.history import build_history


def _mismatches(conn: Connection, model: ModuleType) -> tuple[int, list[Any]]:
    """How many rows, and those whose period from dates is not their stored columns'."""
    table = model.LIVE["rows"]
    order = list(table.primary_key)
    stored = conn.execute(sa.select(table).order_by(*order)).mappings().all()
    read = conn.execute(model._select(table).order_by(*order)).all()
    assert len(stored) == len(read)
    wrong = [
        (s["record_id"], s["recorded_from"])
        for s, r in zip(stored, read, strict=True)
        if model._make(tuple(r)).period != asof.period_of(s)
    ]
    return len(stored), wrong


@pytest.mark.parametrize("history", ["bundled", "generated"])
async def test_the_period_from_the_dates_is_the_stored_one(store: EventStore, history: str) -> None:
    r = rs.runner(store)
    if history == "bundled":
        assert (await load_bundled(store)).ok
    else:
        with tempfile.TemporaryDirectory() as tmp:
            paths = support.write_files(build_history(11, years=3, files=2), Path(tmp))
            assert (await import_files(paths, store)).ok
    await r.catch_up()
    for model in (mt, dm):
        count, wrong = await r.read(lambda c, m=model: _mismatches(c, m))
        assert count > 5 and wrong == [], model.__name__

    # Negative control: a stored valid column changed by hand is seen by the comparison
    # (it does read the stored columns; the rows read now do not).
    rows = mt.LIVE["rows"]

    def tamper(conn: Connection, head: int) -> None:
        first = conn.execute(
            sa.select(rows.c.record_id).where(rows.c.start_date.is_not(None)).limit(1)
        ).scalar_one()
        conn.execute(
            rows.update()
            .where(rows.c.record_id == first)
            .values(valid_from="1800", valid_from_lo="1800-01-01", valid_from_hi="1800-12-31")
        )

    await r.host.run_projection_write(tamper)
    _, wrong = await r.read(lambda c: _mismatches(c, mt))
    assert len(wrong) >= 1
