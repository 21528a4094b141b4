"""`projections catch-up --follow`, the deployment's projection worker, in its own process:
it catches lagging read models up, keeps doing so as other processes append, and stops
cleanly (exit 0) on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.importer.bundled import bundled_files
from sco_registry.importer.load import import_files
from sco_registry.projections.runner import Status
from tests.pg import run_in_thread

# A bound on waiting for the worker, not a measurement: the test fails only if it is never
# caught up at all (a loaded machine takes longer, never this long).
PATIENCE_S = 180.0


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _append_without_projections(path: Path, files: list[Path], migrate: bool) -> int:
    """Import `files` with the inline projections detached: the read models lag behind."""
    async with open_registry(Settings(database_url=url(path)), migrate_first=migrate) as r:
        r.projections.host.attach_projector(None)
        summary = await import_files(files, r.store, scratch_store=r.scratch_store)
        assert summary.ok, summary.problems
        return await r.store.head_position()


async def _status(path: Path) -> list[Status]:
    async with open_registry(Settings(database_url=url(path))) as r:
        return await r.projections.status()


def _wait_current(path: Path, head: int, worker: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        assert worker.poll() is None, worker.communicate()
        found = run_in_thread(_status(path))
        if all(s.checkpoint == head and s.state == "current" for s in found):
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker never caught up to {head}: {found}")


def test_the_worker_follows_the_log_and_stops_on_sigterm(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    history, declaration = bundled_files()
    first = run_in_thread(_append_without_projections(path, [history], migrate=True))
    before = run_in_thread(_status(path))
    assert first > 0
    assert all(s.lag == first and s.state == "lagging" for s in before), before  # control
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": url(path)}
    argv = ["projections", "catch-up", "--follow", "--interval", "0.2"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "sco_registry.cli", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_current(path, first, worker)
        # Another process appends (its projections detached): the worker applies that too.
        second = run_in_thread(_append_without_projections(path, [declaration], migrate=False))
        assert second > first
        _wait_current(path, second, worker)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=PATIENCE_S)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert "Traceback" not in out + err
    lines = out.splitlines()
    assert lines[0] == "following the log: 10 projections"
    assert lines[-1] == "stopped following the log"
    assert any(line == f"membership: {first} events applied" for line in lines), out
