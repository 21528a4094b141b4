"""End to end through the command line: first start, second start, norms, verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from sco_registry.cli import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry.db"
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def test_run_loads_bundled_history_once(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 0
    first = capsys.readouterr().out
    assert "loaded the bundled history" in first
    assert "rejected: 0" in first
    assert str(database) in first
    events = next(line for line in first.splitlines() if line.startswith("events: "))
    assert "chain intact" in events

    assert main(["run"]) == 0
    second = capsys.readouterr().out
    assert "not loaded again" in second
    # Same head: nothing was appended by the second start.
    assert next(line for line in second.splitlines() if line.startswith("events: ")) == events


def test_norms_report_departures_of_real_history(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 0
    capsys.readouterr()
    assert main(["norms"]) == 0
    out = capsys.readouterr().out
    # Moscow 2003 followed St. Petersburg 2002: Russia hosted twice running.
    assert "2003 body/heads_of_state_council rotation (Art. 3): departed: RU" in out
    assert "departures from the declaration's norms" in out
    assert main(["norms", "--all"]) == 0
    everything = capsys.readouterr().out
    assert ": met:" in everything
    assert len(everything.splitlines()) > len(out.splitlines())


def test_import_of_a_broken_file_exits_2_and_appends_nothing(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 0
    head = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("events: ")
    )
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"format": "sco-registry-history/1", "title": "t", "covers": {"from": "2013", '
        '"to": "2013"}, "states": [{"code": "KZ", "name": "Kazakhstan"}], "records": [{"id": '
        '"meeting/heads_of_state/2013", "kind": "meeting", "body": "body/heads_of_state_council",'
        ' "start_date": "2013-13-40", "city": "Bishkek", "host_state": "XX", "format": '
        '"in_person", "sources": [{"title": "s"}], "confidence": "high"}]}',
        encoding="utf-8",
    )
    assert main(["import", "--no-progress", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "import.date_malformed" in err and "import.unknown_state" in err
    assert main(["run"]) == 0
    assert head in capsys.readouterr().out
