"""No command answers with a traceback: every failure is one line, `error: [code] message`,
and the documented exit code (the cli package's docstring, README.md): 0 success, 1 only a broken
chain, 2 bad input or usage, 3 a database that cannot be used as it is, 70 a bug.

One test per case of issue 6 (section 4), then a table of every subcommand with bad inputs,
then the same cases through a real process (`python -m sco_registry.cli`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sco_registry.cli import reports, verify_file
from sco_registry.db import create_engine, migrate
from sco_registry.domain.errors import RegistryError
from sco_registry.importer.format import parse_path
from sco_registry.store.base import NewEvent
from sco_registry.store.sql import SqlEventStore
from tests.cli_run import run, sqlite
from tests.pg import run_in_thread

# A traceback printed by a thread or a finalizer (after `main` returned) fails the test too.
pytestmark = [
    pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

URL_ENV = "SCO_REGISTRY_DATABASE_URL"
UNREACHABLE_PG = "postgresql+asyncpg://postgres@127.0.0.1:1/registry"  # nothing listens on 1
NOT_MIGRATED = "database not migrated: run sco-registry migrate"


def deep_json(path: Path, depth: int = 100_000) -> Path:
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    return path


def binary(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 4)  # not UTF-8 from byte 0x80 on
    return path


def fill(url: str, n: int = 3) -> None:
    async def go() -> None:
        store = SqlEventStore(create_engine(url))
        try:
            await store.append("s", [NewEvent("Recorded", {"n": i}) for i in range(n)])
        finally:
            await store.close()

    run_in_thread(go())


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database with three events, named by the environment."""
    url = sqlite(tmp_path / "registry.db")
    run_in_thread(migrate(url))
    fill(url)
    monkeypatch.setenv(URL_ENV, url)
    return url


# -- one test per case ------------------------------------------------------------------


