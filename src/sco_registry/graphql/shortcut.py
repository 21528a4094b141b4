"""A shorter call path for the schema's argument-free resolver methods (issue 9).

Strawberry calls every field that has a resolver through the same machinery: a new `Info`,
the arguments converted (`get_arguments`), the field extensions chained (`functools.reduce`
over partials, even with none), and for an async field one more coroutine around the
resolver's own. That is about 10 us a field; a page of 100 meetings has some 2,000 of them,
most of them a method such as `Meeting.city` returning an attribute of its row.

`shortcut_resolvers` replaces, in the built schema, the resolver of each field that needs
none of that machinery with a direct call of the same method: a field of an object type
(not a root type), with no GraphQL arguments, no field extensions (permission classes are
extensions), no exception handlers, whose method takes `self` and at most `info` (no
`root` / `parent`). The method itself is the one Strawberry would call, with the same
`self` (the source object) and an `Info` of the same class built the same way, and its
result (an awaitable included) goes to graphql-core as before: the answers do not change.
Every other field keeps Strawberry's resolver.

`shortcut_resolvers` also marks each field answered by an attribute or a method of the
source (`subtrees.FIELD`), and `LeafExecutionContext` (the schema's execution context)
completes with `subtrees`' plans every field whose whole subtree is such fields: graphql-core
makes for every field a `Path` and a resolve info, calls the resolver, checks for an
awaitable and completes the value through `complete_value`'s type checks; a plan does the
same work in nested loops decided once per operation and kept across executions. Any
anomaly (a null for a non-null field, an exception, an awaitable, a coercion that gives no
value) sends the field the ordinary way, which calls the getters again and answers or
reports it as before (the getters are attribute reads and pure methods: reading twice is
harmless).

A resolver that takes `info` only for a case it can tell from its source alone (a
meeting's `hostState` and `documents` load through the request's DataLoaders only when the
page did not read them with it) may name, with `without_info`, a method answering the other
case without it: the plan calls that method (no `Path`, no resolve info, no `Info`), which
raises `subtrees.Anomaly` where the resolver would need `info`; the field then goes the
ordinary way (the resolver itself, with its `info`) for the rest of the execution."""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import strawberry
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    Undefined,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from sco_registry.graphql.subtrees import FIELD, FieldPlan, field_plan, run_field

_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
#: How many fields' plans are kept per schema (`LeafExecutionContext.shared_plan`).
SHARED_PLANS = 1024
_SHARED: weakref.WeakKeyDictionary[
    GraphQLSchema, dict[Hashable, tuple[Any, Any, FieldPlan | None]]
] = weakref.WeakKeyDictionary()
_WITHOUT_INFO = "__sco_registry_without_info__"

F = TypeVar("F", bound=Callable[..., Any])


def without_info(twin: Callable[[Any], Any]) -> Callable[[F], F]:
    """Mark a resolver method taking `info` with `twin(self)`, which answers exactly as the
    method does wherever it can do without `info`, and raises `subtrees.Anomaly` wherever
    the method needs it (a plan then leaves the field to the method). Put it under
    `@strawberry.field`."""

    def mark(method: F) -> F:
        setattr(method, _WITHOUT_INFO, twin)
        return method

    return mark


