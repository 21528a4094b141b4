"""The subtree plans (`graphql/subtrees.py`) answer as graphql-core does: generated queries
over generated data, on a schema with every kind of field a plan must take or leave and
every anomaly it must hand back (a resolver raising, a null for a non-null field or list
item, an awaitable, a coercion failing, a list that is a generator), compared, data and
errors, with the same schema executed by Strawberry's stock execution context (graphql-core's
`ExecutionContext`, only the resolve info's class changed) and its stock resolvers."""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Iterator
from typing import Any, NewType, cast

import pytest
import strawberry
from graphql.pyutils import Path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult, Info

from sco_registry.graphql import shortcut, subtrees
from sco_registry.graphql.schema import build_schema
from sco_registry.graphql.shortcut import LeafExecutionContext, shortcut_resolvers, without_info
from sco_registry.graphql.subtrees import FIELD
from sco_registry.graphql.types_common import Source, sources_of


def _big(value: int) -> str:
    if value < 0:
        raise ValueError("a negative Big")
    return f"big:{value}"


Big = NewType("Big", int)
CONFIG = StrawberryConfig(
    scalar_map={Big: strawberry.scalar(name="Big", serialize=_big, parse_value=int)}
)


later_calls: list[str] = []


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Node:
    data: strawberry.Private[dict[str, Any]]
    # Attributes (Strawberry's default resolver).
    name: str
    maybe: str | None
    number: int  # may be out of Int's 32 bits: a coercion error
    colour: Colour | None  # may hold a value that is not a Colour: a coercion error
    big: Big  # a custom scalar: its serialize runs, may raise
    tags: list[str]

    @strawberry.field
    def label(self) -> str:
        mode = self.data["label"]
        if mode == "raise":
            raise ValueError(f"no label for {self.name}")
        return None if mode == "null" else f"label:{self.name}"  # type: ignore[return-value]

    @strawberry.field
    def where(self, info: Info) -> str:
        return ".".join(map(str, info.path.as_list()))

    @strawberry.field
    def later(self) -> str:
        later_calls.append(self.name)
        # Declared sync, an awaitable when flagged (as `Meeting.host_state` not prefetched).
        if self.data["later"]:
            return cast("str", self._later())
        return "now"

    async def _later(self) -> str:
        return f"later:{self.name}"

    def _pre_plain(self) -> str:
        # As a prefetch (`Meeting.host_state`): answers without info when the data has it.
        if not self.data["pre"]:
            raise subtrees.Anomaly
        return f"pre:{self.name}"

    @strawberry.field
    @without_info(_pre_plain)
    def pre(self, info: Info) -> str:
        if self.data["pre"]:
            return self._pre_plain()
        return "loaded:" + ".".join(map(str, info.path.as_list()))

    @strawberry.field
    def sources(self) -> list[Source]:
        return sources_of(self.data["sources"])  # the app's: mappings as `Source` values

    @strawberry.field
    async def slow(self) -> int:
        return len(self.name)

    @strawberry.field
    def times(self, n: int = 2) -> str:
        return self.name * n

    @strawberry.field
    def child(self) -> Node | None:
        return _node(self.data["child"])

    @strawberry.field
    def required(self) -> Node:
        return _node(self.data["required"])  # type: ignore[return-value]  # may be None

    @strawberry.field
    def children(self) -> list[Node]:
        nodes = [_node(d) for d in self.data["children"]]
        kind = self.data["children_kind"]
        if kind == "tuple":
            return tuple(nodes)  # type: ignore[return-value]
        if kind == "generator":
            return cast("list[Node]", (n for n in nodes))
        return cast("list[Node]", nodes)

    @strawberry.field
    def strict(self) -> list[Node]:
        return [_node(d) for d in self.data["strict"]]  # type: ignore[misc]  # may hold None

    @strawberry.field
    def grid(self) -> list[list[int | None]] | None:
        return cast("list[list[int | None]] | None", self.data["grid"])


def _node(data: dict[str, Any] | None) -> Node | None:
    if data is None:
        return None
    return Node(
        data=data,
        name=data["name"],
        maybe=data["maybe"],
        number=data["number"],
        colour=data["colour"],
        big=data["big"],
        tags=data["tags"],
    )


class Holder:
    def __init__(self, tree: list[dict[str, Any]]) -> None:
        self.tree = tree


@strawberry.type
class Query:
    @strawberry.field
    def node(self) -> Node:
        return _node(cast("Holder", self).tree[0])  # type: ignore[return-value]

    @strawberry.field
    def nodes(self) -> list[Node | None]:
        return [_node(d) for d in cast("Holder", self).tree]


