"""The interface every benchmarked subject implements, as plain synchronous calls.

Each workload method does only the timed work and returns the elapsed seconds (plus a count
where the workload has one); set-up happens in `open` and `setup_w4`. An async subject runs
its coroutines on its own event loop (`asyncio.Runner`) and times inside the coroutine, so
loop start-up is never counted.
"""

from __future__ import annotations

import abc
import json
from typing import Any, ClassVar

from bench.plan import Plan
from bench.targets import Target


class BenchError(RuntimeError):
    """A subject did not do what the workload asked (wrong count, lost event)."""


class Subject(abc.ABC):
    name: ClassVar[str]

    def __init__(self, target: Target, *, sqlite_synchronous: str) -> None:
        self.target = target
        self.sqlite_synchronous = sqlite_synchronous

    @abc.abstractmethod
    def open(self) -> None:
        """Create the schema and connect (untimed)."""

    @abc.abstractmethod
    def settings(self) -> dict[str, Any]:
        """The database settings this subject's connections actually run with."""

    @abc.abstractmethod
    def w1(self, plan: Plan) -> float:
        """One event per transaction, each to a new stream."""

    @abc.abstractmethod
    def w2(self, plan: Plan) -> float:
        """Batches of BATCH_SIZE events to one stream."""

    @abc.abstractmethod
    def setup_w4(self, plan: Plan) -> None:
        """Write the W4 stream (untimed)."""

    @abc.abstractmethod
    def w3(self, plan: Plan) -> tuple[float, int]:
        """Read the whole log in order, decoded; returns (seconds, events read)."""

    @abc.abstractmethod
    def w4(self, plan: Plan) -> tuple[float, int]:
        """Load the W4 stream, decoded; returns (seconds, events loaded)."""

    @abc.abstractmethod
    def w5(self, plan: Plan) -> tuple[float, int]:
        """Concurrent optimistic writers; returns (seconds, conflicts retried)."""

    @abc.abstractmethod
    def count(self) -> int:
        """Events in the log (a sanity check after the run, untimed)."""

    @abc.abstractmethod
    def close(self) -> None: ...


def dumps(value: Any) -> str:
    """The JSON text every subject stores for a JSON value (compact separators)."""
    return json.dumps(value, separators=(",", ":"))


def check_count(subject: str, workload: str, expected: int, actual: int) -> None:
    if expected != actual:
        raise BenchError(f"{subject} {workload}: expected {expected} events, got {actual}")
