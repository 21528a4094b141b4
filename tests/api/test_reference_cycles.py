"""A GraphQL request leaves no reference cycle holding the request's objects: once answered,
its execution context, `Context`, loaders and HTTP request are freed by reference counting.
Left in cycles, they waited for a full collection in the oldest generation (about 220
objects a request), and full collections walking them paused every request in flight (the
p99 tails, docs/benchmarks.md). The negative controls put each cycle back and see it found."""

from __future__ import annotations

import gc
import os
import types
from collections.abc import Collection, Iterable
from typing import Any

import pytest
from graphql.execution.executor import Executor
from starlette.requests import Request
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from sco_registry import app as app_module
from sco_registry.graphql import context as context_module
from sco_registry.graphql import queries_records
from sco_registry.graphql import schema as schema_module
from sco_registry.graphql.loaders import Loaders
from sco_registry.graphql.shortcut import LeafExecutionContext
from tests.api.conftest import Api, _serve

QUERIES = [
    # members: the selection walks (`reading.selected_names`, `selects_only`)
    '{ members(organization: "organization/sco", asOf: "2018", first: 100) '
    "{ nodes { answer status state { code name } } } }",
    # a page of meetings with what the loaders and the page's own read answer
    "{ meetings(first: 5) { nodes { id hostState { code name } documents { id title } "
    "body { id latestName } provenance { sources { title } note } } } }",
    "{ timeline(first: 20) { nodes { position kind summary entity } } }",
    "{ events(first: 20) { nodes { position type hash previousHash } } }",
    # an error answered (validation) and one raised by a resolver
    "{ nothingHere }",
    '{ members(organization: "organization/sco", asOf: "not a date") { nodes { status } } }',
]


def _ours(filename: str) -> bool:
    """A function of the package's, or of this test's (its negative control)."""
    return f"{os.sep}sco_registry{os.sep}" in filename or filename == __file__


def _request_garbage(kinds: tuple[type, ...]) -> list[Any]:
    """The objects of `kinds` (or functions of this package) the cyclic collector finds
    unreachable now: what only a collection would have freed."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = [
            o
            for o in gc.garbage
            if isinstance(o, kinds)
            or (isinstance(o, types.FunctionType) and _ours(o.__code__.co_filename))
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return found


KINDS = (Executor, context_module.Context, Loaders, DataLoader, Request)


async def _cycles_of(api: Api, queries: Iterable[str] = QUERIES) -> list[Any]:
    await api.query(QUERIES[0])  # warm: caches made once stay, and are not garbage anyway
    gc.collect()
    gc.disable()
    try:
        for query in queries:
            await api.query(query)
        return _request_garbage(KINDS)
    finally:
        gc.enable()


async def test_a_request_leaves_no_cycle(shared_api: Api) -> None:
    assert await _cycles_of(shared_api) == []


async def test_negative_control_graphql_cores_execution_context_is_a_cycle(
    read_only_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The schema built with the execution context as graphql-core makes it (its helpers
    # bound to itself): every request leaves it, and what it holds, to the collector.
    monkeypatch.setattr(schema_module, "AcyclicExecutionContext", LeafExecutionContext)
    async for api in _serve(read_only_url):
        found = await _cycles_of(api)
        assert any(isinstance(o, Executor) for o in found)
        assert any(isinstance(o, context_module.Context) for o in found)


class _CyclicContext(context_module.Context):
    """The context as it was: loaders reading through the context's own bound method."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaders = Loaders(self.read)


async def test_negative_control_loaders_holding_the_context_are_a_cycle(
    read_only_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "Context", _CyclicContext)
    async for api in _serve(read_only_url):
        found = await _cycles_of(api)
        assert any(isinstance(o, _CyclicContext) for o in found)
        assert any(isinstance(o, DataLoader) for o in found)


def _walking_selected_names(info: Info[Any, Any], names: Collection[str]) -> set[str]:
    """`reading.selected_names` as it was: a nested function calling itself."""
    found: set[str] = set()

    def walk(selections: Iterable[Any]) -> None:
        for s in selections:
            if getattr(s, "name", None) in names:
                found.add(s.name)
            walk(getattr(s, "selections", None) or ())

    for field in info.selected_fields:
        walk(field.selections)
    return found


async def test_negative_control_a_recursive_closure_is_a_cycle(
    shared_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries_records, "selected_names", _walking_selected_names)
    found = await _cycles_of(shared_api, QUERIES[:1])
    assert [f.__qualname__ for f in found] == ["_walking_selected_names.<locals>.walk"]