LEAVES = ["name", "maybe", "number", "colour", "big", "tags", "label", "where", "later", "pre"]
LEAVES += ["slow", "times", "times(n: 3)", "__typename", "grid", "sources { title url article }"]
OBJECTS = ["child", "required", "children", "strict"]

_names = st.text(alphabet="abcxyz", min_size=1, max_size=3)
# A source as recorded: any key may be missing; a title that is not text is coerced (an
# Int's 32 bits exceeded: an error); an article may be a number.
_sources = st.fixed_dictionaries(
    {},
    optional={
        "title": st.none() | _names | st.sampled_from([3, 2**31]),
        "url": st.none() | _names,
        "article": st.none() | _names | st.integers(0, 9),
    },
)


def _data(children: st.SearchStrategy[Any] | None) -> st.SearchStrategy[dict[str, Any]]:
    child = st.none() if children is None else st.none() | children
    some = st.just([]) if children is None else st.lists(children, max_size=3)
    return st.fixed_dictionaries(
        {
            "name": _names,
            "maybe": st.none() | _names,
            "number": st.sampled_from([0, 7, -3, 2**31, -(2**31) - 1]),
            "colour": st.sampled_from([None, Colour.RED, Colour.BLUE, "green"]),
            "big": st.sampled_from([0, 12, -1]),
            "tags": st.lists(_names, max_size=2),
            "label": st.sampled_from(["ok", "ok", "ok", "raise", "null"]),
            "later": st.booleans(),
            "pre": st.sampled_from([True, True, False]),
            "child": child,
            "required": child,
            "children": some,
            "children_kind": st.sampled_from(["list", "list", "tuple", "generator"]),
            "strict": st.lists(child, max_size=3),
            "grid": st.none() | st.lists(st.lists(st.none() | st.integers(-5, 5), max_size=2)),
            "sources": st.lists(_sources, max_size=3),
        }
    )


trees = st.lists(_data(_data(_data(None))), min_size=1, max_size=3)


@st.composite
def selections(draw: st.DrawFn, depth: int) -> str:
    choices = LEAVES + (OBJECTS if depth > 0 else [])
    fields = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=5, unique=True))
    parts = []
    for i, field in enumerate(fields):
        text = field
        if "(" in field or draw(st.booleans()):
            text = f"a{i}: {field}"  # an alias (always one for an argument)
        if field in OBJECTS:
            text += " { " + draw(selections(depth - 1)) + " }"
        directive = draw(st.sampled_from(["", "", "", "@include(if: true)", "@skip(if: $s)"]))
        text = f"{text} {directive}".strip()
        if draw(st.integers(0, 5)) == 0:
            text = "... on Node { " + text + " }"
        parts.append(text)
    return " ".join(parts)


@st.composite
def queries(draw: st.DrawFn) -> str:
    root = draw(st.sampled_from(["node", "nodes"]))
    selection = draw(selections(2))
    variables = "($s: Boolean!)" if "$s" in selection else ""
    return f"query{variables} {{ {root} {{ {selection} }} }}"


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    stock = strawberry.Schema(query=Query, config=CONFIG)
    # As the app's: a repeated document is parsed once (the same nodes: its plans kept).
    fast = strawberry.Schema(
        query=Query,
        config=CONFIG,
        execution_context_class=LeafExecutionContext,
        extensions=[lambda: ParserCache(maxsize=999)],
    )
    shortcut_resolvers(fast)
    return stock, fast


STOCK, FAST = _schemas()


@pytest.fixture(autouse=True)
def _fresh_plans() -> Iterator[None]:
    """No test sees plans kept by another (one breaks them on purpose)."""
    shortcut._SHARED.clear()
    yield
    shortcut._SHARED.clear()


def _response(result: ExecutionResult) -> str:
    """The response as the client gets it: data (in its keys' order) and errors."""
    errors = [e.formatted for e in result.errors or []]
    return json.dumps({"data": result.data, "errors": errors})


async def _both(query: str, tree: list[dict[str, Any]], skip: bool) -> tuple[str, str]:
    variables = {"s": skip}
    want = await STOCK.execute(query, root_value=Holder(tree), variable_values=variables)
    got = await FAST.execute(query, root_value=Holder(tree), variable_values=variables)
    return _response(want), _response(got)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries(), trees, st.booleans())
def test_generated_queries_answer_as_graphql_core(
    query: str, tree: list[dict[str, Any]], skip: bool
) -> None:
    want, got = asyncio.run(_both(query, tree, skip))
    assert got == want


