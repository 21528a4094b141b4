"""The workloads W1-W5 as data: which events go to which stream, built once per benchmark.

Every subject receives the same plan, so every subject writes the same events (same ids,
same payload bytes) to the same streams, in the same order. See `bench/__init__.py` for
what each workload measures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.payloads import EventSpec, make_events, stream_ids

BATCH_SIZE = 100
"""W2: events per append."""

W4_STREAM_LENGTH = 1_000
"""W4: events in the stream that is loaded."""

W4_LOADS = 5
"""W4: loads per run; the run's value is their median."""

PAGE_SIZE = 1_000
"""W3: events per page for the subjects that read the log in pages."""

W5_WRITERS = 4
W5_STREAMS = 8


@dataclass(frozen=True, slots=True)
class Plan:
    events: int
    w1: list[tuple[str, EventSpec]]
    """W1: one event to each of `events` new streams."""
    w2_stream: str
    w2_batches: list[list[EventSpec]]
    """W2: `events` events to one stream, BATCH_SIZE per append."""
    w4_stream: str
    w4_batches: list[list[EventSpec]]
    """W4 setup (untimed): a stream of W4_STREAM_LENGTH events, written in batches."""
    w5_streams: list[str]
    w5_writers: list[list[tuple[str, EventSpec]]]
    """W5: per writer, the (stream, event) pairs it appends, one event per append."""

    @property
    def log_size_before_w5(self) -> int:
        """How many events the log holds when W3 reads it (W1 + W2 + the W4 stream)."""
        return len(self.w1) + sum(map(len, self.w2_batches)) + sum(map(len, self.w4_batches))

    @property
    def w5_events(self) -> int:
        return sum(map(len, self.w5_writers))


def _batches(events: list[EventSpec], size: int) -> list[list[EventSpec]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def build_plan(events: int, seed: int = 2001) -> Plan:
    """The plan for `events` events per workload (deterministic for a given seed)."""
    if events < W5_WRITERS:
        raise ValueError(f"--events must be at least {W5_WRITERS}")
    w1_streams = stream_ids(events, seed + 1)
    w1_events = make_events(events, seed + 2)
    w2_stream, w4_stream = stream_ids(2, seed + 3)
    w2_events = make_events(events, seed + 4)
    w4_events = make_events(W4_STREAM_LENGTH, seed + 5)
    w5_streams = stream_ids(W5_STREAMS, seed + 6)
    w5_events = make_events(events, seed + 7)
    rng = random.Random(seed + 8)
    writers: list[list[tuple[str, EventSpec]]] = [[] for _ in range(W5_WRITERS)]
    for i, spec in enumerate(w5_events):
        writers[i % W5_WRITERS].append((rng.choice(w5_streams), spec))
    return Plan(
        events=events,
        w1=list(zip(w1_streams, w1_events, strict=True)),
        w2_stream=w2_stream,
        w2_batches=_batches(w2_events, BATCH_SIZE),
        w4_stream=w4_stream,
        w4_batches=_batches(w4_events, BATCH_SIZE),
        w5_streams=w5_streams,
        w5_writers=writers,
    )
