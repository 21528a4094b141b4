"""The `import` subcommand (importer/cli.py): arguments, problems one a line, the summary,
exit codes and the progress bar."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
from pathlib import Path

import pytest

from sco_registry.cli import main
from sco_registry.importer.cli import ProgressBar, add_import_parser, run_import
from sco_registry.store.base import RecordedEvent
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.importer.importer_samples import every_kind_file, record, write

DATA = Path(__file__).parents[3] / "data"


def no_controls(text: str) -> str:
    """Terminal output without its control sequences (colours, cursor)."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def parse_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sco-registry")
    add_import_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["import", *argv])


async def test_import_prints_a_summary_and_exits_0_then_appends_nothing() -> None:
    store = InMemoryEventStore()
    files = [str(DATA / "sco-history-1996-2012.json"), str(DATA / "declaration-2001.json")]
    out, err = io.StringIO(), io.StringIO()
    assert await run_import(parse_args(*files), store, out=out, err=err) == 0
    head = await store.head_position()
    assert out.getvalue() == (
        f"records read: 120, events appended: {head}, already imported: 0, rejected: 0\n"
    )
    assert err.getvalue() == ""  # not a terminal: no progress bar
    out = io.StringIO()
    assert await run_import(parse_args(*files), store, out=out, err=err) == 0
    assert out.getvalue() == (
        "records read: 120, events appended: 0, already imported: 120, rejected: 0\n"
    )


async def test_a_rejected_import_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    doc = every_kind_file()
    record(doc, "meeting/s5/1996")["start_date"] = "1996-04-31"
    record(doc, "office/rats/director")["nationality"] = "XX"
    path = write(tmp_path / "broken.json", doc)
    out, err = io.StringIO(), io.StringIO()
    store = InMemoryEventStore()
    assert await run_import(parse_args(str(path)), store, out=out, err=err) == 2
    lines = err.getvalue().splitlines()
    assert f"{path}: meeting/s5/1996: start_date: [import.date_malformed] " in lines[0]
    assert lines[1].startswith(f"{path}: office/rats/director: nationality: [import.unknown_state]")
    assert out.getvalue().endswith("events appended: 0, already imported: 0, rejected: 2\n")
    assert await store.head_position() == 0


async def test_actor_is_recorded(tmp_path: Path) -> None:
    store = InMemoryEventStore()
    path = write(tmp_path / "every.json", every_kind_file())
    args = parse_args("--actor", "curator", str(path))
    assert await run_import(args, store, out=io.StringIO(), err=io.StringIO()) == 0
    assert {e.actor for e in await store.read_all()} == {"curator"}


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    tty = io.StringIO()
    bar = ProgressBar(tty, enabled=True)
    bar(0, 4)
    bar(2, 4)
    bar(4, 4)
    bar.close()
    drawn = no_controls(tty.getvalue())
    assert "importing" in drawn and "2/4 records" in drawn and "4/4 records" in drawn
    assert drawn.endswith("\n")
    plain = io.StringIO()
    quiet = ProgressBar(plain)  # a StringIO is no terminal
    quiet(1, 2)
    quiet.close()
    assert plain.getvalue() == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_an_import_on_a_terminal_draws_the_bar_and_no_progress_silences_it(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "every.json", every_kind_file())
    total = len(every_kind_file()["records"])
    err = _Terminal()
    assert await run_import(parse_args(str(path)), InMemoryEventStore(), out=io.StringIO(),
                            err=err) == 0  # fmt: skip
    assert f"{total}/{total} records" in no_controls(err.getvalue())
    err = _Terminal()
    args = parse_args("--no-progress", str(path))
    assert await run_import(args, InMemoryEventStore(), out=io.StringIO(), err=err) == 0
    assert err.getvalue() == ""


async def test_check_reports_and_writes_nothing_then_the_import_writes(tmp_path: Path) -> None:
    path = write(tmp_path / "every.json", every_kind_file())
    n = len(every_kind_file()["records"])
    store = InMemoryEventStore()
    out, err = io.StringIO(), io.StringIO()
    assert await run_import(parse_args("--check", str(path)), store, out=out, err=err) == 0
    assert await store.head_position() == 0
    line = out.getvalue()
    assert line.startswith(f"records read: {n}, events to append: ")
    assert line.endswith("already imported: 0, rejected: 0; checked only: nothing was written\n")
    would = int(line.split("events to append: ")[1].split(",")[0])
    out = io.StringIO()
    assert await run_import(parse_args(str(path)), store, out=out, err=err) == 0
    assert would == await store.head_position() > 0  # the rehearsal counted what was written
    assert out.getvalue() == (
        f"records read: {n}, events appended: {would}, already imported: 0, rejected: 0\n"
    )
    # Checked again: already imported, nothing to append, nothing written.
    out = io.StringIO()
    assert await run_import(parse_args("--check", str(path)), store, out=out, err=err) == 0
    assert f"events to append: 0, already imported: {n}" in out.getvalue()
    assert await store.head_position() == would


