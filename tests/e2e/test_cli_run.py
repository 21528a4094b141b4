"""End to end through the command line: first start, second start, norms, verify; `run`
and `serve` as a subprocess answering over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sco_registry.cli import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry.db"
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def test_run_loads_bundled_history_once(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--no-serve"]) == 0
    first = capsys.readouterr().out
    assert "loaded the bundled history" in first
    assert "rejected: 0" in first
    assert str(database) in first
    events = next(line for line in first.splitlines() if line.startswith("events: "))
    assert "chain intact" in events

    assert main(["run", "--no-serve"]) == 0
    second = capsys.readouterr().out
    assert "not loaded again" in second
    # Same head: nothing was appended by the second start.
    assert next(line for line in second.splitlines() if line.startswith("events: ")) == events


def test_norms_report_departures_of_real_history(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--no-serve"]) == 0
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
    assert main(["run", "--no-serve"]) == 0
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
    assert main(["run", "--no-serve"]) == 0
    assert head in capsys.readouterr().out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(process: subprocess.Popen[str], port: int, deadline_s: float = 300) -> None:
    """Until /readyz answers 200, or the process ends (a failure), or the deadline."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        assert process.poll() is None, f"the server exited: {process.communicate()}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server never became ready")


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    return process.returncode, out


def _start(args: list[str], database: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    return subprocess.Popen(
        [sys.executable, "-m", "sco_registry.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_run_then_serve_answer_over_http(tmp_path: Path) -> None:
    """`run` prepares the database and ends serving it (printing the URL); `serve` serves it
    again; both answer GraphQL and GraphiQL over HTTP and stop on SIGTERM with exit 0."""
    database = tmp_path / "served.db"
    port = _free_port()
    process = _start(["run", "--port", str(port)], database)
    try:
        _wait_ready(process, port)
        body = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": "{ head { position hash } }"}
        ).json()
        head = body["data"]["head"]
        assert head["position"] > 100 and len(head["hash"]) == 64
        page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
    finally:
        code, out = _stop(process)
    assert code == 0
    assert f"GraphiQL at http://127.0.0.1:{port}/graphql" in out
    assert "loaded the bundled history" in out

    port = _free_port()
    process = _start(["serve", "--port", str(port)], database)
    try:
        _wait_ready(process, port)
        again = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": "{ head { position hash } }"}
        ).json()
        assert again["data"]["head"] == head  # the same log, nothing appended
    finally:
        code, out = _stop(process)
    assert code == 0 and f"http://127.0.0.1:{port}/graphql" in out
