"""`reading.selected_names` (walked on the document's nodes) finds what the walk over
Strawberry's `info.selected_fields` found: fields by name under aliases, inline fragments,
named fragments (nested, spread twice), at any depth, not the current field itself; a name
selected nowhere under the field is not found (the control)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from sco_registry.graphql.reading import selected_names

NAMES = {"hostState", "documents", "city", "leaf"}
seen: list[tuple[set[str], set[str]]] = []


def _former(selections: Iterable[Any], found: set[str]) -> None:
    for s in selections:
        if getattr(s, "name", None) in NAMES:
            found.add(s.name)
        _former(getattr(s, "selections", None) or (), found)


@strawberry.type
class Item:
    city: str = "c"
    leaf: str = "l"

    @strawberry.field
    def host_state(self) -> Item:
        return Item()

    @strawberry.field
    def documents(self) -> list[Item]:
        return [Item()]


@strawberry.type
class Query:
    @strawberry.field
    def items(self, info: Info) -> list[Item]:
        former: set[str] = set()
        for field in info.selected_fields:
            _former(field.selections, former)
        seen.append((selected_names(info, NAMES), former))
        return [Item()]


SCHEMA = strawberry.Schema(Query)
FRAGMENTS = """
fragment Deep on Item { documents { leaf } }
fragment Top on Item { hostState { ...Deep } ...Deep }
"""


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ items { city } }", {"city"}),
        ("{ items { a: city b: hostState { c: leaf } } }", {"city", "hostState", "leaf"}),
        ("{ items { ... on Item { documents { city } } } }", {"documents", "city"}),
        (FRAGMENTS + "{ items { ...Top ...Top } }", {"hostState", "documents", "leaf"}),
        ("{ items { hostState @skip(if: true) { city } } }", {"hostState", "city"}),
        ("{ items { __typename } }", set()),  # the control: nothing of NAMES selected
    ],
)
async def test_the_same_names_as_the_walk_over_selected_fields(
    query: str, expected: set[str]
) -> None:
    seen.clear()
    result = await SCHEMA.execute(query)
    assert result.errors is None, result.errors
    ((found, former),) = seen
    assert found == former == expected