def test_verify_file_on_a_binary_file(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    result = run(capfd, "verify", "--file", str(binary(tmp_path / "photo.bin")))
    assert result.code == 2  # bad input, not "the chain is broken"
    assert "[verify.not_text]" in result.error_line()
    assert "photo.bin" in result.err


def test_verify_file_control_an_export_verifies(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "log.ndjson"
    assert run(capfd, "export-events", "--out", str(out)).code == 0
    assert run(capfd, "verify", "--file", str(out)).code == 0
    # The same export with one byte made invalid UTF-8: refused as not text, never "ok".
    data = bytearray(out.read_bytes())
    data[data.index(b'"Recorded"') + 1] = 0xFF
    out.write_bytes(bytes(data))
    assert run(capfd, "verify", "--file", str(out)).code == 2


def test_import_of_a_deeply_nested_file_names_the_file(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    deep = deep_json(tmp_path / "deep.json")
    result = run(capfd, "import", "--no-progress", str(deep))
    assert result.code == 2
    assert f"{deep}: -: -: [import.file_unreadable]" in result.err
    assert "nested too deeply" in result.err
    assert "events appended: 0" in result.out
    assert run(capfd, "verify").out.count(": 3 events") == 1  # nothing appended


def test_the_nesting_guard_is_in_the_file_reader(tmp_path: Path) -> None:
    deep = parse_path(deep_json(tmp_path / "deep.json"))
    assert [(p.file, p.record_id, p.code) for p in deep.problems] == [
        (str(tmp_path / "deep.json"), None, "import.file_unreadable")
    ]
    # Control: shallow nesting of the same shape is read as JSON, and refused as a file
    # that is not an object (a different, ordinary problem).
    shallow = parse_path(deep_json(tmp_path / "shallow.json", depth=50))
    assert [p.code for p in shallow.problems] == ["import.bad_json"]


@pytest.mark.parametrize("command", ["verify", "import", "export-events", "norms"])
def test_a_missing_sqlite_file_is_not_created_and_not_migrated(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "never.db"
    monkeypatch.setenv(URL_ENV, sqlite(path))
    args = {
        "verify": ["verify"],
        "import": ["import", "--no-progress", str(tmp_path / "x.json")],
        "export-events": ["export-events", "--out", str(tmp_path / "out.ndjson")],
        "norms": ["norms"],
    }[command]
    result = run(capfd, *args)
    assert result.code == 3
    line = result.error_line()
    assert line.startswith("error: [db.not_migrated] " + NOT_MIGRATED)
    assert str(path) in line
    assert not path.exists()  # the command did not create it
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_existing_empty_sqlite_database_is_not_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    monkeypatch.setenv(URL_ENV, sqlite(path))
    for args in (["verify"], ["import", "--no-progress", "x.json"]):
        result = run(capfd, *args)
        assert result.code == 3
        assert result.error_line().startswith("error: [db.not_migrated] " + NOT_MIGRATED)
    # Control: once migrated, the same commands work.
    assert run(capfd, "migrate").code == 0
    assert run(capfd, "verify").code == 0


@pytest.mark.postgres
def test_an_unmigrated_postgresql_database(
    fresh_pg_database: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, fresh_pg_database)
    for args in (["verify"], ["norms"], ["import", "--no-progress", "x.json"]):
        result = run(capfd, *args)
        assert result.code == 3, args
        assert result.error_line().startswith("error: [db.not_migrated] " + NOT_MIGRATED)
    assert run(capfd, "migrate").code == 0
    assert run(capfd, "verify").code == 0


def test_a_database_at_an_older_revision_says_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    url = sqlite(tmp_path / "old.db")
    monkeypatch.setenv(URL_ENV, url)
    assert run(capfd, "migrate").code == 0
    # Really at 0001 (the later revisions undone), not only labelled so: `migrate` then
    # runs them again.
    from tests.integration.store.test_migrations import migrate_to

    run_in_thread(migrate_to(url, "0001", down=True))
    result = run(capfd, "verify")
    assert result.code == 3
    line = result.error_line()
    assert "[db.schema_mismatch]" in line and "0001" in line and "run sco-registry migrate" in line
    assert run(capfd, "migrate").code == 0
    assert run(capfd, "verify").code == 0


def test_a_database_from_a_newer_version_is_refused_by_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    url = sqlite(tmp_path / "new.db")
    monkeypatch.setenv(URL_ENV, url)
    assert run(capfd, "migrate").code == 0
    set_revision(url, "9999_from_the_future")
    for args in (["verify"], ["migrate"]):
        result = run(capfd, *args)
        assert result.code == 3, args
        assert "[db.schema_mismatch]" in result.error_line()
        assert "newer sco-registry" in result.err


def set_revision(url: str, revision: str) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
                )
        finally:
            await engine.dispose()

    run_in_thread(go())


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "malformed"),
        ("postgresql+asyncpg://u@host:notaport/db", "malformed"),
        ("postgresql+asyncpg://u@host:99999/db", "port"),
        ("mysql://u@host/db", "does not support"),
        ("postgresql://u@host/db", "use postgresql+asyncpg://"),
        ("sqlite:///x.db", "use sqlite+aiosqlite://"),
        ("postgresql+asyncpg://u@host", "no database"),
    ],
)
def test_a_malformed_database_url(
    url: str, says: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, url)
    result = run(capfd, "verify")
    assert result.code == 2
    line = result.error_line()
    assert line.startswith("error: [config.invalid_database_url] SCO_REGISTRY_DATABASE_URL")
    assert says in line