def _clean(name: str, **changes: Any) -> dict[str, Any]:
    """A node without anomaly (and without children), with `changes`."""
    data = {
        "name": name,
        "maybe": None,
        "number": 1,
        "colour": Colour.RED,
        "big": 3,
        "tags": ["t"],
        "label": "ok",
        "later": False,
        "pre": True,
        "child": None,
        "required": None,
        "children": [],
        "children_kind": "list",
        "strict": [],
        "grid": [[1, None]],
        "sources": [{"title": "t", "article": 1}],
    }
    return data | changes


DEEP = "{ nodes { name children { name where label strict { where number } } } }"


def _tree(**anomaly: Any) -> list[dict[str, Any]]:
    leaf = _clean("c", **anomaly)
    return [_clean("a", children=[_clean("b"), _clean("b2", strict=[leaf])])]


@pytest.mark.parametrize(
    "anomaly",
    [
        {},
        {"label": "raise"},
        {"label": "null"},
        {"number": 2**31},
        {"big": -1},
        {"colour": "green"},
        {"later": True},
    ],
)
async def test_an_anomaly_deep_down_is_reported_as_graphql_core_reports_it(
    anomaly: dict[str, Any],
) -> None:
    query = DEEP.replace("number", "number big colour later label")
    want, got = await _both(query, _tree(**anomaly), False)
    assert got == want
    if anomaly and "later" not in anomaly:
        assert '"path"' in want  # the control: there is an error, with its path


async def test_a_null_item_of_a_non_null_list_propagates_as_graphql_core_does() -> None:
    tree = [_clean("a", strict=[_clean("b"), None]), _clean("z")]
    want, got = await _both("{ nodes { name strict { name } } }", tree, False)
    assert got == want
    assert '"nodes": [null, {"name": "z"' in want.replace('"strict": []', "")


