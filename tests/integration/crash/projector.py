"""Child process of test_projection_crash.py: catch up or rebuild the membership model of an
SQLite database, printing `batch N` after each batch committed (the parent kills it)."""

from __future__ import annotations

import asyncio
import sys

from sco_registry.db import create_engine
from sco_registry.projections.runner import runner_for
from sco_registry.store.sql import SqlEventStore


async def main(url: str, mode: str, batch_size: int) -> None:
    store = SqlEventStore(create_engine(url))
    runner = runner_for(store, batch_size=batch_size)
    print("ready", flush=True)

    def progress(name: str, done: int, total: int) -> None:
        print(f"batch {done}", flush=True)

    try:
        if mode == "catch-up":
            await runner.catch_up("membership", progress=progress)
        else:
            await runner.rebuild("membership", progress=progress)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
