"""Random (version 4) UUIDs from the operating system's generator, read in blocks.

`uuid.uuid4()` reads 16 bytes with `os.urandom` each call, and CPython releases the GIL
around that system call. On the event loop's thread, while another thread holds the GIL (the
read models' reader thread running a query, say), getting it back waits until that thread
lets go: up to the interpreter's switch interval, 5 ms. Measured on this project's machine
with two busy Python threads beside it: `uuid.uuid4()` took 0.5 ms on average and up to 84 ms;
in a served members query it was 13% of the server's sampled stacks (py-spy, docs/benchmarks.md).
Every HTTP request makes one (its request id, `observability.RequestIds`), every appended event
one (`store.base.NewEvent`).

`uuid4()` here is as random (the same source, `os.urandom`) and reads it 4 KiB at a time
under a lock, so 255 of 256 calls make no system call and never give the GIL away. A forked
child starts a new block (it would otherwise hand out its parent's ids)."""

from __future__ import annotations

import os
import threading
import uuid

_BLOCK = 4096


class _Block:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data = b""
        self.at = 0

    def take(self) -> bytes:
        with self.lock:
            at = self.at
            if at + 16 > len(self.data):
                self.data, at = os.urandom(_BLOCK), 0
            self.at = at + 16
            return self.data[at : at + 16]

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.data, self.at = b"", 0


_block = _Block()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_block.reset)


def uuid4() -> uuid.UUID:
    """A new random UUID (version 4, RFC 9562), as `uuid.uuid4()` makes but without its
    system call per id."""
    return uuid.UUID(bytes=_block.take(), version=4)
