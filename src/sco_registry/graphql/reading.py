"""How a query reads: as of a date in history (`asOf`), as known at a log position or a time
(`knownAt`), after the read models reached a position (`minPosition`, a bounded wait).

A root field resolves these once into a `View`; the objects it returns carry that view, and
their nested fields read with it unless they are given their own `asOf` / `knownAt`."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from sco_registry.domain.periods import Span
from sco_registry.domain.time import PartialDate
from sco_registry.graphql.context import Context
from sco_registry.graphql.errors import api_error
from sco_registry.graphql.scalars import SpanValue, parse_optional_date
from sco_registry.store.chain import format_timestamp


@strawberry.input(
    description="A moment of the registry's record time: a log position, or a time (with a "
    "zone), read as the position the log had reached then. Exactly one of the two."
)
class KnownAt:
    position: int | None = None
    time: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class View:
    """The two times a read is asked at: `as_of` (None: no valid-time question; the latest
    where a field needs one) and `known_at` (a log position; None: what is known now)."""

    as_of: PartialDate | None = None
    known_at: int | None = None
    span: Span = Span.SOMETIME

    def with_(
        self,
        as_of: PartialDate | None = None,
        known_at: int | None = None,
        span: Span | None = None,
    ) -> View:
        """This view with whatever a nested field gives of its own."""
        return replace(
            self,
            as_of=as_of if as_of is not None else self.as_of,
            known_at=known_at if known_at is not None else self.known_at,
            span=span if span is not None else self.span,
        )


async def position_of(info: Info[Context, None], known_at: KnownAt | None) -> int | None:
    """The log position `knownAt` names (`input.malformed_known_at` unless exactly one)."""
    if known_at is None:
        return None
    if (known_at.position is None) == (known_at.time is None):
        raise api_error(
            "input.malformed_known_at", "knownAt takes exactly one of position and time"
        )
    if known_at.position is not None:
        if known_at.position < 0:
            raise api_error("input.malformed_known_at", "knownAt.position is 0 or more")
        return known_at.position
    at = known_at.time
    assert at is not None
    if at.tzinfo is None:
        raise api_error("input.malformed_known_at", "knownAt.time needs a time zone")
    from sco_registry.graphql import readers

    stamp = format_timestamp(at)
    return await info.context.read(lambda conn: readers.position_at(conn, stamp))


async def wait_for(info: Info[Context, None], min_position: int | None) -> None:
    """Return once every read model has applied the log up to `min_position`; after the
    configured bound, the error `read.min_position_timeout` (the write is not visible yet)."""
    if min_position is None or min_position <= 0:
        return
    timeout = info.context.min_position_timeout
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pause = 0.005
    while True:
        statuses = await info.context.registry.reads.status()
        behind = [s.name for s in statuses if s.checkpoint < min_position]
        if not behind:
            return
        if loop.time() >= deadline:
            raise api_error(
                "read.min_position_timeout",
                f"the read models did not reach position {min_position} within "
                f"{timeout:g} s (behind: {', '.join(behind)})",
                min_position=min_position,
                behind=behind,
            )
        await asyncio.sleep(min(pause, max(deadline - loop.time(), 0)))
        pause = min(pause * 2, 0.1)


async def view_of(
    info: Info[Context, None],
    as_of: str | None = None,
    known_at: KnownAt | None = None,
    min_position: int | None = None,
    span: SpanValue | None = None,
    parent: View | None = None,
) -> View:
    """The view of a field: its own arguments over its parent's (a root field: no parent)."""
    await wait_for(info, min_position)
    date = parse_optional_date(as_of, "asOf")
    position = await position_of(info, known_at)
    base = parent or View()
    return base.with_(date, position, None if span is None else span.domain())


def selected_names(info: Info[Any, Any], names: Collection[str]) -> set[str]:
    """Which of the field names `names` the query selects anywhere under the current field
    (through fragments too): a resolver may then read their rows with its own. An
    over-approximation is harmless (a read made for nothing), never a missed field."""
    # Walked on the document's own nodes: `info.selected_fields` converts the whole
    # selection below (a `SelectedField` per field, its arguments converted) to be read once.
    raw = info._raw_info
    found: set[str] = set()
    for node in raw.field_nodes:
        _collect_node_names(node.selection_set, raw.fragments, names, found, set())
    return found


def selects_only(info: Info[Any, Any], field: str, allowed: Collection[str]) -> bool:
    """Whether every field the query selects under any field named `field` (at any depth,
    through fragments too) is one of `allowed`: then the rows behind `field` are not
    needed. Over-approximating the selection (False for nothing) is harmless."""
    return all(
        name in allowed
        for found in _fields_named(
            (f for top in info.selected_fields for f in top.selections), field
        )
        for name in _field_names(found.selections)
    )


# The walks below are module functions, not closures: a nested function that calls itself
# holds a cell holding itself, a reference cycle left at every request for the cyclic
# collector (`schema.AcyclicExecutionContext` says why that matters).


def _collect_node_names(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    names: Collection[str],
    found: set[str],
    spread: set[str],
) -> None:
    """The names among `names` of the fields under `selection_set`, into `found`: fields
    (by name, not alias), inline fragments and fragment spreads (each fragment once),
    every `@skip`/`@include` taken as selecting (an over-approximation)."""
    if selection_set is None:
        return
    for s in selection_set.selections:
        if isinstance(s, FieldNode):
            if s.name.value in names:
                found.add(s.name.value)
            _collect_node_names(s.selection_set, fragments, names, found, spread)
        elif isinstance(s, InlineFragmentNode):
            _collect_node_names(s.selection_set, fragments, names, found, spread)
        elif isinstance(s, FragmentSpreadNode) and s.name.value not in spread:
            spread.add(s.name.value)
            fragment = fragments.get(s.name.value)
            if fragment is not None:
                _collect_node_names(fragment.selection_set, fragments, names, found, spread)


def _field_names(selections: Iterable[Any]) -> Iterator[str]:
    for s in selections:
        if isinstance(s, SelectedField):
            yield s.name
        yield from _field_names(getattr(s, "selections", None) or ())


def _fields_named(selections: Iterable[Any], field: str) -> Iterator[Any]:
    for s in selections:
        if isinstance(s, SelectedField) and s.name == field:
            yield s
        yield from _fields_named(getattr(s, "selections", None) or (), field)
