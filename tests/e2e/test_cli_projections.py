"""`sco-registry projections ...` and `run`'s start-up step, end to end on an SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sco_registry.cli import main
from sco_registry.projections.runner import default_projections


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry.db"
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def _sql(database: Path, statement: str) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute(statement)


def test_status_verify_rebuild_and_catch_up(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--no-serve"]) == 0
    out = capsys.readouterr().out
    head = next(line for line in out.splitlines() if line.startswith("events: ")).split()[1]
    assert f"projections: membership: version 1, checkpoint {head[:-1]}" in out
    assert main(["projections", "status"]) == 0
    assert capsys.readouterr().out.strip().endswith("lag 0, current")
    assert main(["projections", "verify"]) == 0
    assert capsys.readouterr().out.startswith("ok: membership: ")
    assert main(["projections", "rebuild", "membership"]) == 0
    assert "rebuilt membership at position" in capsys.readouterr().out
    assert main(["projections", "catch-up"]) == 0
    assert "membership: 0 events applied" in capsys.readouterr().out


def test_verify_reports_drift_with_exit_1_and_rebuild_repairs_it(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--no-serve"]) == 0
    _sql(database, "UPDATE membership_periods SET status = 'member' WHERE state = 'MN'")
    capsys.readouterr()
    assert main(["projections", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("DRIFT: membership: ") and "live only: " in err
    assert main(["projections", "rebuild"]) == 0
    assert main(["projections", "verify"]) == 0


def test_run_rebuilds_a_stale_projection_and_catches_up_a_lagging_one(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--no-serve"]) == 0
    _sql(database, "UPDATE projection_checkpoints SET version = 0")  # another version's rows
    capsys.readouterr()
    assert main(["projections", "status"]) == 0
    assert "stale (rows of version 0)" in capsys.readouterr().out
    assert main(["projections", "catch-up"]) == 2
    assert capsys.readouterr().err.startswith("error: [projection.stale] ")
    assert main(["run", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "projections: rebuilt the stale projection membership" in out
    assert "lag 0, current" in out
    # A database whose read models were never applied (migrated under an existing log).
    _sql(database, "DELETE FROM projection_checkpoints")
    for projection in default_projections():
        for table in projection.tables.values():
            _sql(database, f"DELETE FROM {table.name}")
    assert main(["run", "--no-serve"]) == 0
    assert "lag 0, current" in capsys.readouterr().out
    assert main(["projections", "verify"]) == 0


def test_an_unknown_projection_is_one_line_exit_2(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--no-serve"]) == 0
    capsys.readouterr()
    assert main(["projections", "rebuild", "nope"]) == 2
    err = capsys.readouterr().err
    known = ", ".join(p.name for p in default_projections())
    assert err == f"error: [projection.unknown] no projection 'nope' (known: {known})\n"
    assert "membership" in known
    assert main(["projections"]) == 2
    assert capsys.readouterr().err.startswith("error: [cli.usage] ")
