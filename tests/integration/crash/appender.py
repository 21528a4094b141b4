"""Child process for the crash test: appends batches 0..N-1 with idempotency keys.

Prints `ready` once the store is open, then one line per batch as `appended <i> <replayed>`.
Run: python appender.py DATABASE_URL BATCHES EVENTS_PER_BATCH
"""

from __future__ import annotations

import asyncio
import sys

from sco_registry.db import create_engine
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import NewEvent, StreamAppend
from sco_registry.store.sql import SqlEventStore


async def run(url: str, batches: int, per_batch: int) -> None:
    store = SqlEventStore(create_engine(url))
    print("ready", flush=True)
    try:
        for i in range(batches):
            # Two streams per batch: a partial multi-stream append would be visible too.
            events = [
                NewEvent(
                    type="Appended",
                    data={"batch": i, "k": k},
                    valid_time=PartialDate.parse("2001-06-15"),
                )
                for k in range(per_batch)
            ]
            half = per_batch // 2
            result = await store.append_many(
                [
                    StreamAppend(f"crash-{i % 7}", events[:half]),
                    StreamAppend(f"other-{i % 5}", events[half:]),
                ],
                idempotency_key=f"batch-{i}",
            )
            print(f"appended {i} {result.replayed}", flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
