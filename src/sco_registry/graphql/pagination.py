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


@strawberry.type(
    description="A page of a list in its stable order: `totalCount` is the length of the "
    "whole list (with the same filters), `nodes` the page's items, `edges` the same with "
    "their cursors."
)
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count_value: strawberry.Private[int | None]
    total_count_of: strawberry.Private[Callable[[], Awaitable[int]] | None]

    @strawberry.field(description="How many items the whole list holds.")
    async def total_count(self) -> int:
        if self.total_count_value is not None:
            return self.total_count_value
        assert self.total_count_of is not None
        return await self.total_count_of()

    @strawberry.field(description="The page's items (the edges' nodes).")
    def nodes(self) -> list[T]:
        return [e.item for e in self.edges]


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
    ordered = sorted(items, key=key, reverse=descending)
    keys = [key(i) for i in ordered]
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
    edges = [Edge(key=key(i), item=wrap(i)) for i in chosen]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + first < len(ordered),
            end_cursor=encode_cursor(edges[-1].key) if edges else after,
        ),
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
    edges = [Edge(key=key(i), item=wrap(i)) for i in chosen]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(fetched) > first,
            end_cursor=encode_cursor(edges[-1].key) if edges else after,
        ),
        total_count_value=None,
        total_count_of=count,
    )