def test_a_malformed_setting(
    db: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCO_REGISTRY_SQLITE_BUSY_TIMEOUT_MS", "soon")
    result = run(capfd, "verify")
    assert result.code == 2
    assert "[config.invalid_setting] SCO_REGISTRY_SQLITE_BUSY_TIMEOUT_MS" in result.error_line()
    monkeypatch.setenv("SCO_REGISTRY_SQLITE_BUSY_TIMEOUT_MS", "100")
    assert run(capfd, "verify").code == 0  # control


@pytest.mark.parametrize("command", ["verify", "migrate", "run", "norms"])
def test_an_unreachable_postgresql_server(
    command: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, UNREACHABLE_PG)
    result = run(capfd, command)
    assert result.code == 3
    line = result.error_line()
    assert line.startswith("error: [db.unreachable] cannot connect to PostgreSQL at 127.0.0.1:1/")


def test_an_sqlite_path_that_is_not_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(URL_ENV, sqlite(binary(tmp_path / "photo.bin")))
    for command in ("verify", "migrate"):
        result = run(capfd, command)
        assert result.code == 3
        assert "[db.not_a_database]" in result.error_line()
    monkeypatch.setenv(URL_ENV, sqlite(tmp_path))  # a directory
    assert "[db.unreachable]" in run(capfd, "migrate").error_line()


def test_verify_head_with_a_malformed_hash(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    intact = run(capfd, "verify")
    head = intact.out.split("head ")[-1].strip()
    assert len(head) == 64
    for bad in ("zz", head[:-1], head + "0", "g" * 64, ""):
        result = run(capfd, "verify", "--head", bad)
        assert result.code == 2, bad
        assert "[verify.malformed_head]" in result.error_line()
    # Controls: the right head passes (any case), a well-formed wrong one breaks the chain.
    assert run(capfd, "verify", "--head", head.upper()).code == 0
    wrong = run(capfd, "verify", "--head", "0" * 64)
    assert wrong.code == 1 and "BROKEN" in wrong.err


def test_export_to_a_directory_leaves_no_partial_file(
    db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "exports"
    target.mkdir()
    result = run(capfd, "export-events", "--out", str(target))
    assert result.code == 2
    assert "[io.error]" in result.error_line()
    assert not (tmp_path / "exports.partial").exists()


def test_an_unexpected_error_is_one_line_with_exit_70(
    db: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    async def broken(*_: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(reports, "_norms", broken)
    result = run(capfd, "norms")
    assert result.code == 70
    assert result.error_line() == "error: [internal.unexpected] ZeroDivisionError: a bug"


# -- every subcommand with bad inputs ---------------------------------------------------


@dataclass(frozen=True)
class Case:
    """`argv` run with the database `env` (a key of `environments`); {dir}, {missing},
    {binary}, {empty}, {deep}, {text} in argv are files of the test's directory."""

    name: str
    argv: tuple[str, ...]
    exit: int
    code: str | None  # the error's code on the one stderr line (None: no error line)
    env: str = "good"
    marks: tuple[pytest.MarkDecorator, ...] = field(default=())


DB_COMMANDS: dict[str, tuple[str, ...]] = {
    "verify": ("verify",),
    "verify --head": ("verify", "--head", "0" * 64),
    "export-events": ("export-events", "--out", "{dir}/out.ndjson"),
    "import": ("import", "--no-progress", "{text}"),
    "norms": ("norms",),
    "serve": ("serve", "--port", "0"),
}
ALL_COMMANDS = {**DB_COMMANDS, "migrate": ("migrate",), "run": ("run",)}
# Environments where the database cannot be used: (exit, code, commands it applies to).
BAD_ENVIRONMENTS: dict[str, tuple[int, str, dict[str, tuple[str, ...]]]] = {
    "missing file": (3, "db.not_migrated", DB_COMMANDS),
    "empty file": (3, "db.not_migrated", DB_COMMANDS),
    "binary file": (3, "db.not_a_database", ALL_COMMANDS),
    "directory": (3, "db.unreachable", ALL_COMMANDS),
    "malformed url": (2, "config.invalid_database_url", ALL_COMMANDS),
    "unsupported driver": (2, "config.invalid_database_url", ALL_COMMANDS),
    "unreachable postgresql": (3, "db.unreachable", ALL_COMMANDS),
    "bad setting": (2, "config.invalid_setting", ALL_COMMANDS),
    "unmigrated postgresql": (3, "db.not_migrated", DB_COMMANDS),
}

CASES: list[Case] = [
    *(
        Case(
            f"{command} / {env}",
            argv,
            exit_code,
            code,
            env,
            (pytest.mark.postgres,) if env == "unmigrated postgresql" else (),
        )
        for env, (exit_code, code, commands) in BAD_ENVIRONMENTS.items()
        for command, argv in commands.items()
    ),
    # Files given to commands, with a good database.
    Case("verify --file missing", ("verify", "--file", "{missing}"), 2, "verify.unreadable_file"),
    Case("verify --file directory", ("verify", "--file", "{dir}"), 2, "verify.unreadable_file"),
    Case("verify --file binary", ("verify", "--file", "{binary}"), 2, "verify.not_text"),
    # An empty export is the export of an empty log: intact, 0 events.
    Case("verify --file empty", ("verify", "--file", "{empty}"), 0, None),
    # Text that is not an event is a broken chain at position 1 (as a damaged export is).
    Case("verify --file prose", ("verify", "--file", "{text}"), 1, None),
    Case("verify --file deep", ("verify", "--file", "{deep}"), 1, None),
    Case("verify --head short", ("verify", "--head", "abc"), 2, "verify.malformed_head"),
    Case(
        "verify --file --head bad",
        ("verify", "--file", "{empty}", "--head", "x" * 64),
        2,
        "verify.malformed_head",
    ),
    Case("import missing", ("import", "--no-progress", "{missing}"), 2, None),
    Case("import directory", ("import", "--no-progress", "{dir}"), 2, None),
    Case("import binary", ("import", "--no-progress", "{binary}"), 2, None),
    Case("import empty", ("import", "--no-progress", "{empty}"), 2, None),
    Case("import deep", ("import", "--no-progress", "{deep}"), 2, None),
    Case("import prose", ("import", "--no-progress", "{text}"), 2, None),
    Case("export to a directory", ("export-events", "--out", "{dir}"), 2, "io.error"),
    Case("export to a missing dir", ("export-events", "--out", "{missing}/x"), 2, "io.error"),
    # Usage.
    Case("no command", (), 2, "cli.usage"),
    Case("unknown command", ("frobnicate",), 2, "cli.usage"),
    Case("verify unknown flag", ("verify", "--bogus"), 2, "cli.usage"),
    Case("verify --head without value", ("verify", "--head"), 2, "cli.usage"),
    Case("import without files", ("import",), 2, "cli.usage"),
    Case("export without --out", ("export-events",), 2, "cli.usage"),
    Case("norms extra argument", ("norms", "extra"), 2, "cli.usage"),
    Case("migrate unknown flag", ("migrate", "--force"), 2, "cli.usage"),
    Case("run unknown flag", ("run", "-x"), 2, "cli.usage"),
]


@pytest.fixture(scope="module")
def good_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite(tmp_path_factory.mktemp("good") / "registry.db")
    run_in_thread(migrate(url))
    fill(url)
    return url


@pytest.fixture
def environments(
    request: pytest.FixtureRequest, good_url: str, tmp_path: Path
) -> Iterator[dict[str, dict[str, str]]]:
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    (db_dir / "empty.db").touch()
    binary(db_dir / "photo.db")
    env: dict[str, dict[str, str]] = {
        "good": {URL_ENV: good_url},
        "missing file": {URL_ENV: sqlite(db_dir / "never.db")},
        "empty file": {URL_ENV: sqlite(db_dir / "empty.db")},
        "binary file": {URL_ENV: sqlite(db_dir / "photo.db")},
        "directory": {URL_ENV: sqlite(db_dir)},
        "malformed url": {URL_ENV: "postgresql+asyncpg://u@[::1/db"},
        "unsupported driver": {URL_ENV: "oracle://u@host/db"},
        "unreachable postgresql": {URL_ENV: UNREACHABLE_PG},
        "bad setting": {URL_ENV: good_url, "SCO_REGISTRY_SQLITE_BUSY_TIMEOUT_MS": "-5"},
    }
    if "unmigrated postgresql" in request.node.name:
        env["unmigrated postgresql"] = {URL_ENV: request.getfixturevalue("fresh_pg_database")}
    yield env


def files(tmp_path: Path) -> dict[str, str]:
    d = tmp_path / "files"
    d.mkdir()
    (d / "empty.json").touch()
    (d / "prose.txt").write_text("Dear registry,\nplease verify this.\n", encoding="utf-8")
    return {
        "dir": str(d),
        "missing": str(d / "missing.json"),
        "binary": str(binary(d / "photo.bin")),
        "empty": str(d / "empty.json"),
        "deep": str(deep_json(d / "deep.json")),
        "text": str(d / "prose.txt"),
    }


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=c.marks) for c in CASES])
def test_every_subcommand_with_bad_input(
    case: Case,
    environments: dict[str, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    for name, value in environments[case.env].items():
        monkeypatch.setenv(name, value)
    where = files(tmp_path)
    argv = [a.format(**where) for a in case.argv]
    before = sorted(p.name for p in (tmp_path / "db").iterdir())
    given = sorted(os.listdir(where["dir"]))
    result = run(capfd, *argv)
    assert result.code == case.exit, result.err
    assert "internal.unexpected" not in result.err
    if case.code is not None:
        assert result.error_line().startswith(f"error: [{case.code}] "), result.err
    elif case.exit == 2:  # an import's report: one problem a line with its code, then the verdict
        *problems, verdict = result.err.splitlines()
        assert problems and all("[import." in line for line in problems), result.err
        assert verdict.startswith("rejected: nothing was appended from any file"), result.err
    # Nothing is created beside the databases (SQLite's -wal/-shm files go with the file).
    after = {p.name for p in (tmp_path / "db").iterdir()} - {
        f"{n}{s}" for n in before for s in ("-wal", "-shm")
    }
    assert sorted(after) == before
    assert sorted(os.listdir(where["dir"])) == given  # no export, no .partial file


# -- through a real process -------------------------------------------------------------


def test_the_issue_cases_in_a_real_process(tmp_path: Path) -> None:
    """The cases as an operator meets them: the installed entry point's module in its own
    interpreter, so nothing (an unraisable exception, a warning at exit) can print a
    traceback around `main`."""
    missing = tmp_path / "never.db"
    cases = [
        ({URL_ENV: sqlite(missing)}, ["verify", "--file", str(binary(tmp_path / "b.bin"))], 2),
        ({URL_ENV: sqlite(missing)}, ["verify"], 3),
        ({URL_ENV: sqlite(missing)}, ["import", str(deep_json(tmp_path / "deep.json"))], 3),
        ({URL_ENV: "not a url"}, ["verify"], 2),
        ({URL_ENV: UNREACHABLE_PG}, ["verify"], 3),
        # aiosqlite's failed open used to print a thread's traceback at exit (see db.py).
        ({URL_ENV: sqlite(tmp_path)}, ["verify"], 3),
        ({URL_ENV: sqlite(tmp_path)}, ["migrate"], 3),
        ({URL_ENV: sqlite(binary(tmp_path / "photo.db"))}, ["migrate"], 3),
    ]
    for env, argv, expected in cases:
        done = subprocess.run(
            [sys.executable, "-m", "sco_registry.cli", *argv],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == expected, (argv, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ["), done.stderr
    assert not missing.exists()


# -- verify --file over arbitrary content -----------------------------------------------

_EXPORT_KEYS = [
    "position",
    "event_id",
    "stream_id",
    "stream_version",
    "type",
    "schema_version",
    "data",
    "metadata",
    "valid_time",
    "recorded_at",
    "actor",
    "sources",
    "correlation_id",
    "causation_id",
    "hash",
]
_VALID_LINE: dict[str, object] = {
    "actor": None,
    "causation_id": None,
    "correlation_id": None,
    "data": {"n": 1},
    "event_id": "7f0c1c84-1f43-4a55-9d0a-4b1cf4a5d001",
    "hash": "0" * 64,
    "metadata": {},
    "position": 1,
    "recorded_at": "2026-12-01T09:00:00.000000Z",
    "schema_version": 1,
    "sources": [{"title": "Charter"}],
    "stream_id": "s",
    "stream_version": 1,
    "type": "Recorded",
    "valid_time": "2002-06-07",
}


def _mutated_line(change: tuple[str, object]) -> bytes:
    key, value = change
    line = dict(_VALID_LINE)
    if value is ...:
        del line[key]
    else:
        line[key] = value
    return json.dumps(line).encode()


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=40),
            st.dictionaries(st.sampled_from(_EXPORT_KEYS), _json_values).map(
                lambda d: json.dumps(d).encode()
            ),
            # A real export line with one field replaced by any JSON value, or removed.
            st.tuples(st.sampled_from(_EXPORT_KEYS), _json_values | st.just(...)).map(
                _mutated_line
            ),
        ),
        max_size=4,
    )
)
def test_verify_file_only_reports_or_refuses(
    lines: list[bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever the file holds, `verify --file` gives a report (intact or broken) or a
    RegistryError with a code: never another exception."""
    path = tmp_path_factory.mktemp("fuzz") / "export.ndjson"
    path.write_bytes(b"\n".join(lines))
    try:
        report = verify_file(path)
    except RegistryError as e:
        assert e.code in {"verify.not_text"}
    else:
        assert report.ok == (report.broken_at is None)


@pytest.mark.postgres
def test_no_output_shows_the_database_password(
    fresh_pg_database: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # The test server trusts local connections, so any password is accepted.
    monkeypatch.setenv(URL_ENV, fresh_pg_database.replace("://postgres@", "://postgres:s3cret@"))
    assert "s3cret" in os.environ[URL_ENV]
    for args in (["migrate"], ["verify"]):
        result = run(capfd, *args)
        assert result.code == 0
        assert "s3cret" not in result.out + result.err and "***" in result.out


@pytest.mark.parametrize("url", ["not a url", "mysql://u@host/db", "postgresql+asyncpg://u@h:x/d"])
def test_engine_creation_refuses_a_malformed_url_with_the_config_code(url: str) -> None:
    """For callers that bypass the settings (scripts, the benchmarks): the same code."""
    with pytest.raises(RegistryError) as refused:
        create_engine(url)
    assert refused.value.code == "config.invalid_database_url"
