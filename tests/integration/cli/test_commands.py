"""The command line's commands on the bundled history (SQLite): every command's --help, each
export parsed back and compared with the read models or the API, `replay` against the full
database as known at N, `seed`, `backup`, `schema`, and their error paths (one line,
`error: [code] message`, the documented exit code, nothing written)."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest

from sco_registry.app import create_app
from sco_registry.bootstrap import open_registry
from sco_registry.cli import commands, main
from sco_registry.config import Settings
from sco_registry.graphql import readers
from sco_registry.graphql.schema import sdl
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import timeline
from sco_registry.store.chain import averify_events
from tests.cli_run import Run, run, sqlite
from tests.pg import run_in_thread

URL_ENV = "SCO_REGISTRY_DATABASE_URL"
HEADS_OF_STATE = "body/heads_of_state_council"


async def _load(url: str) -> None:
    async with open_registry(Settings(database_url=url), migrate_first=True) as registry:
        summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "bundled.db"
    run_in_thread(_load(sqlite(path)))
    return path


@pytest.fixture
def db(bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled history for this test, named by SCO_REGISTRY_DATABASE_URL."""
    path = tmp_path / "registry.db"
    shutil.copyfile(bundled, path)
    monkeypatch.setenv(URL_ENV, sqlite(path))
    return path


def read(path: Path, work: Callable[[Any], Any]) -> Any:
    async def go() -> Any:
        async with open_registry(Settings(database_url=sqlite(path))) as registry:
            return await registry.projections.read(work)

    return run_in_thread(go())


def chain(path: Path) -> tuple[int, str, bool, list[str]]:
    """The log's length, head hash, whether its chain verifies, and each event's hash."""

    async def go() -> tuple[int, str, bool, list[str]]:
        async with open_registry(Settings(database_url=sqlite(path))) as registry:
            events = [e async for e in registry.store.iter_all()]
            report = await averify_events(registry.store.iter_all())
        return len(events), report.head_hash, report.ok, [e.hash for e in events]

    return run_in_thread(go())


# -- help ----------------------------------------------------------------------------------

EXPECTED = {
    "run",
    "serve",
    "migrate",
    "import",
    "seed",
    "verify",
    "backup",
    "export",
    "export events",
    "export timeline",
    "export meetings",
    "export-events",
    "replay",
    "projections",
    "projections status",
    "projections rebuild",
    "projections catch-up",
    "projections verify",
    "norms",
    "token",
    "schema",
}


def test_the_command_list_is_the_documented_one() -> None:
    assert set(commands()) == EXPECTED