def _direct(schema: strawberry.Schema, field: StrawberryField) -> Callable[..., Any] | None:
    """The direct resolver of `field`, or None when it must keep Strawberry's."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.arguments or field.is_subscription:
        return None
    if resolver.self_parameter is None or resolver.root_parameter or resolver.parent_parameter:
        return None
    converter = schema.schema_converter
    if converter._get_field_exception_handlers(field):
        return None
    # A method (it takes `self`): not a staticmethod or classmethod object.
    method = cast("Callable[..., Any]", resolver.wrapped_func)
    info_parameter = resolver.info_parameter
    if info_parameter is None:

        def plain(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
            return method(source)

        return plain
    name = info_parameter.name
    info_class = converter.config.info_class

    def with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return method(source, **{name: info_class(_raw_info=info, _field=field)})

    return with_info


def shortcut_resolvers(schema: strawberry.Schema) -> list[str]:
    """Give the eligible fields of `schema` their direct resolver (in place); the fields
    changed, as `Type.field`."""
    core = schema._schema
    roots = {t.name for t in (core.query_type, core.mutation_type, core.subscription_type) if t}
    changed: list[str] = []
    for name, gql_type in core.type_map.items():
        if name.startswith("__") or name in roots or not isinstance(gql_type, GraphQLObjectType):
            continue
        for field_name, gql_field in gql_type.fields.items():
            field = (gql_field.extensions or {}).get(_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            direct = _direct(schema, field)
            if direct is not None:
                gql_field.resolve = direct
                changed.append(f"{name}.{field_name}")
            _mark(schema, field, gql_field)
    return changed


def _getter(schema: strawberry.Schema, field: StrawberryField) -> Callable[[Any], Any] | None:
    """What answers `field` from its source alone, or None (it needs more)."""
    if field.extensions or field.arguments or field.is_subscription:
        return None
    resolver = field.base_resolver
    if resolver is None:
        if schema.schema_converter.config.default_resolver is not getattr:
            return None
        return operator.attrgetter(field.python_name)
    if _direct(schema, field) is None or resolver.info_parameter is not None or resolver.is_async:
        return None
    return cast("Callable[[Any], Any]", resolver.wrapped_func)


def _mark(schema: strawberry.Schema, field: StrawberryField, gql_field: GraphQLField) -> None:
    """Mark the field with what answers it (`subtrees.FIELD`), if anything simple does: an
    attribute or a method of the source, the info-free twin of a (sync) method taking
    `info` (`without_info`), or the direct resolver of such a method."""
    if gql_field.args:
        return
    getter = _getter(schema, field)
    if getter is not None:
        gql_field.extensions[FIELD] = (getter, False)
        return
    resolver = field.base_resolver
    if (
        resolver is not None
        and not resolver.is_async
        and _direct(schema, field) is not None
        and gql_field.resolve is not None
    ):
        twin = getattr(resolver.wrapped_func, _WITHOUT_INFO, None)
        if twin is not None:
            gql_field.extensions[FIELD] = (twin, False)
        else:
            gql_field.extensions[FIELD] = (gql_field.resolve, True)


class LeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with the short way for plain subtrees (see above).

    `execute_fields` is graphql-core 3.3's (the lock pins it), except that a field with a
    plan (`subtrees.field_plan`: everything under it plain) is answered by the plan's loop
    (no `Path` but where a resolver takes `info`, no resolve info elsewhere, no
    `execute_field` call); every other field, and a field the plan does not answer (an
    anomaly: an error, a null for a non-null, an awaitable...), goes through
    `execute_field`, which answers and reports it as graphql-core does. After an anomaly
    the field keeps the ordinary way for the rest of the execution (its other sources)."""

    _plans: dict[tuple[GraphQLObjectType, int], tuple[Any, FieldPlan | None]]
    _switches: tuple[tuple[str, bool | None], ...]

    def plan(
        self, parent_type: GraphQLObjectType, response_name: str, details: Any
    ) -> FieldPlan | None:
        """The field's plan, looked up once per execution (as graphql-core memoises its
        subfields: by the identity of the field details list, kept alive with it) in the
        plans kept across executions (`shared_plan`)."""
        try:
            plans = self._plans
        except AttributeError:
            plans = self._plans = {}
        key = (parent_type, id(details))
        found = plans.get(key)
        if found is None:
            found = (details, self.shared_plan(parent_type, response_name, details))
            plans[key] = found
        return found[1]

    def shared_plan(
        self, parent_type: GraphQLObjectType, response_name: str, details: Any
    ) -> FieldPlan | None:
        """The field's plan as made by an earlier execution of the same operation (the
        parser cache hands every request of a document the same nodes) with the same
        Boolean variables, or made now and kept (at most `SHARED_PLANS` per schema, the
        oldest dropped first). A plan depends on the schema, the field's nodes and what the
        field collection made of the selections under them: the document's fragments, and
        the `@include`/`@skip`/`@defer` conditions, whose `if` is a Boolean: a literal of
        the document, or a variable, which the key holds (the values of the variables that
        are booleans or null; no other value can stand in a Boolean position). An entry
        holds the operation and the nodes it is keyed by (their ids), alive: no other
        object can have their ids while it is kept."""
        try:
            switches = self._switches
        except AttributeError:
            coerced = self.variable_values.coerced
            switches = self._switches = tuple(
                (name, value)
                for name, value in sorted(coerced.items())
                if value is None or type(value) is bool
            )
        operation = self.operation
        nodes = tuple(d.node for d in details)
        key = (id(operation), parent_type, response_name, tuple(map(id, nodes)), switches)
        shared = _SHARED.get(self.schema)
        if shared is None:
            shared = _SHARED[self.schema] = {}
        entry = shared.get(key)
        if entry is not None:
            return entry[2]
        plan = field_plan(self, parent_type, response_name, details)
        if len(shared) >= SHARED_PLANS:
            del shared[next(iter(shared))]
        shared[key] = (operation, nodes, plan)
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        manager = self.middleware_manager
        # Deferred fragments (a delivery group map) and middleware: the ordinary way only.
        short = position_context is None and (manager is None or not manager.middlewares)
        plan_of = self.plan
        parent_name = parent_type.name
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plan = plan_of(parent_type, response_name, field_details_list) if short else None
                if plan is not None:
                    try:
                        results[response_name] = run_field(
                            self, parent_name, plan, source_value, path
                        )
                        continue
                    except Exception:  # an anomaly: the ordinary way, from now on
                        # (in this execution: a resolver giving an awaitable, as an
                        # unprefetched loader does, would give one for every item)
                        self._plans[parent_type, id(field_details_list)] = (
                            field_details_list,
                            None,
                        )
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(
                    parent_type, source_value, field_details_list, field_path, position_context
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()
