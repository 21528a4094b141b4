"""Whole subtrees of an answer completed in one loop (issue 9), for `shortcut.py`'s
execution context.

graphql-core completes every field of a list of objects through the same general path:
a `Path` and a resolve info per field, the resolver, an `is_awaitable` check, then
`complete_value`, which tests the type's kind (non-null, list, leaf, abstract, object) at
every value, walks a list item by item through `complete_list_item_value` and an object
through `complete_object_value` -> `collect_and_execute_subfields` -> `execute_fields`.
A page of 100 meetings is some 12,000 such calls per request.

A *plan* is the same work decided once per (type, field nodes) of an execution: each field
of the selection with what answers it (an attribute, or a method of the source, marked by
`shortcut_resolvers` in the field's `extensions`), and its type's kind, the non-null flags,
the coercion of a leaf and the sub-plan of an object or list. A field has a plan only when
everything under it is *plain*: no arguments (declared or given), no directive but the
`@include`/`@skip` that the field collection already applied, no `@defer`/`@stream`, no
interface or union, no object type with an `is_type_of`, no async resolver, no middleware,
and every field below has a plan as well. `run_field` then computes the field's whole
answer: each object type's selection is one function (`_compile`: its fields resolved and
completed in order, a `str` leaf kept as it is, a null of a nullable field too, an object
of its Strawberry class handed to its own function, anything else to `complete`), with a
`Path` only where a resolver takes `info` (built as graphql-core builds it, with the same
path) and no resolve info elsewhere.
The plans are kept across executions (`shortcut.LeafExecutionContext.shared_plan`: by
operation, field nodes and Boolean variables); the functions' code is compiled once per
distinct selection.

It answers only when nothing unusual happens. Any anomaly (a resolver raising, a null for
a non-null field or list item, an awaitable, an `Exception` as a value, a list that is not
a `list` or `tuple`, a coercion failing or giving no value) raises, and the execution
context computes the field again the ordinary way, which gives graphql-core's answer, its
errors, their paths and the null propagation exactly (the resolvers are reads: calling them
twice is harmless; a coroutine met on the short way is closed unawaited, and the ordinary
way makes and awaits its own)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from types import CodeType, CoroutineType, GeneratorType
from typing import Any, NamedTuple, Protocol, cast

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
)
from graphql.pyutils import Path
from graphql.type.scalars import serialize_id, serialize_string
from strawberry.schema.schema_converter import GraphQLCoreConverter

#: What answers a field from its source, in its GraphQL field's `extensions`:
#: `(getter, with_info)`; `getter(source)`, or `getter(source, info)` when `with_info`.
FIELD = "sco-registry-field"
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF

# A type's kind in a plan.
STR = 0  # a leaf whose coercion leaves a `str` as it is (String, ID): others coerced
LEAF = 1  # any other scalar or enum: its `coerce_output_value`
OBJECT = 2  # an object type: an `ObjectPlan`
LIST = 3  # a list: the `Spec` of its items

_STR_COERCIONS = (serialize_string, serialize_id)
# Values of these types are never awaitable nor exceptions (the checks are skipped).
_PLAIN = frozenset({str, int, float, bool, list, tuple, dict})
_ALLOWED_DIRECTIVES = frozenset({"include", "skip"})  # applied by the field collection


class Anomaly(Exception):
    """The short way cannot answer: the ordinary way will (and report any error)."""


class Spec(NamedTuple):
    """A type's completion: its kind, whether it is non-null, and the kind's detail (the
    coercion of a leaf, the `ObjectPlan` of an object, the items' `Spec` of a list)."""

    kind: int
    non_null: bool
    detail: Any
    needs_path: bool


class FieldPlan(NamedTuple):
    response_name: str
    getter: Callable[..., Any]
    #: `(field, field nodes, parent type)` for a resolver taking `info`, else None.
    info: tuple[GraphQLField, list[FieldNode], GraphQLObjectType] | None
    spec: Spec
    needs_path: bool


class ObjectPlan(NamedTuple):
    type_name: str
    fields: tuple[FieldPlan, ...]
    #: The Strawberry class of the type when its instances can be neither awaitable nor
    #: exceptions (the checks are then skipped for a value of exactly that class).
    settled: type | None
    #: `run(ctx, source, path)`: the object's answer (`_compile`d from the fields).
    run: Callable[[Executor, Any, Path | None], dict[str, Any]]


class Executor(Protocol):
    """What a plan needs of graphql-core's execution context."""

    schema: GraphQLSchema

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        raise NotImplementedError

    def build_resolve_info(
        self,
        field_def: GraphQLField,
        field_nodes: list[FieldNode],
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> GraphQLResolveInfo[Any]:
        raise NotImplementedError

    def is_awaitable(self, value: Any) -> bool:
        raise NotImplementedError


def field_plan(
    ctx: Executor, parent_type: GraphQLObjectType, response_name: str, details: Sequence[Any]
) -> FieldPlan | None:
    """The plan of a field (its `FieldDetails` list, as collected), or None (not plain)."""
    for d in details:
        node = d.node
        if d.defer_usage is not None or d.fragment_variable_values is not None:
            return None
        if node.arguments:
            return None
        if node.directives and any(
            directive.name.value not in _ALLOWED_DIRECTIVES for directive in node.directives
        ):
            return None
    name = details[0].node.name.value
    field_def = ctx.schema.get_field(parent_type, name)
    if field_def is None or field_def.args:
        return None
    info: tuple[GraphQLField, list[FieldNode], GraphQLObjectType] | None = None
    if name == "__typename":
        type_name = parent_type.name

        def getter(_source: Any) -> str:
            return type_name

    else:
        mark = (field_def.extensions or {}).get(FIELD)
        if mark is None:
            return None
        getter, with_info = mark
        if with_info:
            info = (field_def, [d.node for d in details], parent_type)
    spec = type_spec(ctx, field_def.type, details)
    if spec is None:
        return None
    return FieldPlan(response_name, getter, info, spec, info is not None or spec.needs_path)


def type_spec(ctx: Executor, type_: GraphQLOutputType, details: Sequence[Any]) -> Spec | None:
    """The completion of a value of `type_` under the field `details`, or None."""
    non_null = isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        items = type_spec(ctx, inner.of_type, details)
        return None if items is None else Spec(LIST, non_null, items, items.needs_path)
    if is_leaf_type(inner):
        coerce = inner.coerce_output_value
        return Spec(STR if coerce in _STR_COERCIONS else LEAF, non_null, coerce, False)
    if not isinstance(inner, GraphQLObjectType) or inner.is_type_of is not None:
        return None  # an interface or a union, or an object type checking its values
    grouped_field_set, new_defer_usages, _ = ctx.collect_subfields(inner, details)
    if new_defer_usages:
        return None
    fields: list[FieldPlan] = []
    for response_name, sub_details in grouped_field_set.items():
        plan = field_plan(ctx, inner, response_name, sub_details)
        if plan is None:
            return None
        fields.append(plan)
    needs_path = any(f.needs_path for f in fields)
    run = _compile(inner.name, fields)
    object_plan = ObjectPlan(inner.name, tuple(fields), _settled(inner), run)
    return Spec(OBJECT, non_null, object_plan, needs_path)


def _compile(
    type_name: str, fields: Sequence[FieldPlan]
) -> Callable[[Executor, Any, Path | None], dict[str, Any]]:
    """The object's completion as one function, its fields in order, each resolved and
    completed before the next (as graphql-core's `execute_fields`): a `str` leaf kept as it
    is, a null of a nullable field too, an object of its settled class completed by its own
    function, any other value by `complete`. Names reach the code only as `repr` literals,
    values only by the namespace."""
    namespace: dict[str, Any] = {"Path": Path, "complete": complete, "cast": cast}
    lines = ["def run(ctx, source, path):"]
    for i, (response_name, getter, info, spec, needs_path) in enumerate(fields):
        namespace[f"g{i}"], namespace[f"s{i}"], namespace[f"i{i}"] = getter, spec, info
        path = f"p{i}" if needs_path else "None"
        if needs_path:
            lines.append(f"    p{i} = Path(path, {response_name!r}, {type_name!r})")
        if info is None:
            lines.append(f"    v{i} = g{i}(source)")
        else:
            lines.append(f"    v{i} = g{i}(source, ctx.build_resolve_info(*i{i}, {path}))")
        # A null of a nullable field is its answer (`complete` would give it back).
        null = "" if spec.non_null else f"v{i} is not None and "
        if spec.kind == STR:
            lines.append(f"    if {null}type(v{i}) is not str:")
            lines.append(f"        v{i} = complete(ctx, s{i}, v{i}, {path})")
        elif spec.kind == OBJECT and spec.detail.settled is not None:
            namespace[f"t{i}"], namespace[f"o{i}"] = spec.detail.settled, spec.detail.run
            lines.append(f"    if type(v{i}) is t{i}:")
            lines.append(f"        v{i} = o{i}(ctx, v{i}, {path})")
            lines.append("    else:" if spec.non_null else f"    elif v{i} is not None:")
            lines.append(f"        v{i} = complete(ctx, s{i}, v{i}, {path})")
        elif not spec.non_null:
            lines.append(f"    if v{i} is not None:")
            lines.append(f"        v{i} = complete(ctx, s{i}, v{i}, {path})")
        else:
            lines.append(f"    v{i} = complete(ctx, s{i}, v{i}, {path})")
    answer = ", ".join(f"{f.response_name!r}: v{i}" for i, f in enumerate(fields))
    lines.append(f"    return {{{answer}}}")
    exec(_code("\n".join(lines)), namespace)  # literals and names only (above)
    return cast("Callable[[Executor, Any, Path | None], dict[str, Any]]", namespace["run"])


@functools.lru_cache(maxsize=1024)
def _code(source: str) -> CodeType:
    """`source` compiled (once: the same selection in another operation, or a plan made
    again after its entry was dropped, has the same code)."""
    return compile(source, "<subtrees plan>", "exec")


def _settled(type_: GraphQLObjectType) -> type | None:
    """The Strawberry class behind `type_` if no instance of it is awaitable (for
    graphql-core's `is_awaitable`: not a coroutine or generator, no `__await__`) nor an
    exception, else None. An `__await__` set on an instance (not its class) is not
    looked for: no Strawberry type's instance has one."""
    definition = (type_.extensions or {}).get(_BACKREF)
    origin = getattr(definition, "origin", None)
    if not isinstance(origin, type) or not hasattr(origin, "__strawberry_definition__"):
        return None
    if issubclass(origin, (BaseException, CoroutineType, GeneratorType)):
        return None
    return None if hasattr(origin, "__await__") else origin


def _close(value: Any) -> None:
    if inspect.iscoroutine(value):
        value.close()  # the ordinary way makes (and awaits) its own


def run_field(
    ctx: Executor, parent_name: str, plan: FieldPlan, source: Any, path: Path | None
) -> Any:
    """The field's completed answer on `source` (the parent object, at `path`: None when
    no resolver below needs one), or `Anomaly` (or the resolver's exception) raised."""
    response_name, getter, info, spec, needs_path = plan
    if needs_path:
        path = Path(path, response_name, parent_name)
    if info is None:
        value = getter(source)
    else:  # `path` is a `Path` here (`needs_path`)
        value = getter(source, ctx.build_resolve_info(*info, cast("Path", path)))
    if spec.kind == STR and type(value) is str:
        return value
    return complete(ctx, spec, value, path)


def complete(ctx: Executor, spec: Spec, value: Any, path: Path | None) -> Any:
    """`value` completed as graphql-core's `complete_value` would, or `Anomaly` raised."""
    if value is None or value is Undefined:
        if spec.non_null:
            raise Anomaly
        return None
    kind, _, detail, needs_path = spec
    value_type = type(value)
    if kind == STR and value_type is str:
        return value
    if value_type not in _PLAIN and (isinstance(value, Exception) or ctx.is_awaitable(value)):
        _close(value)
        raise Anomaly
    if kind <= LEAF:
        coerced = detail(value)
        if coerced is None or coerced is Undefined:
            raise Anomaly
        return coerced
    if kind == OBJECT:
        return detail.run(ctx, value, path)
    if value_type is not list and value_type is not tuple:
        raise Anomaly  # an iterator, an async iterable, a string...: the ordinary way
    items: Spec = detail
    try:
        if not needs_path:
            if items.kind == OBJECT:
                plan: ObjectPlan = items.detail
                settled, run = plan.settled, plan.run
                # A `dict` is never awaitable nor an exception either (`_PLAIN`).
                return [
                    run(ctx, item, None)
                    if type(item) is settled or type(item) is dict
                    else complete(ctx, items, item, None)
                    for item in value
                ]
            return [complete(ctx, items, item, None) for item in value]
        return [complete(ctx, items, item, Path(path, i, None)) for i, item in enumerate(value)]
    except BaseException:
        for item in value:  # the coroutines the ordinary way will make anew
            _close(item)
        raise
