"""Crash safety of the read models on SQLite: SIGKILL during catch-up and during rebuild,
ten times each at random points. After every kill the live model is exactly a clean
rebuild up to its checkpoint (`verify`: no event applied twice or skipped), a killed
rebuild left the live model as it was (readers never face a half-built one), and a final
run completes it."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.db import create_engine, migrate
from sco_registry.importer.load import import_files
from sco_registry.projections import membership as m
from sco_registry.projections.runner import read_checkpoint, runner_for
from sco_registry.store.sql import SqlEventStore
from tests.strategies.history import build_history_of_size

CHILD = Path(__file__).with_name("projector.py")
BATCH = 5


def run_child(url: str, mode: str, *, kill_after: int | None) -> int:
    """Run the child; SIGKILL it once it reported `kill_after` batches. Returns how many
    batches it reported."""
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), url, mode, str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    reported = 0
    for _line in proc.stdout:
        reported += 1
        if kill_after is not None and reported >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    _, err = proc.communicate(timeout=300)
    if kill_after is None:
        assert proc.returncode == 0, err
    return reported


async def state(url: str) -> tuple[int, int, dict[str, list[tuple[Any, ...]]], list[str]]:
    """The checkpoint, the head, the live rows, and whether verify found them a clean
    rebuild up to the checkpoint (asserted)."""
    store = SqlEventStore(create_engine(url))
    try:
        runner = runner_for(store, batch_size=200)
        [report] = await runner.verify("membership")
        assert report.ok, report

        def rows(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
            return {
                k: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key))]
                for k, t in m.LIVE.items()
            }

        def tables(conn: Connection) -> list[str]:
            return sorted(sa.inspect(conn).get_table_names())

        cp = (await runner.read(lambda c: read_checkpoint(c, "membership"))).position
        return cp, await store.head_position(), await runner.read(rows), await runner.read(tables)
    finally:
        await store.close()


async def prepare(url: str, tmp: Path) -> None:
    """A migrated log of a generated history, its read models not applied (lagging)."""
    await migrate(url)
    path = tmp / "history.json"
    [history] = build_history_of_size(8, records=250, files=1, shuffle=False)
    path.write_text(json.dumps(history), encoding="utf-8")
    store = SqlEventStore(create_engine(url))
    try:
        assert (await import_files([path], store)).ok
    finally:
        await store.close()


@pytest.mark.slow
def test_sigkill_during_catch_up_and_rebuild(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'models.db'}"
    asyncio.run(prepare(url, tmp_path))
    rng = random.Random(int(os.environ.get("SCO_CRASH_SEED", "20040617")))

    checkpoints = []
    for _ in range(10):
        run_child(url, "catch-up", kill_after=rng.randint(1, 6))
        cp, head, _, _ = asyncio.run(state(url))  # verify: exactly the log up to cp
        checkpoints.append(cp)
    assert checkpoints == sorted(checkpoints) and 0 < checkpoints[0] < checkpoints[-1] < head
    run_child(url, "catch-up", kill_after=None)
    cp, head, done, _ = asyncio.run(state(url))
    assert cp == head and done[m.PERIODS]

    for _ in range(10):
        reported = run_child(url, "rebuild", kill_after=rng.randint(1, head // BATCH - 1))
        assert reported >= 1
        cp_after, _, rows, _ = asyncio.run(state(url))
        assert (cp_after, rows) == (cp, done)  # the live model as it was: no half-built one
    run_child(url, "rebuild", kill_after=None)
    cp_after, _, rows, tables = asyncio.run(state(url))
    assert (cp_after, rows) == (cp, done)
    assert not [t for t in tables if "__" in t]  # the scratch tables are gone