async def test_check_of_a_rejected_file_reports_the_same_problems_and_exits_2(
    tmp_path: Path,
) -> None:
    doc = every_kind_file()
    record(doc, "office/rats/director")["nationality"] = "XX"
    path = write(tmp_path / "broken.json", doc)
    reports = []
    for extra in (["--check"], []):
        out, err = io.StringIO(), io.StringIO()
        store = InMemoryEventStore()
        assert await run_import(parse_args(*extra, str(path)), store, out=out, err=err) == 2
        assert await store.head_position() == 0
        reports.append(err.getvalue().splitlines()[0])
    assert reports[0] == reports[1]
    assert reports[0].startswith(
        f"{path}: office/rats/director: nationality: [import.unknown_state]"
    )


async def test_a_rejected_command_names_every_file_and_says_nothing_was_appended(
    tmp_path: Path,
) -> None:
    good = write(tmp_path / "good.json", every_kind_file())
    doc = every_kind_file()
    doc["title"] = "later"
    doc["records"] = [dict(record(doc, "meeting/heads_of_state/2005"), city="Almaty")]
    clash = write(tmp_path / "clash.json", doc)
    store = InMemoryEventStore()
    assert await run_import(parse_args(str(good)), store, out=io.StringIO(),
                            err=io.StringIO()) == 0  # fmt: skip
    head = await store.head_position()
    new = write(tmp_path / "new.json", {**every_kind_file(), "title": "new", "records": []})
    err = io.StringIO()
    args = parse_args(str(new), str(clash))
    assert await run_import(args, store, out=io.StringIO(), err=err) == 2
    problem, outcome = err.getvalue().splitlines()
    assert problem.startswith(f"{clash}: meeting/heads_of_state/2005: -: "
                              "[import.conflicting_record] ")  # fmt: skip
    assert "--accept-revisions" in problem
    assert outcome == f"rejected: nothing was appended from any file ({new}, {clash})"
    assert await store.head_position() == head


def test_sco_registry_import_into_sqlite_records_confidence_and_notes(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [DATA / "sco-history-1996-2012.json", DATA / "declaration-2001.json"]
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", sqlite_url)
    assert main(["migrate"]) == 0
    assert main(["import", "--no-progress", *map(str, files)]) == 0
    assert "rejected: 0" in capsys.readouterr().out

    async def read() -> list[RecordedEvent]:
        from sco_registry.db import create_engine
        from sco_registry.store.sql import SqlEventStore

        store = SqlEventStore(create_engine(sqlite_url))
        try:
            return await store.read_all()
        finally:
            await store.close()

    events = [e for e in asyncio.run(read()) if e.metadata.get("record_id")]
    raw = {r["id"]: r for f in files for r in json.loads(f.read_text())["records"]}
    assert events and {e.metadata["record_id"] for e in events} == set(raw)
    for event in events:
        source = raw[event.metadata["record_id"]]
        annotations = event.metadata["record"]
        assert annotations["confidence"] == source["confidence"]
        assert annotations.get("note") == source.get("note")
        assert len(annotations["fingerprint"]) == 64
    assert {e.metadata["record"]["confidence"] for e in events} == {"high", "medium", "low"}
    # Imported again: every record is recognized, annotations included.
    assert main(["import", "--no-progress", *map(str, files)]) == 0
    assert "events appended: 0, already imported: 120, rejected: 0" in capsys.readouterr().out


async def test_accept_revisions_on_the_command_line(tmp_path: Path) -> None:
    doc = every_kind_file()
    store = InMemoryEventStore()
    v1 = write(tmp_path / "v1.json", doc)
    assert await run_import(parse_args(str(v1)), store, out=io.StringIO(),
                            err=io.StringIO()) == 0  # fmt: skip
    head = await store.head_position()
    record(doc, "meeting/heads_of_state/2009")["city"] = "Ekaterinburg"
    v2 = write(tmp_path / "v2.json", doc)
    err = io.StringIO()
    assert await run_import(parse_args(str(v2)), store, out=io.StringIO(), err=err) == 2
    assert "import --accept-revisions" in err.getvalue()
    assert await store.head_position() == head
    out = io.StringIO()
    args = parse_args("--accept-revisions", str(v2))
    assert await run_import(args, store, out=out, err=io.StringIO()) == 0
    n = len(doc["records"])
    assert out.getvalue() == (
        f"records read: {n}, events appended: 1, already imported: {n - 1}, rejected: 0, "
        "revised: 1\n"
    )
    assert await store.head_position() == head + 1


def test_sco_registry_import_check_writes_nothing_to_sqlite(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(DATA / "sco-history-1996-2012.json"), str(DATA / "declaration-2001.json")]
    monkeypatch.setenv("SCO_REGISTRY_DATABASE_URL", sqlite_url)
    assert main(["migrate"]) == 0
    assert main(["import", "--check", *files]) == 0
    checked = capsys.readouterr().out
    assert checked.endswith("rejected: 0; checked only: nothing was written\n")
    assert main(["verify"]) == 0
    assert ": 0 events" in capsys.readouterr().out  # nothing was written
    assert main(["import", "--no-progress", *files]) == 0
    would = checked.split("events to append: ")[1].split(",")[0]
    assert f"events appended: {would}," in capsys.readouterr().out