def _count_execute_field(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = LeafExecutionContext.execute_field

    def counting(self: Any, parent_type: Any, source: Any, details: Any, *rest: Any) -> Any:
        seen.append(f"{parent_type.name}.{details[0].node.name.value}")
        return original(self, parent_type, source, details, *rest)

    monkeypatch.setattr(LeafExecutionContext, "execute_field", counting)
    return seen


async def test_a_plain_subtree_takes_the_short_way(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _count_execute_field(monkeypatch)
    want, got = await _both(DEEP, _tree(), False)
    assert got == want
    assert seen == ["Query.nodes"]  # the root field only: the rest in the plan's loop
    # The control: an error deep down sends the fields above it the ordinary way.
    seen.clear()
    await FAST.execute(DEEP, root_value=Holder(_tree(number=2**31)))
    assert {"Node.children", "Node.strict", "Node.number"} <= set(seen)


async def test_fields_that_are_not_plain_are_left_to_graphql_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _count_execute_field(monkeypatch)
    tree = [_clean("a", children=[_clean("b")])]
    query = "{ nodes { children { slow a: times(n: 3) b: times } } }"
    want, got = await _both(query, tree, False)
    assert got == want
    assert {"Node.children", "Node.slow", "Node.times"} <= set(seen)


@pytest.mark.parametrize(
    "breakage",
    ["non-null ignored", "paths not built", "coercion skipped"],
)
async def test_a_broken_plan_is_detected(monkeypatch: pytest.MonkeyPatch, breakage: str) -> None:
    """The negative control: the comparison above fails when a plan is wrong."""
    type_spec = subtrees.type_spec

    def broken(*args: Any) -> subtrees.Spec | None:
        spec = type_spec(*args)
        if spec is None:
            return None
        if breakage == "non-null ignored":
            return spec._replace(non_null=False)
        if breakage == "coercion skipped" and spec.kind == subtrees.LEAF:
            return spec._replace(detail=repr)
        return spec

    monkeypatch.setattr(subtrees, "type_spec", broken)
    if breakage == "paths not built":
        monkeypatch.setattr(subtrees, "Path", lambda prev, key, name: Path(prev, "x", name))
    query = "{ nodes { children { name where label colour } } }"
    label = "null" if breakage == "non-null ignored" else "ok"
    tree = [_clean("a", children=[_clean("b", label=label)])]
    want, got = await _both(query, tree, False)
    assert got != want


@pytest.mark.parametrize("awaitable", [True, False])
async def test_after_an_anomaly_a_field_keeps_the_ordinary_way(awaitable: bool) -> None:
    tree = [_clean("a", children=[_clean(n, later=awaitable) for n in "xyz"])]
    later_calls.clear()
    got = await FAST.execute("{ nodes { children { later } } }", root_value=Holder(tree))
    assert got.errors is None
    if awaitable:
        # The plans of `nodes { children }` then of `children { later }` each try once
        # (x, x); then the ordinary way, once per child (x, y, z): not again for y and z.
        assert later_calls == ["x", "x", "x", "y", "z"]
    else:  # the control: no anomaly, the short way, once per child
        assert later_calls == ["x", "y", "z"]


def test_the_registry_schema_marks_the_meeting_page_fields() -> None:
    from sco_registry.graphql.types_records import Meeting

    meeting = build_schema()._schema.type_map["Meeting"]
    marks = {name: (field.extensions or {}).get(FIELD) for name, field in meeting.fields.items()}  # type: ignore[attr-defined]
    assert marks["city"] is not None and marks["city"][1] is False
    # Takes info, answered without it when prefetched (`shortcut.without_info`).
    assert marks["hostState"] == (Meeting._prefetched_host_state, False)
    assert marks["documents"] == (Meeting._prefetched_documents, False)
    assert marks["decisions"] is None  # an async resolver: the ordinary way


def _count_resolve_infos(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = LeafExecutionContext.build_resolve_info

    def counting(self: Any, field_def: Any, field_nodes: Any, *rest: Any) -> Any:
        seen.append(field_nodes[0].name.value)
        return original(self, field_def, field_nodes, *rest)

    monkeypatch.setattr(LeafExecutionContext, "build_resolve_info", counting)
    return seen


@pytest.mark.parametrize("prefetched", [True, False])
async def test_a_twin_answers_without_info_and_the_resolver_where_it_needs_info(
    monkeypatch: pytest.MonkeyPatch, prefetched: bool
) -> None:
    seen = _count_resolve_infos(monkeypatch)
    tree = [_clean("a", children=[_clean(n, pre=prefetched) for n in "xyz"])]
    query = "{ nodes { children { name pre } } }"
    want, got = await _both(query, tree, False)
    assert got == want
    calls = seen.count("pre")  # the fast schema's (the stock one has its own context)
    if prefetched:
        assert '"pre": "pre:x"' in got
        assert calls == 0  # the twin: no resolve info
    else:  # the control: the resolver, with its info (its path in the answer)
        assert '"pre": "loaded:nodes.0.children.0.pre"' in got
        assert calls == 3


async def test_a_wrong_twin_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The negative control: a twin answering otherwise than its resolver fails the
    comparison with the stock execution."""
    node = FAST._schema.type_map["Node"]
    getter, with_info = node.fields["pre"].extensions[FIELD]  # type: ignore[attr-defined]
    monkeypatch.setitem(
        node.fields["pre"].extensions,  # type: ignore[attr-defined]
        FIELD,
        (lambda source: getter(source) + "!", with_info),
    )
    tree = [_clean("a", children=[_clean("x")])]
    want, got = await _both("{ nodes { children { pre } } }", tree, False)
    assert got != want


def _count_plans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    original = shortcut.field_plan

    def counting(ctx: Any, parent_type: Any, response_name: str, details: Any) -> Any:
        made.append(f"{parent_type.name}.{response_name}")
        return original(ctx, parent_type, response_name, details)

    monkeypatch.setattr(shortcut, "field_plan", counting)
    return made


async def test_plans_are_kept_across_executions_of_a_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = _count_plans(monkeypatch)
    query = "query($s: Boolean!) { nodes { name children { name tags @skip(if: $s) } } }"
    tree = [_clean("a", children=[_clean("b")])]
    fields = ["Query.nodes", "Node.name", "Node.children"]
    # Made on the first execution with each value of $s, kept for the next ones.
    for skip, making in ((False, fields), (False, []), (True, fields), (True, []), (False, [])):
        made.clear()
        want, got = await _both(query, tree, skip)
        assert got == want
        assert ('"tags"' in got) is not skip
        assert made == making
    made.clear()
    await _both(query.replace("name children", "name  children"), tree, False)
    assert made == fields  # the control: another document (other nodes), its own plans


async def test_a_plan_kept_for_other_variables_is_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The negative control: were the key to leave the variables out, the plan made with
    `tags` skipped would answer the execution that includes them."""
    query = "query($s: Boolean!) { nodes { children { name tags @skip(if: $s) } } }"
    tree = [_clean("a", children=[_clean("b")])]
    want, got = await _both(query, tree, True)
    assert got == want
    monkeypatch.setattr(LeafExecutionContext, "_switches", (), raising=False)
    shortcut._SHARED.clear()
    await _both(query, tree, True)  # kept under a key without the variables
    want, got = await _both(query, tree, False)
    assert got != want
