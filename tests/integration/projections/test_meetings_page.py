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
