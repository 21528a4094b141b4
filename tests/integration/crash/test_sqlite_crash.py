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
from collections import Counter
from pathlib import Path

import pytest

from sco_registry.db import create_engine, migrate
from sco_registry.store.chain import averify_events
from sco_registry.store.sql import SqlEventStore

CHILD = Path(__file__).with_name("appender.py")
BATCHES = 400
PER_BATCH = 4


def run_child(url: str, *, kill_at_batch: int | None, naive: bool = False) -> tuple[int, int]:
    """Run the appender; SIGKILL it once it reports batch `kill_at_batch` (it is then already
    inside the next appends). Returns the exit code and the last batch it reported."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            url,
            str(BATCHES),
            str(PER_BATCH),
            *(["naive"] if naive else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    last = -1
    for line in proc.stdout:
        last = int(line.split()[1])
        if kill_at_batch is not None and last >= kill_at_batch:
            proc.send_signal(signal.SIGKILL)
            break
    _, err = proc.communicate(timeout=300)
    if kill_at_batch is None:
        assert proc.returncode == 0, err
    return proc.returncode, last


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
    assert not partial, f"partial or duplicated batches visible: {partial}"
    return per_batch


@pytest.mark.slow
def test_sigkill_mid_append_leaves_whole_batches_and_reruns_cleanly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    asyncio.run(migrate(url))
    rng = random.Random(int(os.environ.get("SCO_CRASH_SEED", "20010615")))
    # Ten kill points, random but increasing, so that every kill lands among new appends.
    kill_points = sorted(rng.sample(range(5, BATCHES - 5), 10))
    for point in kill_points:
        code, last = run_child(url, kill_at_batch=point)
        # The test only means something if the kill landed mid-series.
        assert code == -signal.SIGKILL and last < BATCHES - 1
        per_batch = asyncio.run(inspect(url))
        assert max(per_batch) >= point
    run_child(url, kill_at_batch=None)
    per_batch = asyncio.run(inspect(url))
    assert sorted(per_batch) == list(range(BATCHES))
    assert set(per_batch.values()) == {PER_BATCH}


def test_negative_control_a_naive_appender_is_caught(tmp_path: Path) -> None:
    """The same checks catch an appender with per-event commits and no idempotency keys."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'naive.db'}"
    asyncio.run(migrate(url))
    run_child(url, kill_at_batch=50, naive=True)
    run_child(url, kill_at_batch=None, naive=True)  # the re-run duplicates what was there
    with pytest.raises(AssertionError, match="partial or duplicated batches"):
        asyncio.run(inspect(url))
