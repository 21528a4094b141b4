"""`sco-registry projections status|rebuild [NAME]|catch-up|verify`, and the start-up step.

Output, one line per projection:

* `status`: `membership: version 1, checkpoint 141, head 141, lag 0, current` (or
  `lagging`, or `stale (rows of version N)`);
* `rebuild [NAME]`: a progress bar on a terminal, then `rebuilt membership at position P`;
* `catch-up`: `membership: N events applied, at position P`; a stale projection is
  refused (`projection.stale`, exit 2): rebuild it;
* `verify`: `ok: membership: N rows rebuilt from the log equal the live ones at position P`,
  or `DRIFT: membership: ...` with the first differing rows on stderr, and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from sco_registry.projections.runner import ProjectionRunner, Status

EXIT_OK = 0
EXIT_DRIFT = 1
SHOWN_DIFFERENCES = 5


def add_projections_parser(sub: Any) -> None:
    """The `projections` subcommand on `sco-registry`'s subparsers."""
    parser = sub.add_parser(
        "projections", help="the read models: status, rebuild, catch-up, verify"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="each projection's version, checkpoint and lag")
    rebuild = actions.add_parser("rebuild", help="rebuild from the log into fresh tables, swap")
    rebuild.add_argument("name", nargs="?", help="one projection (default: all)")
    actions.add_parser("catch-up", help="apply the events after each checkpoint")
    verify = actions.add_parser("verify", help="rebuild into scratch tables, compare row by row")
    verify.add_argument("name", nargs="?", help="one projection (default: all)")


class _Bar:
    """A rich progress bar on a terminal, counting events; silent elsewhere."""

    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty()
        self._console = Console(file=stream, force_terminal=self.enabled)
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, name: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("rebuilding {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("events"),
                console=self._console,
                auto_refresh=False,
            )
            self._progress.start()
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=total)
        self._progress.update(self._tasks[name], completed=done, total=total, refresh=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def status_line(s: Status) -> str:
    state = f"stale (rows of version {s.stored_version})" if s.state == "stale" else s.state
    return (
        f"{s.name}: version {s.version}, checkpoint {s.checkpoint}, head {s.head}, "
        f"lag {s.lag}, {state}"
    )


async def rebuild(runner: ProjectionRunner, name: str | None = None) -> list[str]:
    bar = _Bar(sys.stderr)
    try:
        # One rebuild of every selected projection: the log is read once for all of them.
        position = await runner.rebuild(name, progress=bar)
        lines = [f"rebuilt {p.name} at position {position}" for p in runner.select(name)]
    finally:
        bar.close()
    return lines


async def run_projections(args: argparse.Namespace, runner: ProjectionRunner) -> int:
    if args.action == "status":
        for s in await runner.status():
            print(status_line(s))
        return EXIT_OK
    if args.action == "rebuild":
        for line in await rebuild(runner, args.name):
            print(line)
        return EXIT_OK
    if args.action == "catch-up":
        applied = await runner.catch_up()
        for s in await runner.status():
            print(f"{s.name}: {applied[s.name]} events applied, at position {s.checkpoint}")
        return EXIT_OK
    assert args.action == "verify", args.action
    code = EXIT_OK
    for report in await runner.verify(args.name):
        if report.ok:
            print(
                f"ok: {report.name}: {report.rebuilt_rows} rows rebuilt from the log equal "
                f"the live ones at position {report.position}"
            )
            continue
        code = EXIT_DRIFT
        print(
            f"DRIFT: {report.name}: at position {report.position}, "
            f"{len(report.only_live)} rows only in the live tables, "
            f"{len(report.only_rebuilt)} only in a rebuild from the log "
            f"(`sco-registry projections rebuild {report.name}` repairs it)",
            file=sys.stderr,
        )
        for row in report.only_live[:SHOWN_DIFFERENCES]:
            print(f"  live only: {row}", file=sys.stderr)
        for row in report.only_rebuilt[:SHOWN_DIFFERENCES]:
            print(f"  rebuilt only: {row}", file=sys.stderr)
    return code


async def start_up(runner: ProjectionRunner, *, embedded: bool) -> list[str]:
    """`run`'s step: on an embedded database, rebuild the stale projections and catch the
    others up; elsewhere only catch up the current ones and say which are stale (a rebuild
    of a shared database is the operator's decision: `projections rebuild`)."""
    if embedded:
        bar = _Bar(sys.stderr)
        try:
            rebuilt = await runner.rebuild_stale(progress=bar)
        finally:
            bar.close()
        lines = [f"rebuilt the stale projection {name}" for name in rebuilt]
    else:
        lines = []
        stale = [s.name for s in await runner.status() if s.state == "stale"]
        for s in await runner.status():
            if s.state != "stale":
                await runner.catch_up(s.name)
        lines += [f"stale projection {n}: run `sco-registry projections rebuild`" for n in stale]
    lines += [status_line(s) for s in await runner.status()]
    return lines
