"""A connection's `edges` (made only when a query asks for them, `pagination.Connection`)
answer as its `nodes` do, each with a cursor that resumes right after its node; a query
that also asks for `nodes` and `pageInfo` gets the same items and the last edge's cursor,
on every kind of page (cut by the database: meetings, the timeline, the log; sorted in
memory: documents)."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

PAGES = [
    ("meetings", "id"),
    ("timeline", "position"),
    ("events", "position"),
    ("documents", "id"),
]


@pytest.mark.parametrize(("field", "leaf"), PAGES)
async def test_edges_are_the_nodes_with_cursors_that_resume_after_them(
    shared_api: Api, field: str, leaf: str
) -> None:
    data = await shared_api.data(
        f"{{ {field}(first: 8) {{ edges {{ cursor node {{ {leaf} }} }} nodes {{ {leaf} }} "
        f"pageInfo {{ hasNextPage endCursor }} }} }}"
    )
    page = data[field]
    nodes, edges = page["nodes"], page["edges"]
    assert len(nodes) == 8 and page["pageInfo"]["hasNextPage"]
    assert [e["node"] for e in edges] == nodes
    assert edges[-1]["cursor"] == page["pageInfo"]["endCursor"]
    assert len({e["cursor"] for e in edges}) == 8
    for i in (0, 2, 4):
        rest = await shared_api.data(
            f"query ($after: String) {{ {field}(first: 2, after: $after) "
            f"{{ nodes {{ {leaf} }} }} }}",
            {"after": edges[i]["cursor"]},
        )
        assert rest[field]["nodes"] == nodes[i + 1 : i + 3]
    # The control: only edges asked for (no nodes, no pageInfo), the same edges.
    alone = await shared_api.data(
        f"{{ {field}(first: 8) {{ edges {{ cursor node {{ {leaf} }} }} }} }}"
    )
    assert alone[field]["edges"] == edges
