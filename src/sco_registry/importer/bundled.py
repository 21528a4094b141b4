"""The history files the project ships (data/ at the repository root), in import order, and
loading them on first start: a second load appends nothing, as any re-import."""

from __future__ import annotations

from pathlib import Path

from sco_registry.importer.load import ImportSummary, Progress, ScratchStores, import_files
from sco_registry.store.base import EventStore

# The declaration's file refers to records of the 1996-2012 file, so it comes after it.
BUNDLED = ("sco-history-1996-2012.json", "declaration-2001.json")


def data_dir() -> Path:
    """data/ of a source checkout (src/sco_registry/importer/ -> repository root)."""
    return Path(__file__).resolve().parents[3] / "data"


def bundled_files(directory: Path | None = None) -> list[Path]:
    base = directory or data_dir()
    return [base / name for name in BUNDLED]


async def load_bundled(
    store: EventStore,
    *,
    directory: Path | None = None,
    progress: Progress | None = None,
    scratch_store: ScratchStores | None = None,
) -> ImportSummary:
    """Import the bundled files; on a log that holds them already this appends nothing."""
    return await import_files(
        bundled_files(directory),
        store,
        actor="bootstrap",
        progress=progress,
        scratch_store=scratch_store,
    )
