"""`replay --to-position N --out FILE`: an SQLite file holding the log up to position N and
the read models built from it, for inspection (serve it, query it, export from it).

The events are copied as they are (ids, stream versions, record times, data, metadata), so
the copy's hash chain is the original's up to N: the command checks that the copy's head
hash is the original event N's hash. The read models are then rebuilt from the copied log
by the projections' own rebuild (`ProjectionRunner.rebuild`): the file answers what the
registry knew at N, as `knownAt: N` does on the full database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sco_registry.cli._base import EXIT_OK, Bar, add_command, refuse_existing
from sco_registry.config import Settings
from sco_registry.domain.errors import RegistryError
from sco_registry.store.base import AppendUnit, NewEvent, RecordedEvent, StreamAppend, StreamState
from sco_registry.store.chain import averify_events

PAGE = 500


def add_parsers(sub: Any) -> None:
    replay = add_command(
        sub,
        "replay",
        _replay,
        help="write an SQLite file holding the log up to position N and its read models",
        description=(
            "Copy the log's first N events into a new SQLite file (hash chain and all) and "
            "build every read model from them: the registry as it was known at N."
        ),
    )
    replay.add_argument(
        "--to-position", type=int, required=True, metavar="N", help="the last event copied"
    )
    replay.add_argument("--out", required=True, help="the new SQLite file (must not exist)")


def _unit(event: RecordedEvent) -> AppendUnit:
    new = NewEvent(
        type=event.type,
        data=event.data,
        valid_time=event.valid_time,
        schema_version=event.schema_version,
        metadata=event.metadata,
        sources=tuple(event.sources),
        actor=event.actor,
        correlation_id=event.correlation_id,
        causation_id=event.causation_id,
        event_id=event.event_id,
    )
    expected = StreamState.NO_STREAM if event.stream_version == 1 else event.stream_version - 1
    return AppendUnit(batches=[StreamAppend(event.stream_id, [new], expected=expected)])


def _runs(events: Sequence[RecordedEvent]) -> list[list[RecordedEvent]]:
    """Consecutive events recorded at the same time: one append each (the store stamps one
    append with one time)."""
    runs: list[list[RecordedEvent]] = []
    for e in events:
        if runs and runs[-1][-1].recorded_at == e.recorded_at:
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def _single_file(path: Path) -> None:
    """Fold SQLite's write-ahead log into the file and leave journal mode DELETE: one
    self-contained file to hand on."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


async def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry

    n: int = args.to_position
    out = Path(args.out)
    refuse_existing(out, "replay")
    tmp = out.with_name(out.name + ".partial")
    stamp: list[dt.datetime] = []  # the record time of the append under way
    bar = Bar(sys.stderr, "replaying", "events")
    try:
        async with open_registry(settings) as source:
            head = await source.store.head_position()
            if not 0 <= n <= head:
                raise RegistryError(
                    f"--to-position {n}: the log's positions run from 0 to {head}",
                    code="replay.position_out_of_range",
                    details={"to_position": n, "head": head},
                )
            # The new file's folder must take it: else an `io.error` (exit 2), not a `db.*`.
            tmp.touch(exist_ok=False)
            target_settings = settings.model_copy(
                update={"database_url": f"sqlite+aiosqlite:///{tmp}"}
            )
            async with open_registry(
                target_settings, migrate_first=True, clock=lambda: stamp[-1]
            ) as target:
                # The events are copied without the inline projections; one rebuild below
                # builds the read models from the whole copy.
                target.projections.host.attach_projector(None)
                copied = 0
                last_hash = None
                async for page in _pages(source.store, n):
                    for run in _runs(page):
                        stamp.append(run[0].recorded_at)
                        await target.store.append_batch(
                            [_unit(e) for e in run], expected_head=copied
                        )
                        copied += len(run)
                    last_hash = page[-1].hash
                    bar(copied, n)
                report = await averify_events(target.store.iter_all())
                if not report.ok or (n and report.head_hash != last_hash) or report.checked != n:
                    raise RegistryError(
                        f"the copy's chain does not match the original's at position {n} "
                        f"({report.reason or 'head differs'})",
                        code="replay.diverged",
                    )
                bar.close()
                building = Bar(sys.stderr, "building the read models", "events")
                try:
                    position = await target.projections.rebuild(
                        progress=lambda _name, done, total: building(done, total)
                    )
                finally:
                    building.close()
        _single_file(tmp)
        tmp.replace(out)
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    print(
        f"replayed {n} of {head} events into {out}: chain intact, head {report.head_hash}; "
        f"read models built at position {position}"
    )
    return EXIT_OK


async def _pages(store: Any, n: int) -> Any:
    """The events at positions 1 to `n`, a page at a time."""
    after = 0
    while after < n:
        page: list[RecordedEvent] = await store.read_all(after=after, limit=min(PAGE, n - after))
        if not page:
            return
        yield page
        after = page[-1].position
