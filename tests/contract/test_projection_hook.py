"""The inline-projection hook and the runner, on every store (in memory, SQLite, PostgreSQL).

A projection's rows and checkpoint are written in the append's transaction: readable right
after the append, rolled back with it when the projection fails (the error names the
event's position). Catch-up, rebuild and verify over the same stores.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.projections.base import Projection, ProjectionError, ProjectionFailed, Tables
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner, read_checkpoint
from sco_registry.store.base import EventStore, NewEvent, RecordedEvent, StreamAppend
from sco_registry.store.memory import InMemoryEventStore


class Tally(Projection):
    """One row per event (its position, stream and type). `Boom` events fail in Python,
    `Dup` events in the database (a primary key already taken)."""

    name = "tally"
    version = 1

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        table = sa.Table(
            "test_tally" + suffix,
            target,
            sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("stream_id", sa.Text(), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
        )
        return {"tally": table}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        if event.type == "Boom":
            raise ValueError("boom")
        position = 1 if event.type == "Dup" else event.position
        conn.execute(
            tables["tally"].insert(),
            {"position": position, "stream_id": event.stream_id, "note": self.note(event)},
        )

    def note(self, event: RecordedEvent) -> str:
        return event.type


Tally.tables = Tally.define(sa.MetaData())


class DriftingTally(Tally):
    """Writes what the log does not say (how many events this instance applied): a rebuild
    cannot give the rows inline application gave."""

    calls: ClassVar[int] = 0

    def note(self, event: RecordedEvent) -> str:
        DriftingTally.calls += 1
        return f"{event.type}#{DriftingTally.calls}"


def ev(type: str = "Thing") -> NewEvent:
    return NewEvent(type=type, data={"k": type})


async def _runner(
    store: EventStore, projection: Projection, *, attach: bool = True
) -> ProjectionRunner:
    host = cast(ProjectionHost, store)
    runner = ProjectionRunner(host, [projection], batch_size=2)
    host.attach_projector(runner)  # the in-memory store creates the checkpoint table here
    if not attach:
        host.attach_projector(None)

    def create(conn: Connection, head: int) -> None:
        for table in projection.tables.values():
            table.create(conn)

    await host.run_projection_write(create)
    return runner


async def _tally(runner: ProjectionRunner) -> list[tuple[Any, ...]]:
    table = Tally.tables["tally"]

    def work(conn: Connection) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.position))]

    return await runner.read(work)


async def _checkpoint(runner: ProjectionRunner) -> int:
    return (await runner.read(lambda c: read_checkpoint(c, "tally"))).position


async def test_a_projection_row_is_readable_right_after_the_append(store: EventStore) -> None:
    runner = await _runner(store, Tally())
    await store.append("s-1", [ev("A"), ev("B")])
    assert await _tally(runner) == [(1, "s-1", "A"), (2, "s-1", "B")]
    assert await _checkpoint(runner) == 2
    await store.append_many([StreamAppend("s-2", [ev("C")]), StreamAppend("s-3", [ev("D")])])
    assert [r[0] for r in await _tally(runner)] == [1, 2, 3, 4]
    assert await _checkpoint(runner) == 4
    [status] = await runner.status()
    assert (status.state, status.lag) == ("current", 0)


@pytest.mark.parametrize("failing", ["Boom", "Dup"])
async def test_a_failing_projection_rolls_the_append_back(store: EventStore, failing: str) -> None:
    runner = await _runner(store, Tally())
    await store.append("s-1", [ev("A")])
    with pytest.raises(ProjectionFailed) as raised:
        await store.append("s-2", [ev("B"), ev(failing)])
    assert raised.value.code == "projection.failed"
    assert raised.value.position == 3  # the failing event's position, as it would have been
    assert "position 3" in raised.value.message
    assert await store.head_position() == 1  # no event
    assert await store.read_stream("s-2") == []
    assert await _tally(runner) == [(1, "s-1", "A")]  # no row
    assert await _checkpoint(runner) == 1  # no checkpoint move
    # The store is still usable: the next append takes position 2.
    await store.append("s-2", [ev("C")])
    assert await _tally(runner) == [(1, "s-1", "A"), (2, "s-2", "C")]


async def test_catch_up_applies_what_inline_application_could_not(store: EventStore) -> None:
    runner = await _runner(store, Tally(), attach=False)
    for name in "ABCDE":
        await store.append("s", [ev(name)])
    [status] = await runner.status()
    assert (status.state, status.checkpoint, status.lag) == ("lagging", 0, 5)
    runner.attach()
    await store.append("s", [ev("F")])  # lagging: not applied inline, out of order
    assert await _tally(runner) == []
    assert await runner.catch_up() == {"tally": 6}
    assert [r[2] for r in await _tally(runner)] == list("ABCDEF")
    await store.append("s", [ev("G")])  # current again: inline
    assert await _checkpoint(runner) == 7
    assert await runner.catch_up() == {"tally": 0}


async def test_rebuild_gives_the_inline_rows_and_verify_finds_no_drift(store: EventStore) -> None:
    runner = await _runner(store, Tally())
    for name in "ABCDE":
        await store.append(f"s-{name}", [ev(name)])
    inline = await _tally(runner)
    [report] = await runner.verify()
    assert report.ok and report.live_rows == report.rebuilt_rows == 5
    assert await runner.rebuild() == 5
    assert await _tally(runner) == inline
    assert await _checkpoint(runner) == 5


async def test_verify_catches_a_drifting_projection_and_tampered_rows(store: EventStore) -> None:
    runner = await _runner(store, DriftingTally())
    for name in "ABC":
        await store.append("s", [ev(name)])
    [report] = await runner.verify()
    assert not report.ok
    assert len(report.only_live) == len(report.only_rebuilt) == 3

    honest = await _runner_over_existing(store, Tally())
    await honest.rebuild()
    assert (await honest.verify())[0].ok
    table = Tally.tables["tally"]
    await cast(ProjectionHost, store).run_projection_write(
        lambda conn, head: conn.execute(table.delete().where(table.c.position == 2))
    )
    [report] = await honest.verify()
    assert not report.ok and report.only_live == [] and len(report.only_rebuilt) == 1


async def _runner_over_existing(store: EventStore, projection: Projection) -> ProjectionRunner:
    return ProjectionRunner(cast(ProjectionHost, store), [projection], batch_size=2).attach()


async def test_a_changed_version_makes_a_projection_stale_until_rebuilt(store: EventStore) -> None:
    await _runner(store, Tally())
    await store.append("s", [ev("A")])

    class TallyV2(Tally):
        version = 2

    runner = await _runner_over_existing(store, TallyV2())
    [status] = await runner.status()
    assert (status.state, status.stored_version, status.version) == ("stale", 1, 2)
    await store.append("s", [ev("B")])  # stale: not applied inline
    assert await _tally(runner) == [(1, "s", "A")]
    with pytest.raises(ProjectionError) as raised:
        await runner.catch_up()
    assert raised.value.code == "projection.stale"
    assert await runner.rebuild_stale() == ["tally"]
    assert [r[2] for r in await _tally(runner)] == ["A", "B"]
    [status] = await runner.status()
    assert (status.state, status.stored_version) == ("current", 2)


async def test_unknown_projection_names_are_refused(store: EventStore) -> None:
    runner = await _runner(store, Tally())
    with pytest.raises(ProjectionError) as raised:
        await runner.rebuild("nope")
    assert raised.value.code == "projection.unknown"


async def test_readers_never_see_a_half_built_model_during_a_rebuild(store: EventStore) -> None:
    runner = await _runner(store, Tally())
    for name in "ABCDEFGH":
        await store.append("s", [ev(name)])
    full = await _tally(runner)
    runner.batch_size = 1  # a transaction per event: as many chances to see a partial build
    seen: list[list[tuple[Any, ...]]] = []
    steps: list[int] = []
    rebuild = asyncio.ensure_future(
        runner.rebuild(progress=lambda n, done, total: steps.append(done))
    )
    while not rebuild.done():
        seen.append(await _tally(runner))
        await asyncio.sleep(0)
    await rebuild
    seen.append(await _tally(runner))
    # The scratch tables were built in eight transactions, each a partial model ...
    assert steps == [1, 2, 3, 4, 5, 6, 7, 8]
    # ... read meanwhile (the in-memory store's units never yield to the loop), and every
    # read of the live tables saw the whole model.
    assert len(seen) > (1 if isinstance(store, InMemoryEventStore) else 2)
    assert all(rows == full for rows in seen)


async def test_catch_up_racing_appends_applies_every_event_once(store: EventStore) -> None:
    runner = await _runner(store, Tally(), attach=False)
    for i in range(10):
        await store.append("s", [ev(f"E{i}")])
    runner.attach()
    runner.batch_size = 3

    async def appender() -> None:
        for i in range(10, 25):
            await store.append(f"t-{i % 3}", [ev(f"E{i}")])
            await asyncio.sleep(0)

    await asyncio.gather(appender(), runner.catch_up())
    await runner.catch_up()  # whatever the race left behind the checkpoint
    rows = await _tally(runner)
    # A duplicate would have failed on the primary key; a gap would show here.
    assert [r[0] for r in rows] == list(range(1, 26))
    assert [r[2] for r in rows] == [f"E{i}" for i in range(25)]
    assert await _checkpoint(runner) == 25


class OtherTally(Tally):
    """A second projection with a table of its own (for several checkpoints at once)."""

    name = "other"

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        table = sa.Table(
            "test_other_tally" + suffix,
            target,
            sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("stream_id", sa.Text(), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
        )
        return {"tally": table}


OtherTally.tables = OtherTally.define(sa.MetaData())


async def test_inline_moves_only_the_checkpoints_current_just_before_the_append(
    store: EventStore,
) -> None:
    """Each projection's checkpoint decides alone (they are read and moved together): the
    current one is applied and moved; one whose checkpoint row is behind, and one whose
    row is of another version, are left as they are (catch-up and rebuild are theirs)."""
    host = cast(ProjectionHost, store)
    runner = ProjectionRunner(host, [Tally(), OtherTally()])
    host.attach_projector(runner)

    def create(conn: Connection, head: int) -> None:
        for p in runner.projections:
            for table in p.tables.values():
                table.create(conn)

    await host.run_projection_write(create)
    await store.append("s", [ev("A")])
    other = OtherTally.tables["tally"]

    def rows(conn: Connection, table: sa.Table) -> list[str]:
        return [r[2] for r in conn.execute(sa.select(table).order_by(table.c.position))]

    async def state() -> tuple[Any, ...]:
        def work(conn: Connection) -> tuple[Any, ...]:
            cps = [read_checkpoint(conn, n) for n in ("tally", "other")]
            return (
                rows(conn, Tally.tables["tally"]),
                rows(conn, other),
                [(cp.version, cp.position) for cp in cps],
            )

        return await runner.read(work)

    assert await state() == (["A"], ["A"], [(1, 1), (1, 1)])

    def behind(conn: Connection, head: int) -> None:  # "other" back to nothing applied
        conn.execute(other.delete())
        conn.execute(sa.text("UPDATE projection_checkpoints SET position = 0 WHERE name = 'other'"))

    await host.run_projection_write(behind)
    await store.append("s", [ev("B")])
    assert await state() == (["A", "B"], [], [(1, 2), (1, 0)])
    assert await runner.catch_up() == {"tally": 0, "other": 2}
    await store.append("s", [ev("C")])
    assert await state() == (["A", "B", "C"], ["A", "B", "C"], [(1, 3), (1, 3)])

    def other_version(conn: Connection, head: int) -> None:  # "other" stale
        conn.execute(sa.text("UPDATE projection_checkpoints SET version = 7 WHERE name = 'other'"))

    await host.run_projection_write(other_version)
    await store.append("s", [ev("D")])
    assert await state() == (["A", "B", "C", "D"], ["A", "B", "C"], [(1, 4), (7, 3)])


class History(Projection):
    """Per stream, one open row: the types of the stream's events so far, derived from
    the stream's open row (`bitemporal`): a unit's open rows carried to the next one
    (`unit.Carried`) that are not the table's show in the next row."""

    name = "history"
    version = 1

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        table = sa.Table(
            "test_history" + suffix,
            target,
            sa.Column("stream_id", sa.Text(), primary_key=True),
            sa.Column("recorded_from", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("recorded_to", sa.Integer(), nullable=True),
            sa.Column("recorded_at", sa.Text(), nullable=False),
            sa.Column("types", sa.JSON(), nullable=False),
        )
        return {"history": table}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        from sco_registry.projections import bitemporal

        table, scope = tables["history"], {"stream_id": event.stream_id}
        current = bitemporal.open_rows(conn, table, scope)
        types = list(current[0]["types"]) if current else []
        derived = [{"types": [*types, event.type]}]
        bitemporal.sync(conn, table, scope=scope, content=["types"], derived=derived, event=event)


History.tables = History.define(sa.MetaData())


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
async def log_url(request: pytest.FixtureRequest) -> str:
    from sco_registry.db import migrate

    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
        await migrate(url)
        return url
    clone: str = request.getfixturevalue("pg_clone_url")
    return clone


async def test_open_rows_carried_between_appends_follow_the_log_not_a_rolled_back_append(
    log_url: str,
) -> None:
    """Two writers on one log. Writer A's append applies History, then fails in Tally and
    is rolled back; writer B appends at the very position A had taken; A's next append
    must not start from the open rows A's rolled-back unit left (they are not the
    table's): its History rows are those a rebuild gives, and verify finds no drift."""
    from sco_registry.db import create_engine
    from sco_registry.store.sql import SqlEventStore

    stores = [SqlEventStore(create_engine(log_url)) for _ in range(2)]
    try:
        a, b = (ProjectionRunner(s, [History(), Tally()]).attach() for s in stores)

        def create(conn: Connection, head: int) -> None:
            for p in a.projections:
                for table in p.tables.values():
                    table.create(conn)

        await stores[0].run_projection_write(create)
        await stores[0].append("s", [ev("A")])
        await stores[0].append("s", [ev("B")])
        with pytest.raises(ProjectionFailed):
            await stores[0].append("s", [ev("Boom")])  # History applied, Tally fails
        await stores[1].append("s", [ev("C")])  # position 3, as A's rolled-back event
        await stores[0].append("s", [ev("D")])
        table = History.tables["history"]

        def open_types(conn: Connection) -> list[Any]:
            query = sa.select(table.c.types).where(table.c.recorded_to.is_(None))
            return [r[0] for r in conn.execute(query)]

        assert await a.read(open_types) == [["A", "B", "C", "D"]]
        for report in await b.verify():
            assert report.ok, report
    finally:
        for s in stores:
            await s.close()


@pytest.mark.parametrize("bounded", [False, True])
async def test_open_rows_are_carried_within_the_bounds_and_the_rows_stay_a_rebuilds(
    log_url: str, monkeypatch: pytest.MonkeyPatch, bounded: bool
) -> None:
    """A stream's open rows are read from the table once, then carried from append to
    append; past the bounds (here: one scope) nothing is carried and each append reads
    its scopes again. Either way the rows are a rebuild's."""
    from sco_registry.db import create_engine
    from sco_registry.projections import bitemporal, unit
    from sco_registry.store.sql import SqlEventStore

    if bounded:
        monkeypatch.setattr(unit, "MAX_CARRIED_SCOPES", 1)
    reads: list[str] = []
    select_open = bitemporal._select_open

    def counted(conn: Connection, table: sa.Table, scope: Any) -> Any:
        reads.append(scope["stream_id"])
        return select_open(conn, table, scope)

    monkeypatch.setattr(bitemporal, "_select_open", counted)
    store = SqlEventStore(create_engine(log_url))
    try:
        runner = ProjectionRunner(store, [History()]).attach()

        def create(conn: Connection, head: int) -> None:
            History.tables["history"].create(conn)

        await store.run_projection_write(create)
        for name in "ABCDEF":
            await store.append_many([StreamAppend("s", [ev(name)]), StreamAppend("t", [ev(name)])])
        # Carried: each stream read once (its first append). Bounded: read at every append.
        assert sorted(reads) == (["s"] * 6 + ["t"] * 6 if bounded else ["s", "t"])
        [report] = await runner.verify()
        assert report.ok and report.live_rows == 12
    finally:
        await store.close()
