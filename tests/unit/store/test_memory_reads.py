"""The in-memory store hands out the caller's own copy of each event's data and metadata
(as a database read does) while sharing the immutable rest."""

from __future__ import annotations

from sco_registry.store import memory
from sco_registry.store.base import NewEvent
from sco_registry.store.memory import InMemoryEventStore


async def test_changing_what_a_read_returned_changes_nothing_stored() -> None:
    store = InMemoryEventStore()
    await store.append("s", [NewEvent(type="T", data={"a": [1, {"b": 2}]}, metadata={"m": [1]})])
    for read in (await store.read_stream("s"), await store.read_all()):
        read[0].data["a"][1]["b"] = 99  # type: ignore[index]
        read[0].data["a"].append(3)  # type: ignore[union-attr]
        read[0].metadata["m"].append(2)  # type: ignore[union-attr]
    again = (await store.read_stream("s"))[0]
    assert again.data == {"a": [1, {"b": 2}]}
    assert again.metadata == {"m": [1]}


def test_negative_control_a_shallow_copy_would_share_the_nested_values() -> None:
    stored = {"a": [1, {"b": 2}]}
    shallow = dict(stored)
    shallow["a"][1]["b"] = 99  # type: ignore[index]
    assert stored["a"][1] == {"b": 99}  # the store's copy must go deeper than this
    deep = memory._copy_json({"a": [1, {"b": 2}]})
    deep["a"][1]["b"] = 5
    assert memory._copy_json(deep) is not deep
