"""`meetings_page` (the database cuts the meetings connection's pages): walking its pages,
either way, under each filter, gives exactly `meetings` in the cursor's order, and
`count_meetings` its length; on the bundled history plus a generated one (partial and
missing dates, many bodies), on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

import pytest

from bench.history import write_history
from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.importer.bundled import load_bundled
from sco_registry.importer.load import import_files
from sco_registry.projections import meetings as m


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'pages.db'}"
    found: str = request.getfixturevalue("fresh_pg_database")
    return found


async def test_pages_walk_the_whole_list_in_order_under_every_filter(
    url: str, tmp_path: Path
) -> None:
    more = write_history(tmp_path / "more.json", 80)
    async with open_registry(Settings(database_url=url), migrate_first=True) as registry:
        assert (await load_bundled(registry.store, scratch_store=registry.scratch_store)).ok
        summary = await import_files([more], registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems
        read = registry.projections.read
        every = await read(lambda c: m.meetings(c))
        assert len(every) > 40
        bodies = sorted({x.body_id for x in every if x.body_id})[:2]
        cases = list(itertools.product([None, *bodies], [None, 2001, 2005], [None, 2004, 2030]))
        for body, year_from, year_to in cases:
            given = {"body": body, "year_from": year_from, "year_to": year_to}
            whole = await read(partial(m.meetings, **given))
            assert await read(partial(m.count_meetings, **given)) == len(whole)
            for descending in (False, True):
                walked: list[m.Meeting] = []
                after: m.PageKey | None = None
                while True:
                    cut = partial(
                        m.meetings_page, **given, after=after, limit=7, descending=descending
                    )
                    got = await read(cut)
                    walked += got
                    if len(got) < 7:
                        break
                    after = m.page_key(got[-1])
                expected = sorted(whole, key=m.page_key, reverse=descending)
                assert [x.meeting_id for x in walked] == [x.meeting_id for x in expected], (
                    given, descending,
                )  # fmt: skip


async def test_pages_under_the_other_filters_and_known_at(url: str, tmp_path: Path) -> None:
    """The filters and the known-at position each bound at execution (the statement is
    built once per shape of question): every value gives its own page, as `meetings`."""
    more = write_history(tmp_path / "more.json", 80)
    async with open_registry(Settings(database_url=url), migrate_first=True) as registry:
        assert (await load_bundled(registry.store, scratch_store=registry.scratch_store)).ok
        middle = await registry.store.head_position()
        summary = await import_files([more], registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems
        read = registry.projections.read
        every = await read(lambda c: m.meetings(c))
        hosts = sorted({x.host_state for x in every if x.host_state})[:3]
        formats = sorted({x.format for x in every if x.format})[:2]
        ordinals = sorted({x.ordinal for x in every if x.ordinal is not None})[:3]
        cases: list[dict[str, object]] = [
            *({"host_state": h} for h in hosts),
            *({"format": f} for f in formats),
            *({"status": s} for s in ("held", "scheduled", "cancelled")),
            *({"ordinal": o} for o in ordinals),
            {"known_at": middle},
            {"known_at": middle, "host_state": hosts[0]},
            {"host_state": hosts[0], "status": "held", "year_from": 2003},
        ]
        sizes = set()
        for given in cases:
            whole = await read(partial(m.meetings, **given))  # type: ignore[arg-type]
            sizes.add(len(whole))
            for descending in (False, True):
                cut = partial(m.meetings_page, **given, limit=1000, descending=descending)
                got = await read(cut)  # type: ignore[arg-type]
                expected = sorted(whole, key=m.page_key, reverse=descending)
                assert [x.meeting_id for x in got] == [x.meeting_id for x in expected], given
                assert [x.recorded_at for x in got] == [x.recorded_at for x in expected]
        # The control: the values do cut (the pages differ, some short of the whole list).
        assert len(sizes) > 3 and min(sizes) < len(every) and max(sizes) > 0
