"""The `sco-registry import FILE...` subcommand: arguments, a progress bar on a terminal, the
problems one a line and a summary. The lead's `cli.py` wires it in."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TextIO

from sco_registry.importer.load import ImportSummary, import_files
from sco_registry.store.base import EventStore

EXIT_OK = 0
EXIT_REJECTED = 2


def add_import_parser(subparsers: Any) -> None:
    """Add `import` to an argparse subparsers object (from `add_subparsers`)."""
    parser = subparsers.add_parser(
        "import",
        help="import history files (sco-registry-history/1), in the order given",
        description=(
            "Validate every file, then append their records through the registry's command "
            "handlers. A file with any invalid record appends nothing; importing a file again "
            "appends nothing. Files may refer to records of files given before them."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="history files, in order")
    parser.add_argument("--actor", default="importer", help="who is recorded as the actor")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar even on a terminal"
    )


class ProgressBar:
    """A plain progress bar on a terminal (stderr), redrawn in place; silent elsewhere."""

    def __init__(self, stream: TextIO, *, width: int = 30, enabled: bool | None = None) -> None:
        self.stream = stream
        self.width = width
        self.enabled = stream.isatty() if enabled is None else enabled
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\rimporting [{bar}] {done}/{total} records")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def summary_line(summary: ImportSummary) -> str:
    return (
        f"records read: {summary.records_read}, events appended: {summary.events_appended}, "
        f"already imported: {summary.already_imported}, rejected: {summary.rejected}"
    )


async def run_import(
    args: argparse.Namespace,
    store: EventStore,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run an import; 0 when everything was imported (or was already), 2 when rejected."""
    out = out or sys.stdout
    err = err or sys.stderr
    bar = ProgressBar(err, enabled=False if args.no_progress else None)
    progress: Callable[[int, int], None] = bar
    try:
        summary = await import_files(args.files, store, actor=args.actor, progress=progress)
    finally:
        bar.close()
    for problem in summary.problems:
        print(problem, file=err)
    print(summary_line(summary), file=out)
    return EXIT_OK if summary.ok else EXIT_REJECTED
