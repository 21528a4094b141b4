"""The resolver shortcut (`graphql/shortcut.py`) answers as Strawberry does: the same data
and the same errors, on a small schema with every kind of field it must take or leave."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from sco_registry.graphql.schema import build_schema
from sco_registry.graphql.shortcut import LeafExecutionContext, shortcut_resolvers

calls: list[str] = []


class Never(BasePermission):
    message = "not allowed"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Leaf:
    text: str


@strawberry.type
class Item:
    name: str
    maybe: str | None
    colour: Colour

    @strawberry.field
    def upper(self) -> str:
        calls.append("upper")
        return self.name.upper()

    @strawberry.field
    def broken(self) -> str:
        return None  # type: ignore[return-value]  # a bug: non-null answered null

    @strawberry.field
    def fails(self) -> str | None:
        raise ValueError("fails on purpose")

    @strawberry.field
    def with_info(self, info: Info) -> str:
        return f"{self.name}:{info.field_name}"

    @strawberry.field
    async def later(self) -> int:
        return len(self.name)

    @strawberry.field
    def times(self, n: int) -> str:
        return self.name * n

    @strawberry.field(permission_classes=[Never])
    def secret(self) -> str:
        return "secret"

    @strawberry.field
    def leaf(self) -> Leaf:
        return Leaf(text=self.name)


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name=n, maybe=None, colour=Colour.RED) for n in ("ab", "c")]


QUERY = """{ items { name maybe colour upper withInfo later times(n: 2)
  leaf { text } alias: upper } }"""


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(query=Query)
    fast = strawberry.Schema(query=Query, execution_context_class=LeafExecutionContext)
    shortcut_resolvers(fast)
    return plain, fast


def test_only_the_fields_without_arguments_extensions_or_root_are_changed() -> None:
    _, fast = _schemas()
    changed = set(shortcut_resolvers(fast))
    assert {"Item.upper", "Item.broken", "Item.withInfo", "Item.later", "Item.leaf"} <= changed
    # negative controls: an argument, a permission class (an extension), a root field
    assert not changed & {"Item.times", "Item.secret", "Query.items"}


async def test_the_same_answers_as_strawberry() -> None:
    plain, fast = _schemas()
    want = await plain.execute(QUERY)
    got = await fast.execute(QUERY)
    assert want.errors is None and got.errors is None
    assert got.data == want.data
    assert got.data is not None and got.data["items"][0]["times"] == "abab"


async def test_the_same_errors_as_strawberry() -> None:
    plain, fast = _schemas()
    for query in ("{ items { name broken } }", "{ items { fails } }", "{ items { secret } }"):
        want = await plain.execute(query)
        got = await fast.execute(query)
        assert want.errors, query  # the control: the error is there without the shortcut
        assert got.data == want.data
        assert [(e.message, e.path) for e in got.errors or []] == [
            (e.message, e.path) for e in want.errors
        ]


async def test_a_leaf_is_answered_without_strawberry_resolver() -> None:
    _, fast = _schemas()
    calls.clear()
    result = await fast.execute("{ items { upper } }")
    assert result.errors is None
    assert calls == ["upper", "upper"]  # once per item: the short way, not twice


def test_the_registry_schema_uses_it() -> None:
    schema = build_schema()
    # a subclass: `schema.AcyclicExecutionContext` (no reference cycle per request)
    assert issubclass(schema.execution_context_class, LeafExecutionContext)
    meeting = schema._schema.type_map["Meeting"]
    assert meeting.fields["city"].resolve.__name__ == "plain"  # type: ignore[attr-defined]
