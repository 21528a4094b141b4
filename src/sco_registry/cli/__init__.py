"""The operator's command line, `sco-registry`, one module per group of commands:

* `serving`: `run` (first start: migrate, seed, check, serve), `serve`;
* `database`: `migrate`, `import FILE...`, `seed`;
* `log`: `verify` (the database, or `--file` an export), `backup` (SQLite, online);
* `export`: `export events|timeline|meetings` (and `export-events`, the older name);
* `replay`: `replay --to-position N --out FILE`;
* `projections`: `projections status|rebuild|catch-up [--follow]|verify`;
* `reports`: `norms`;
* `tools`: `token`, `schema`.

Exit codes (also in README.md):

* 0: success (`verify`: the chain is intact);
* 1: a check failed: `verify` (and `run`'s final check, `backup`'s of its source): the log's
  hash chain is broken, or its head differs from `--head`; `projections verify`: a read
  model drifted from the log; `schema --check`: the file is not the code's schema;
* 2: bad input or usage: arguments, flags, settings (`config.*`), files that cannot be read
  or written, an import rejected, a refused operation;
* 3: the environment: the database cannot be used as it is (`db.*`: not reachable, not an
  SQLite file, not migrated, at another schema revision); the command may succeed unchanged
  once that is fixed;
* 70: an unexpected error (a bug): `internal.unexpected`; 130: interrupted.

Every failure is one line on stderr, `error: [code] message`, with the error's stable code
(an import's report lists its problems one a line instead). No command prints a traceback.
Long work (import, seed, rebuild, replay, export) draws a progress bar on stderr when it is
a terminal, and nothing otherwise.

Every command runs on uvloop's event loop where it is installed (it is pinned), as
`uvicorn.run` would pick it: `serve` runs uvicorn's server on this loop itself, so uvicorn's
own choice never applies.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from sco_registry.cli import database, export, log, projections, replay, reports, serving, tools
from sco_registry.cli._base import (
    EXIT_BROKEN,
    EXIT_ENVIRONMENT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    Parser,
    UsageError,
)
from sco_registry.cli.log import verify_file
from sco_registry.config import load_settings
from sco_registry.domain.errors import RegistryError
from sco_registry.store.errors import DatabaseUnavailable

__all__ = [
    "EXIT_BROKEN",
    "EXIT_ENVIRONMENT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "UsageError",
    "build_parser",
    "commands",
    "main",
    "verify_file",
]

# The modules that add commands, in the order `--help` lists them.
_GROUPS = (serving, database, log, export, replay, projections, reports, tools)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sco-registry",
        description="Event-sourced registry of the Shanghai Cooperation Organization's history.",
        epilog=(
            "Exit codes: 0 success; 1 a check failed (broken chain, drifted read model); "
            "2 bad input or usage; 3 the database cannot be used as it is; 70 a bug; "
            "130 interrupted. Errors are one line: error: [code] message."
        ),
    )
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=Parser, metavar="COMMAND", title="commands"
    )
    for group in _GROUPS:
        group.add_parsers(sub)
    return parser


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every command by name, with its subcommands as `"export timeline"`."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    full = f"{prefix} {name}".strip()
                    found[full] = child
                    walk(full, child)

    walk("", build_parser())
    return found


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where it is installed, else asyncio's own (None): what `uvicorn.run`
    would pick. (Not measured apart from this session's other changes: docs/benchmarks.md,
    session 19; `SCO_BENCH_LOOP=asyncio` runs the bench server on asyncio's loop.)"""
    try:
        import uvloop
    except ImportError:  # not on Windows
        return None
    return uvloop.new_event_loop


def _fail(code: str, message: str, exit_code: int) -> int:
    one_line = " ".join(message.split())
    print(f"error: [{code}] {one_line}", file=sys.stderr)
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (see the module docstring)."""
    try:
        args = build_parser().parse_args(argv)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            code: int = runner.run(args.handler(load_settings(), args))
        return code
    except DatabaseUnavailable as e:
        return _fail(e.code, e.message, EXIT_ENVIRONMENT)
    except RegistryError as e:
        return _fail(e.code, e.message, EXIT_INVALID)
    except OSError as e:  # a file named on the command line (to read or to write)
        return _fail("io.error", str(e), EXIT_INVALID)
    except KeyboardInterrupt:
        return _fail("cli.interrupted", "interrupted", EXIT_INTERRUPTED)
    except Exception as e:  # last resort: a bug; the known failures have codes above
        return _fail("internal.unexpected", f"{e.__class__.__name__}: {e}", EXIT_INTERNAL)
