"""The database's commands: `migrate`, `import FILE...`, `seed` (the bundled history)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sco_registry.cli._base import EXIT_INVALID, EXIT_OK, add_command, shown
from sco_registry.config import Settings


def add_parsers(sub: Any) -> None:
    add_command(
        sub,
        "migrate",
        _migrate,
        help="create or upgrade the database schema",
        description="Alembic `upgrade head` on SCO_REGISTRY_DATABASE_URL; safe to run again.",
    )
    from sco_registry.importer.cli import add_import_parser

    add_import_parser(sub)
    sub.choices["import"].set_defaults(handler=_import)
    seed = add_command(
        sub,
        "seed",
        _seed,
        help="load the bundled history (1996-2012) into a migrated database",
        description=(
            "Import the history files shipped with the registry. Importing them again "
            "appends nothing, so `seed` is safe to run on every deploy."
        ),
    )
    seed.add_argument(
        "--no-progress", action="store_true", help="no progress bar even on a terminal"
    )


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.db import migrate

    await migrate(settings.database_url)
    print(f"migrated: {shown(settings.database_url)}")
    return EXIT_OK


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.importer.cli import run_import

    async with open_registry(settings) as registry:
        return await run_import(args, registry.store, scratch_store=registry.scratch_store)


async def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.importer.bundled import bundled_files, load_bundled
    from sco_registry.importer.cli import ProgressBar, outcome_line, summary_line

    async with open_registry(settings) as registry:
        bar = ProgressBar(sys.stderr, enabled=False if args.no_progress else None)
        try:
            summary = await load_bundled(
                registry.store, progress=bar, scratch_store=registry.scratch_store
            )
        finally:
            bar.close()
    for problem in summary.problems:
        print(problem, file=sys.stderr)
    outcome = outcome_line(summary)
    if outcome is not None:
        print(outcome, file=sys.stderr)
    names = ", ".join(p.name for p in bundled_files())
    print(f"seeded from the bundled history ({names}): {summary_line(summary)}")
    return EXIT_OK if summary.ok else EXIT_INVALID
