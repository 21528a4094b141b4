"""The `sco-registry import FILE...` subcommand: arguments, a progress bar on a terminal
(`rich`), the problems one a line and a summary. The lead's `cli.py` wires it in."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from sco_registry.importer.load import ImportSummary, ScratchStores, import_files
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
    parser.add_argument(
        "--check",
        action="store_true",
        help="validate and rehearse the import, print the same report, write nothing",
    )
    parser.add_argument(
        "--accept-revisions",
        action="store_true",
        help=(
            "record a record imported before whose content changed (same id) as corrections "
            "of its events, instead of refusing it as import.conflicting_record"
        ),
    )


class ProgressBar:
    """A progress bar (rich) on a terminal, counting records; silent elsewhere. `enabled`
    None: draw only when `stream` is a terminal."""

    def __init__(self, stream: TextIO, *, enabled: bool | None = None) -> None:
        self.enabled = stream.isatty() if enabled is None else enabled
        self._console = Console(file=stream, force_terminal=self.enabled)
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("records"),
                console=self._console,
                auto_refresh=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("import", total=total)
        assert self._task is not None
        self._progress.update(self._task, completed=done, total=total, refresh=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def summary_line(summary: ImportSummary) -> str:
    appended = "events to append" if summary.checked_only else "events appended"
    line = (
        f"records read: {summary.records_read}, {appended}: {summary.events_appended}, "
        f"already imported: {summary.already_imported}, rejected: {summary.rejected}"
    )
    if summary.revised:
        line += f", revised: {summary.revised}"
    if summary.checked_only:
        line += "; checked only: nothing was written"
    return line


def outcome_line(summary: ImportSummary) -> str | None:
    """What a refused or stopped import left in the log, in words; None when it succeeded."""
    if summary.ok:
        return None
    files = ", ".join(summary.files) or "the import"
    if summary.stopped:
        return (
            f"stopped: the {summary.events_appended} event(s) appended before the failure "
            "stay; run the same import again to append the rest"
        )
    if summary.checked_only:
        return f"rejected: the import of {files} would append nothing"
    return f"rejected: nothing was appended from any file ({files})"


async def run_import(
    args: argparse.Namespace,
    store: EventStore,
    *,
    scratch_store: ScratchStores | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run an import (or, with --check, its rehearsal); 0 when everything was imported (or
    was already, or would be), 2 when rejected."""
    out = out or sys.stdout
    err = err or sys.stderr
    bar = ProgressBar(err, enabled=False if args.no_progress or args.check else None)
    try:
        summary = await import_files(
            args.files,
            store,
            actor=args.actor,
            progress=bar,
            check_only=args.check,
            accept_revisions=args.accept_revisions,
            scratch_store=scratch_store,
        )
    finally:
        bar.close()
    for problem in summary.problems:
        print(problem, file=err)
    outcome = outcome_line(summary)
    if outcome is not None:
        print(outcome, file=err)
    print(summary_line(summary), file=out)
    return EXIT_OK if summary.ok else EXIT_REJECTED