@pytest.mark.parametrize("command", sorted(EXPECTED))
def test_every_command_has_help(command: str, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    with pytest.raises(SystemExit) as exited:
        main([*command.split(), "--help"])
    out, err = capfd.readouterr()
    assert exited.value.code == 0
    assert out.startswith(f"usage: sco-registry {command}"), out
    assert err == ""


def test_the_top_level_help_lists_every_command_and_the_exit_codes(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capfd.readouterr().out
    for command in (c for c in EXPECTED if " " not in c):
        assert command in out, command
    assert "Exit codes: 0 success" in out


# -- export --------------------------------------------------------------------------------


def test_export_events_verifies_as_a_file_with_the_database_head(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "events.ndjson"
    result = run(capfd, "export", "events", "--out", str(out))
    assert result.code == 0, result.err
    count, head, ok, _ = chain(db)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == count == 141 and ok
    assert [json.loads(line)["position"] for line in lines] == list(range(1, count + 1))
    assert run(capfd, "verify", "--file", str(out), "--head", head).code == 0
    # Control: the same file against another head fails.
    assert run(capfd, "verify", "--file", str(out), "--head", "0" * 64).code == 1
    # The older name writes the same file.
    legacy = tmp_path / "legacy.ndjson"
    assert run(capfd, "export-events", "--out", str(legacy)).code == 0
    assert legacy.read_bytes() == out.read_bytes()


def test_export_timeline_json_and_csv_parse_back_to_the_read_model(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    as_json, as_csv = tmp_path / "timeline.json", tmp_path / "timeline.csv"
    assert run(capfd, "export", "timeline", "--out", str(as_json)).code == 0
    assert run(capfd, "export", "timeline", "--format", "csv", "--out", str(as_csv)).code == 0
    document = json.loads(as_json.read_text(encoding="utf-8"))
    assert document["known_at"] == 141
    entries = document["entries"]
    model = read(db, lambda conn: timeline.timeline(conn, limit=10**6))
    assert [(e["position"], e["summary"]) for e in entries] == [
        (m.position, m.summary) for m in model
    ]
    assert [e["event_id"] for e in entries] == [str(m.event_id) for m in model]
    with as_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(entries) > 100
    for row, entry in zip(rows, entries, strict=True):
        assert int(row["position"]) == entry["position"]
        assert row["summary"] == entry["summary"]
        assert row["valid_from"] == (entry["valid_from"] or "")
        assert json.loads(row["sources"]) == entry["sources"]


def test_export_timeline_known_at_is_the_read_model_as_known_then(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.json"
    assert run(capfd, "export", "timeline", "--known-at", "60", "--out", str(out)).code == 0
    entries = json.loads(out.read_text(encoding="utf-8"))["entries"]
    then = read(db, lambda conn: timeline.timeline(conn, known_at=60, limit=10**6))
    now = read(db, lambda conn: timeline.timeline(conn, limit=10**6))
    assert [e["event_id"] for e in entries] == [str(m.event_id) for m in then]
    assert len(then) < len(now)  # control: the position does change the answer
    assert max(e["position"] for e in entries) <= 60


async def _meetings_of(path: Path, body: str | None) -> int:
    """How many meetings of `body` the API counts (GraphQL over HTTP, on the ASGI app)."""
    async with open_registry(Settings(database_url=sqlite(path))) as registry:
        transport = httpx.ASGITransport(app=create_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/graphql",
                json={
                    "query": "query($b: ID) { meetings(first: 1, body: $b) { totalCount } }",
                    "variables": {"b": body},
                },
            )
    body_json = response.json()
    assert "errors" not in body_json, body_json
    count: int = body_json["data"]["meetings"]["totalCount"]
    return count


def _events(path: Path) -> list[Any]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return list(cal.walk("VEVENT"))


def test_export_meetings_ics_counts_the_heads_of_state_meetings_as_the_api(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "meetings.ics"
    result = run(capfd, "export", "meetings", "--out", str(out))
    assert result.code == 0, result.err
    events = _events(out)
    heads = [e for e in events if str(e.get("X-SCO-BODY")) == HEADS_OF_STATE]
    expected = run_in_thread(_meetings_of(db, HEADS_OF_STATE))
    assert len(heads) == expected > 5
    # Control: another body's count is its own, and the whole calendar is every meeting.
    ministers = "body/foreign_ministers_council"
    assert sum(1 for e in events if str(e.get("X-SCO-BODY")) == ministers) == run_in_thread(
        _meetings_of(db, ministers)
    )
    assert len(events) == run_in_thread(_meetings_of(db, None)) > len(heads)
    for e in heads:
        start, end = e.decoded("DTSTART"), e.decoded("DTEND")
        assert start < end  # all-day, end exclusive
        assert str(e["UID"]).endswith("@sco-registry")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    # --body keeps that body's meetings only.
    only = tmp_path / "heads.ics"
    assert run(capfd, "export", "meetings", "--body", HEADS_OF_STATE, "--out", str(only)).code == 0
    assert sorted(str(e["UID"]) for e in _events(only)) == sorted(str(e["UID"]) for e in heads)


# -- replay --------------------------------------------------------------------------------


def test_replay_holds_the_log_up_to_n_and_the_read_models_as_known_at_n(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    n = 90
    out = tmp_path / "at90.db"
    result = run(capfd, "replay", "--to-position", str(n), "--out", str(out))
    assert result.code == 0, result.err
    count, head, ok, hashes = chain(out)
    _, _, _, full_hashes = chain(db)
    assert count == n and ok
    assert hashes == full_hashes[:n]
    assert head == full_hashes[n - 1]
    assert not out.with_name(out.name + "-wal").exists()  # one self-contained file
    # A read model answer in the file equals the full database's answer known at N ...
    at_n = read(db, lambda conn: readers.states(conn, known_at=n))
    in_file = read(out, lambda conn: readers.states(conn))
    assert in_file == at_n
    replayed = read(out, lambda conn: timeline.timeline(conn, limit=10**6))
    known = read(db, lambda conn: timeline.timeline(conn, known_at=n, limit=10**6))
    assert [(e.event_id, e.summary, e.period) for e in replayed] == [
        (e.event_id, e.summary, e.period) for e in known
    ]
    # ... and not its answer now (control: N is a point where the two differ).
    now = read(db, lambda conn: timeline.timeline(conn, limit=10**6))
    assert len(now) > len(replayed)
    # The file's read models are those a fresh rebuild from its log gives, and current.
    result = run_cli_on(out, capfd, "projections", "verify")
    assert result.code == 0, result.err
    status = run_cli_on(out, capfd, "projections", "status").out.splitlines()
    assert len(status) == 10
    assert all(line.endswith(f"checkpoint {n}, head {n}, lag 0, current") for line in status)


def run_cli_on(path: Path, capfd: pytest.CaptureFixture[str], *argv: str) -> Run:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(URL_ENV, sqlite(path))
        return run(capfd, *argv)


def test_replay_of_the_whole_log_and_of_nothing(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    whole, empty = tmp_path / "all.db", tmp_path / "none.db"
    assert run(capfd, "replay", "--to-position", "141", "--out", str(whole)).code == 0
    assert chain(whole)[:3] == chain(db)[:3]
    assert run(capfd, "replay", "--to-position", "0", "--out", str(empty)).code == 0
    assert chain(empty)[0] == 0


# -- seed, backup, schema ------------------------------------------------------------------


def test_seed_loads_the_bundled_history_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fresh.db"
    monkeypatch.setenv(URL_ENV, sqlite(path))
    assert run(capfd, "seed").error_line().startswith("error: [db.not_migrated] ")
    assert run(capfd, "migrate").code == 0
    first = run(capfd, "seed", "--no-progress")
    assert first.code == 0, first.err
    assert "events appended: 141" in first.out
    again = run(capfd, "seed")
    assert again.code == 0 and "events appended: 0" in again.out
    assert chain(path)[0] == 141


def test_backup_is_a_verified_copy_with_the_same_head(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "backup.db"
    result = run(capfd, "backup", "--out", str(out))
    assert result.code == 0, result.err
    head = chain(db)[1]
    assert head in result.out
    assert run_cli_on(out, capfd, "verify", "--head", head).code == 0
    assert run_cli_on(out, capfd, "verify", "--head", "f" * 64).code == 1  # control
    # A second backup to the same name is refused, and the first is left as it was.
    before = out.read_bytes()
    again = run(capfd, "backup", "--out", str(out))
    assert again.code == 2
    assert again.error_line().startswith("error: [cli.output_exists] ")
    assert out.read_bytes() == before


def test_schema_prints_writes_and_checks_the_sdl(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    printed = run(capfd, "schema")
    assert printed.code == 0 and printed.out == sdl()
    out = tmp_path / "schema.graphql"
    assert run(capfd, "schema", "--out", str(out)).code == 0
    assert out.read_text(encoding="utf-8") == sdl()
    assert run(capfd, "schema", "--check", str(out)).code == 0
    out.write_text(sdl().replace("type Query", "type Querry"), encoding="utf-8")
    stale = run(capfd, "schema", "--check", str(out))
    assert stale.code == 1 and "DIFFERS" in stale.err


# -- error paths ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    exit: int
    code: str


CASES = [
    Case(
        "replay past the head",
        ("replay", "--to-position", "142", "--out", "{out}"),
        2,
        "replay.position_out_of_range",
    ),
    Case(
        "replay below zero",
        ("replay", "--to-position", "-1", "--out", "{out}"),
        2,
        "replay.position_out_of_range",
    ),
    Case("replay without a position", ("replay", "--out", "{out}"), 2, "cli.usage"),
    Case(
        "replay not a number", ("replay", "--to-position", "ten", "--out", "{out}"), 2, "cli.usage"
    ),
    Case(
        "replay over a file",
        ("replay", "--to-position", "3", "--out", "{existing}"),
        2,
        "cli.output_exists",
    ),
    Case(
        "replay into a missing dir",
        ("replay", "--to-position", "3", "--out", "{missing}/x"),
        2,
        "io.error",
    ),
    Case(
        "timeline known past the head",
        ("export", "timeline", "--known-at", "500", "--out", "{out}"),
        2,
        "export.position_out_of_range",
    ),
    Case(
        "timeline unknown format",
        ("export", "timeline", "--format", "xml", "--out", "{out}"),
        2,
        "cli.usage",
    ),
    Case("export nothing", ("export",), 2, "cli.usage"),
    Case("export unknown kind", ("export", "people", "--out", "{out}"), 2, "cli.usage"),
    Case(
        "meetings of an unknown body",
        ("export", "meetings", "--body", "body/nobody", "--out", "{out}"),
        2,
        "export.unknown_body",
    ),
    Case("meetings into a directory", ("export", "meetings", "--out", "{dir}"), 2, "io.error"),
    Case("backup over a file", ("backup", "--out", "{existing}"), 2, "cli.output_exists"),
    Case("backup without --out", ("backup",), 2, "cli.usage"),
    Case(
        "schema check of a missing file",
        ("schema", "--check", "{missing}/s.graphql"),
        2,
        "schema.unreadable_file",
    ),
    Case(
        "schema --out and --check", ("schema", "--out", "{out}", "--check", "{out}"), 2, "cli.usage"
    ),
    Case(
        "follow with no interval",
        ("projections", "catch-up", "--follow", "--interval", "0"),
        2,
        "cli.usage",
    ),
    Case("seed extra argument", ("seed", "more"), 2, "cli.usage"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_with_its_code_and_writes_nothing(
    case: Case, db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "existing.db").write_bytes(b"keep me")
    where = {
        "out": str(work / "out"),
        "existing": str(work / "existing.db"),
        "missing": str(work / "missing"),
        "dir": str(work),
    }
    before = db.read_bytes()
    result = run(capfd, *(a.format(**where) for a in case.argv))
    assert result.code == case.exit, result.err
    assert result.error_line().startswith(f"error: [{case.code}] "), result.err
    assert sorted(p.name for p in work.iterdir()) == ["existing.db"]
    assert (work / "existing.db").read_bytes() == b"keep me"
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "argv",
    [
        ("replay", "--to-position", "1", "--out", "{out}"),
        ("export", "timeline", "--out", "{out}"),
        ("export", "meetings", "--out", "{out}"),
        ("backup", "--out", "{out}"),
        ("seed",),
    ],
)
def test_an_unmigrated_database_is_exit_3_and_nothing_is_written(
    argv: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(URL_ENV, sqlite(tmp_path / "never.db"))
    result = run(capfd, *(a.format(out=str(tmp_path / "out")) for a in argv))
    assert result.code == 3
    assert result.error_line().startswith("error: [db.not_migrated] ")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_backup_of_postgresql_points_to_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, "postgresql+asyncpg://postgres@127.0.0.1:1/registry")
    result = run(capfd, "backup", "--out", str(tmp_path / "b.db"))
    assert result.code == 2
    assert result.error_line().startswith("error: [backup.not_sqlite] ")
    assert "pg_dump" in result.err
    assert not list(tmp_path.iterdir())


# -- PostgreSQL as the source --------------------------------------------------------------


def pg_chain(url: str) -> list[str]:
    async def go() -> list[str]:
        async with open_registry(Settings(database_url=url)) as registry:
            return [e.hash async for e in registry.store.iter_all()]

    return run_in_thread(go())


def test_replay_and_exports_from_postgresql(
    fresh_pg_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A deployment's database is PostgreSQL: replay copies its log into SQLite hash for
    hash, and the exports read its read models the same way."""
    run_in_thread(_load(fresh_pg_database))
    monkeypatch.setenv(URL_ENV, fresh_pg_database)
    out = tmp_path / "at50.db"
    result = run(capfd, "replay", "--to-position", "50", "--out", str(out))
    assert result.code == 0, result.err
    count, _, ok, hashes = chain(out)
    assert count == 50 and ok
    assert hashes == pg_chain(fresh_pg_database)[:50]
    at_50 = tmp_path / "t.json"
    assert run(capfd, "export", "timeline", "--known-at", "50", "--out", str(at_50)).code == 0
    entries = json.loads(at_50.read_text(encoding="utf-8"))["entries"]
    replayed = read(out, lambda conn: timeline.timeline(conn, limit=10**6))
    assert [e["event_id"] for e in entries] == [str(e.event_id) for e in replayed]
    ics = tmp_path / "m.ics"
    assert run(capfd, "export", "meetings", "--out", str(ics)).code == 0
    assert len(_events(ics)) == run_in_thread(_meetings_of_url(fresh_pg_database))
    assert run(capfd, "backup", "--out", str(tmp_path / "b.db")).code == 2  # not SQLite


async def _meetings_of_url(url: str) -> int:
    async with open_registry(Settings(database_url=url)) as registry:
        transport = httpx.ASGITransport(app=create_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/graphql", json={"query": "{ meetings(first: 1) { totalCount } }"}
            )
    count: int = response.json()["data"]["meetings"]["totalCount"]
    return count


# -- a tampered log ------------------------------------------------------------------------


def tamper(path: Path, position: int) -> None:
    """Change event `position`'s actor behind the store's back (the triggers dropped)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        names = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='events'"
        ).fetchall()
        for (name,) in names:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE events SET actor = 'mallory' WHERE position = ?", (position,))
        conn.commit()
    finally:
        conn.close()


def test_replay_and_backup_of_a_tampered_log_refuse_it_and_write_nothing(
    db: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    tamper(db, 30)
    assert run(capfd, "verify").code == 1  # control: the log is broken at 30
    work = tmp_path / "work"
    work.mkdir()
    # Up to before the change, the copy is the original's.
    assert run(capfd, "replay", "--to-position", "29", "--out", str(work / "ok.db")).code == 0
    # Past it, the copy's chain (recomputed by the store) cannot be the original's.
    past = run(capfd, "replay", "--to-position", "40", "--out", str(work / "past.db"))
    assert past.code == 2
    assert past.error_line().startswith("error: [replay.diverged] ")
    broken = run(capfd, "backup", "--out", str(work / "b.db"))
    assert broken.code == 1 and "BROKEN" in broken.err
    assert sorted(p.name for p in work.iterdir()) == ["ok.db"]
