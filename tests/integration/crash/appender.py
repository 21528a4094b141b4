"""Child process for the crash test: appends batches 0..N-1 with idempotency keys.

Prints `ready` once the store is open, then one line per batch as `appended <i> <replayed>`.
Run: python appender.py DATABASE_URL BATCHES EVENTS_PER_BATCH [naive]

`naive` is the negative control: one transaction per event and no idempotency key, as a
store without atomic batches and idempotent retries would behave.
"""

from __future__ import annotations

import asyncio
import sys

from sco_registry.db import create_engine
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import NewEvent, StreamAppend
from sco_registry.store.sql import SqlEventStore


async def run(url: str, batches: int, per_batch: int, naive: bool) -> None:
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
            if naive:
                for k, event in enumerate(events):
                    await store.append(f"crash-{i % 7}" if k < half else f"other-{i % 5}", [event])
                print(f"appended {i} False", flush=True)
                continue
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
    asyncio.run(run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:] == ["naive"]))
