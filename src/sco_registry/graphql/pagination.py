"""Cursor connections: keyset pages over a stable order with a tie-breaker.

A cursor is the sort key of the last item seen (opaque: base64 of its JSON); the next page
is the items whose key sorts after it, so a page never repeats or skips an item when others
are added before it. `first` is required, from 0 to `MAX_PAGE` (`page.too_large`,
`page.invalid_first`); a cursor that is not one of ours is `page.malformed_cursor`."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from sco_registry.graphql.errors import api_error

MAX_PAGE = 100

T = TypeVar("T")
N = TypeVar("N")
Key = tuple[Any, ...]


@strawberry.type(description="Where a page ends, and whether more follow.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="An item with the cursor that resumes after it.")
class Edge(Generic[T]):
    # The cursor is encoded when asked for (a JSON dump and base64 per item: a page of 100
    # made 100 of them for every query, most of which select only `nodes`).
    # (`node` a method too: the schema lists the fields in the order of their kind, plain
    # attributes first, and `cursor` came first.)
    key: strawberry.Private[Key]
    item: strawberry.Private[T]

    @strawberry.field
    def cursor(self) -> str:
        return encode_cursor(self.key)

    @strawberry.field
    def node(self) -> T:
        return self.item


def _edges(self: Connection[T]) -> list[Edge[T]]:
    edges = self.made_edges
    if edges is None:
        key = self.key_of
        edges = self.made_edges = [
            Edge(key=key(raw), item=item) for raw, item in zip(self.raw, self.items, strict=True)
        ]
    return edges


@strawberry.type(
    description="A page of a list in its stable order: `totalCount` is the length of the "
    "whole list (with the same filters), `nodes` the page's items, `edges` the same with "
    "their cursors."
)
class Connection(Generic[T]):
    # The edges (each with its key) are made only if `edges` is asked for: a query that
    # selects only `nodes` (most do) made an `Edge` and a key for every item of the page.
    # (A field answered by a function, declared here: the schema keeps the fields' order.)
    edges: list[Edge[T]] = strawberry.field(resolver=_edges)
    page_info: PageInfo
    #: The page's items as read (`raw`: or their keys), and as answered (`items`), in the
    #: same order; `key_of(raw item)` is an edge's key.
    raw: strawberry.Private[Sequence[Any]]
    items: strawberry.Private[list[T]]
    key_of: strawberry.Private[Callable[[Any], Key]]
    total_count_value: strawberry.Private[int | None]
    total_count_of: strawberry.Private[Callable[[], Awaitable[int]] | None]
    made_edges: strawberry.Private[list[Edge[T]] | None] = None

    @strawberry.field(description="How many items the whole list holds.")
    async def total_count(self) -> int:
        if self.total_count_value is not None:
            return self.total_count_value
        assert self.total_count_of is not None
        return await self.total_count_of()

    @strawberry.field(description="The page's items (the edges' nodes).")
    def nodes(self) -> list[T]:
        return self.items


def _same(key: Key) -> Key:
    return key


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_cursor(cursor: str) -> Key:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        value = None
    if not isinstance(value, list):
        raise api_error("page.malformed_cursor", f"{cursor!r} is not a cursor of this list")
    return tuple(tuple(v) if isinstance(v, list) else v for v in value)


def check_first(first: int) -> int:
    if first < 0:
        raise api_error("page.invalid_first", "first must be 0 or more", first=first)
    if first > MAX_PAGE:
        raise api_error("page.too_large", f"first is at most {MAX_PAGE}", first=first, max=MAX_PAGE)
    return first


def page(
    items: Sequence[T],
    key: Callable[[T], Key],
    first: int,
    after: str | None,
    wrap: Callable[[T], N],
    *,
    descending: bool = False,
) -> Connection[N]:
    """A page of `items` (any order: they are sorted here by `key`, which must be unique per
    item, descending if asked), `first` of them after the cursor `after`."""
    check_first(first)
    # Each item's key made once (sorted by them, then searched, then the edges' keys).
    unsorted = [key(i) for i in items]
    order = sorted(range(len(unsorted)), key=unsorted.__getitem__, reverse=descending)
    ordered = [items[j] for j in order]
    keys = [unsorted[j] for j in order]
    start = 0
    if after is not None:
        cursor = decode_cursor(after)
        try:
            if descending:
                # keys descend: the first index whose key is below the cursor's
                start = len(keys) - bisect.bisect_left(keys[::-1], cursor)
            else:
                start = bisect.bisect_right(keys, cursor)
        except TypeError:  # a key of another list (other types): not ours
            raise api_error(
                "page.malformed_cursor", f"{after!r} is not a cursor of this list"
            ) from None
    chosen = ordered[start : start + first]
    chosen_keys = keys[start : start + first]
    return Connection(
        page_info=PageInfo(
            has_next_page=start + first < len(ordered),
            end_cursor=encode_cursor(chosen_keys[-1]) if chosen_keys else after,
        ),
        raw=chosen_keys,
        items=[wrap(i) for i in chosen],
        key_of=_same,
        total_count_value=len(ordered),
        total_count_of=None,
    )


def keyset_page(
    fetched: Sequence[T],
    key: Callable[[T], Key],
    first: int,
    after: str | None,
    wrap: Callable[[T], N],
    count: Callable[[], Awaitable[int]],
) -> Connection[N]:
    """A page the database cut (`fetched`: up to `first + 1` items after the cursor, in
    order); `count` gives `totalCount` only when it is asked for."""
    chosen = list(fetched[:first])
    return Connection(
        page_info=PageInfo(
            has_next_page=len(fetched) > first,
            end_cursor=encode_cursor(key(chosen[-1])) if chosen else after,
        ),
        raw=chosen,
        items=[wrap(i) for i in chosen],
        key_of=key,
        total_count_value=None,
        total_count_of=count,
    )
