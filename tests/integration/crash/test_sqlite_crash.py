"""Crash safety on SQLite: SIGKILL in the middle of appends, ten times at random points.

After each kill the log verifies and holds only whole batches; a final run with the same
idempotency keys completes the series without a duplicate.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from sco_registry.db import create_engine, migrate
from sco_registry.store.chain import averify_events
from sco_registry.store.sql import SqlEventStore

CHILD = Path(__file__).with_name("appender.py")
BATCHES = 400
PER_BATCH = 4


def run_child(url: str, *, kill_after: float | None) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), url, str(BATCHES), str(PER_BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    if kill_after is None:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        return proc.returncode, out
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out


async def inspect(url: str) -> Counter[int]:
    store = SqlEventStore(create_engine(url))
    try:
        report = await averify_events(store.iter_all())
        assert report.ok, report
        events = [e async for e in store.iter_all()]
    finally:
        await store.close()
    per_batch = Counter(int(e.data["batch"]) for e in events)
    partial = {b: n for b, n in per_batch.items() if n != PER_BATCH}
    assert not partial, f"partial batches visible: {partial}"
    return per_batch


@pytest.mark.slow
def test_sigkill_mid_append_leaves_whole_batches_and_reruns_cleanly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    asyncio.run(migrate(url))
    rng = random.Random(int(os.environ.get("SCO_CRASH_SEED", "20010615")))
    killed_mid_run = 0
    for _ in range(10):
        code, out = run_child(url, kill_after=rng.uniform(0.05, 0.6))
        done = sum(1 for line in out.splitlines() if line.startswith("appended"))
        if code == -signal.SIGKILL and done < BATCHES:
            killed_mid_run += 1
        asyncio.run(inspect(url))
    # The test only means something if the kills landed mid-series.
    assert killed_mid_run >= 8
    run_child(url, kill_after=None)
    per_batch = asyncio.run(inspect(url))
    assert sorted(per_batch) == list(range(BATCHES))
    assert set(per_batch.values()) == {PER_BATCH}
