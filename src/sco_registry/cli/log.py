"""The log's commands: `verify` (a database, or an exported NDJSON file), `backup` (an
SQLite database, online)."""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

from sco_registry.cli._base import (
    EXIT_BROKEN,
    EXIT_OK,
    add_command,
    refuse_existing,
    shown,
    sqlite_path,
)
from sco_registry.config import Settings
from sco_registry.domain.errors import RegistryError
from sco_registry.store.chain import (
    ChainReport,
    ChainVerifier,
    averify_events,
    from_export_record,
)

_HASH = re.compile(r"[0-9a-f]{64}")


def add_parsers(sub: Any) -> None:
    verify = add_command(
        sub,
        "verify",
        _verify,
        help="check the log's hash chain (the database, or an exported file)",
        description=(
            "Recompute every event's hash from its predecessor's and compare: exit 0 when the "
            "chain is intact (and its head is --head, if given), 1 when it is broken."
        ),
    )
    verify.add_argument("--file", help="verify an exported NDJSON file instead of the database")
    verify.add_argument("--head", help="also require this head hash (kept elsewhere)")
    backup = add_command(
        sub,
        "backup",
        _backup,
        help="copy an SQLite database while it is in use (SQLite's online backup)",
        description=(
            "A consistent copy of the configured SQLite database, taken while the registry "
            "may be writing to it, then verified. PostgreSQL: use pg_dump (docs/operations.md)."
        ),
    )
    backup.add_argument("--out", required=True, help="the new file to write (must not exist)")


def print_report(report: ChainReport, what: str) -> int:
    if report.ok:
        print(f"ok: {what}: {report.checked} events, chain intact, head {report.head_hash}")
        return EXIT_OK
    print(
        f"BROKEN: {what}: first broken position {report.broken_at}: {report.reason} "
        f"({report.checked} events verified before it)",
        file=sys.stderr,
    )
    return EXIT_BROKEN


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# What reading one line as an event can raise: bad JSON, missing or mistyped fields, numbers
# out of range (`int(1e999)`), values the envelope cannot hold, nesting too deep to parse.
_UNREADABLE_LINE = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    OverflowError,
    RecursionError,
    RegistryError,
)


def verify_file(path: Path, *, expected_head: str | None = None) -> ChainReport:
    """Verify an exported NDJSON file with no database. A line that cannot be read as an
    event breaks the chain at the position where that event was due. A file that cannot be
    opened, or is not UTF-8 text anywhere (so not an export as written: checked first, over
    the whole file), is a `RegistryError` (`verify.unreadable_file`, `verify.not_text`)."""
    verifier = ChainVerifier()
    try:
        f = path.open("rb")
    except OSError as e:
        raise RegistryError(
            f"cannot read {path}: {e.strerror or e}", code="verify.unreadable_file"
        ) from e
    with f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise RegistryError(
                    f"{path} is not an export of sco-registry: line {number} is not UTF-8 "
                    f"text ({e.reason} at byte {e.start} of the line)",
                    code="verify.not_text",
                ) from e
        f.seek(0)
        for raw in f:
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_constant=_reject_constant)
                if not isinstance(record, dict):
                    raise ValueError("an event line is a JSON object")
                ok = verifier.feed(from_export_record(record))
            except _UNREADABLE_LINE as e:
                reason = str(e) or e.__class__.__name__
                verifier.fail(verifier.expected_position, f"unreadable event line: {reason}")
                break
            if not ok:
                break
    return verifier.finish(expected_head=expected_head)


def expected_head(text: str | None) -> str | None:
    if text is None:
        return None
    head = text.strip().lower()
    if not _HASH.fullmatch(head):
        raise RegistryError(
            f"--head {text!r} is not a head hash: 64 hexadecimal digits expected",
            code="verify.malformed_head",
        )
    return head


async def _verify(settings: Settings, args: argparse.Namespace) -> int:
    head = expected_head(args.head)
    if args.file:
        return print_report(verify_file(Path(args.file), expected_head=head), args.file)
    from sco_registry.bootstrap import open_registry

    async with open_registry(settings) as registry:
        report = await averify_events(registry.store.iter_all(), expected_head=head)
    return print_report(report, shown(settings.database_url))


async def _backup(settings: Settings, args: argparse.Namespace) -> int:
    """SQLite's online backup API (`sqlite3.Connection.backup`) copies the database page by
    page while other connections keep writing; the copy is one consistent snapshot. The
    source is opened through the registry first, so that a file that is not a migrated
    registry is refused (`db.*`) before anything is written."""
    from sco_registry.bootstrap import open_registry

    source = sqlite_path(settings.database_url)
    if source is None:
        raise RegistryError(
            f"backup copies an SQLite database; {shown(settings.database_url)} is not one: "
            "use pg_dump --format=custom (docs/operations.md)",
            code="backup.not_sqlite",
        )
    out = Path(args.out)
    refuse_existing(out, "backup")
    async with open_registry(settings):
        pass  # reachable, an SQLite file, migrated: else a `db.*` error, exit 3
    tmp = out.with_name(out.name + ".partial")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                # One self-contained file: no -wal beside it.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        url = f"sqlite+aiosqlite:///{tmp}"
        async with open_registry(settings.model_copy(update={"database_url": url})) as copy:
            report = await averify_events(copy.store.iter_all())
        if not report.ok:  # the source's own chain is broken: say so, keep no copy
            tmp.unlink()
            return print_report(report, str(source))
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    print(
        f"backed up {source} to {out}: {report.checked} events, chain intact, "
        f"head {report.head_hash}"
    )
    return EXIT_OK
