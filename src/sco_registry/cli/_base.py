"""What every command module shares: the exit codes, the usage error, the argparse parser
that raises it, a progress bar for long work, atomic file writes, and how a database is
named in output."""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from sqlalchemy.engine import make_url

from sco_registry.config import Settings
from sco_registry.domain.errors import RegistryError

EXIT_OK = 0
EXIT_BROKEN = 1  # a check failed: a broken chain, a drifted read model
EXIT_INVALID = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE
EXIT_INTERRUPTED = 130

# A command's handler: `handler(settings, args)`, its exit code.
Handler = Callable[[Settings, argparse.Namespace], Awaitable[int]]


class UsageError(RegistryError):
    """The command line itself is wrong: an unknown flag, a missing argument."""

    code = "cli.usage"


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors raised as `UsageError` (one line, exit 2) instead of
    printing the usage text and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def shown(url: str) -> str:
    """The URL as printed: never with its password."""
    return make_url(url).render_as_string(hide_password=True)


def where(url: str) -> str:
    """The database as a person wants to see it: an SQLite file's absolute path."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return str(Path(url.removeprefix(prefix)).resolve())
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database URL (None: not SQLite, or in memory)."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return Path(url.removeprefix(prefix))
    return None


class Bar:
    """A rich progress bar on a terminal counting `unit`s; silent elsewhere (a pipe, a file,
    CI logs), and when `enabled` is False."""

    def __init__(self, stream: TextIO, label: str, unit: str, *, enabled: bool | None = None):
        self.enabled = stream.isatty() if enabled is None else enabled
        self._console = Console(file=stream, force_terminal=self.enabled)
        self._label = label
        self._unit = unit
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn(self._label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self._unit),
                console=self._console,
                auto_refresh=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=total)
        assert self._task is not None
        self._progress.update(self._task, completed=done, total=total, refresh=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@contextmanager
def atomic_output(out: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write that appears under `out` only once complete (written to
    `out.partial`, synced, renamed); on any failure neither name is left behind."""
    tmp = out.with_name(out.name + ".partial")
    try:
        with tmp.open("wb") if binary else tmp.open("w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def refuse_existing(out: Path, what: str) -> None:
    """Refuse to write over a file that exists (`cli.output_exists`)."""
    if out.exists() or out.with_name(out.name + ".partial").exists():
        raise RegistryError(
            f"{out} (or {out.name}.partial) exists: {what} writes a new file; remove it or "
            "choose another --out",
            code="cli.output_exists",
            details={"path": str(out)},
        )


def add_command(sub: Any, name: str, handler: Handler, **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand on `sub` that runs `handler`."""
    parser: argparse.ArgumentParser = sub.add_parser(name, **kwargs)
    parser.set_defaults(handler=handler)
    return parser
