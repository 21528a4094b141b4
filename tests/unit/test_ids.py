"""`sco_registry.ids.uuid4`: version-4 UUIDs from `os.urandom` read in blocks, so that the
event loop's thread makes no system call (and gives no GIL away) for most ids."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from sco_registry import ids


def test_ids_are_version_4_and_distinct() -> None:
    made = [ids.uuid4() for _ in range(5000)]  # several blocks of 256
    assert len(set(made)) == len(made)
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in made)


def test_threads_never_share_an_id() -> None:
    found: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def make(into: list[uuid.UUID]) -> None:
        for _ in range(3000):
            into.append(ids.uuid4())

    threads = [threading.Thread(target=make, args=(into,)) for into in found]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [u for into in found for u in into]
    assert len(set(every)) == len(every) == 12000


def test_one_system_call_per_block(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.urandom

    def counted(n: int) -> bytes:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(ids.os, "urandom", counted)
    monkeypatch.setattr(ids, "_block", ids._Block())
    for _ in range(512):
        ids.uuid4()
    assert calls == [4096, 4096]


def _next_in_child(block: ids._Block) -> bytes:
    """The next 16 bytes `block` gives in a forked child (read back through a pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        os.write(write, block.take())
        os._exit(0)
    os.close(write)
    taken = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    return taken


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    ids.uuid4()  # a block is read and partly used
    child = _next_in_child(ids._block)
    assert child != ids._block.take()
    # The control: a block the fork does not reset hands the child its parent's next id.
    kept = ids._Block()
    kept.take()
    assert _next_in_child(kept) == kept.take()
