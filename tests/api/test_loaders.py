"""DataLoaders: a page of meetings with their host state, documents (with sources) and
provenance costs the same number of SQL statements whatever the page's size. Statements are
counted with a SQLAlchemy event listener on each connection a read runs on; the negative
control turns batching off (one key per batch) and the count grows with the page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection
from strawberry.dataloader import DataLoader

from sco_registry.graphql import loaders
from tests.api.conftest import Api

PAGE = """
query ($first: Int!) {
  meetings(first: $first) {
    totalCount
    nodes {
      id city
      hostState { code name }
      body { id latestName }
      documents { id title provenance { sources { title url } confidence } }
      decisions { status state { code } }
      provenance { sources { title url } confidence note events { position } }
    }
  }
}
"""


def _counting(shared_api: Api, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement any read of the app runs from now on (the list fills as they run)."""
    statements: list[str] = []
    runner = shared_api.registry.projections
    original = runner.read

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async def read(work: Callable[[Connection], Any]) -> Any:
        def counted(conn: Connection) -> Any:
            event.listen(conn, "before_cursor_execute", before)
            try:
                return work(conn)
            finally:
                event.remove(conn, "before_cursor_execute", before)

        return await original(counted)

    monkeypatch.setattr(runner, "read", read)
    return statements


async def _cost(shared_api: Api, statements: list[str], first: int) -> int:
    statements.clear()
    data = await shared_api.data(PAGE, {"first": first})
    assert len(data["meetings"]["nodes"]) == min(first, data["meetings"]["totalCount"])
    return len(statements)


async def test_a_page_costs_the_same_statements_whatever_its_size(
    shared_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = _counting(shared_api, monkeypatch)
    small = await _cost(shared_api, statements, 2)
    whole = await _cost(shared_api, statements, 100)  # every bundled meeting (29)
    assert small == whole
    # the page (cut by the database) and its totalCount, host states, bodies, documents,
    # decisions, notes (meetings' and documents')
    assert whole <= 9, statements


async def test_negative_control_without_batching_the_count_grows(
    shared_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loaders, "DataLoader", functools.partial(DataLoader, max_batch_size=1))
    statements = _counting(shared_api, monkeypatch)
    small = await _cost(shared_api, statements, 2)
    whole = await _cost(shared_api, statements, 100)
    assert whole > small + 50


MEMBERS = """query ($asOf: String!) { members(organization: "organization/sco", asOf: $asOf,
  first: 100) { nodes { state { code %s } } } }"""


async def test_members_read_the_states_only_when_more_than_the_code_is_asked(
    shared_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = _counting(shared_api, monkeypatch)
    counts: dict[str, int] = {}
    for extra in ("", "name", "... on State { name }"):
        statements.clear()
        data = await shared_api.data(MEMBERS % extra, {"asOf": "2018"})
        counts[extra] = len(statements)
        states = [n["state"] for n in data["members"]["nodes"]]
        assert states and all(s["code"] for s in states)
        # the control: asked for, the names are there (read with the answers)
        assert all(s.get("name") for s in states) == bool(extra)
    assert counts[""] < counts["name"] == counts["... on State { name }"]
