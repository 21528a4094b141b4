"""Keyset pages (graphql/pagination.py): walking a list page by page gives every item once,
in order, whatever the page size; items added between pages never make a page repeat or
skip an item that was there; cursors of other shapes are refused; a page makes its edges
(an `Edge` and a key per item) only when they are asked for."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from graphql import GraphQLError
from hypothesis import given
from hypothesis import strategies as st

from sco_registry.graphql.pagination import MAX_PAGE, _edges, encode_cursor, keyset_page, page


def _walk(items: list[int], first: int, descending: bool = False) -> list[int]:
    out: list[int] = []
    after = None
    for _ in range(len(items) + 2):
        p = page(items, lambda i: (i,), first, after, lambda i: i, descending=descending)
        out += p.nodes()
        if not p.page_info.has_next_page:
            return out
        after = p.page_info.end_cursor
    raise AssertionError("the walk did not end")


@given(st.sets(st.integers(-1000, 1000)), st.integers(1, MAX_PAGE), st.booleans())
def test_walking_pages_gives_every_item_once_in_order(
    items: set[int], first: int, descending: bool
) -> None:
    assert _walk(list(items), first, descending) == sorted(items, reverse=descending)


@given(st.sets(st.integers(0, 500), min_size=1), st.sets(st.integers(0, 500)), st.integers(1, 10))
def test_items_added_between_pages_do_not_repeat_or_skip(
    items: set[int], added: set[int], first: int
) -> None:
    ordered = sorted(items)
    p1 = page(ordered, lambda i: (i,), first, None, lambda i: i)
    seen = p1.nodes()
    rest = page(
        sorted(items | added), lambda i: (i,), MAX_PAGE, p1.page_info.end_cursor, lambda i: i
    )
    after_cursor = [i for i in ordered if i > seen[-1]]
    assert [i for i in rest.nodes() if i in items] == after_cursor[:MAX_PAGE]
    assert not set(rest.nodes()) & set(seen)


def test_page_limits_and_foreign_cursors() -> None:
    items = list(range(10))
    with pytest.raises(GraphQLError) as too_large:
        page(items, lambda i: (i,), MAX_PAGE + 1, None, lambda i: i)
    assert too_large.value.extensions == {
        "code": "page.too_large",
        "details": {"first": MAX_PAGE + 1, "max": MAX_PAGE},
    }
    assert page(items, lambda i: (i,), MAX_PAGE, None, lambda i: i).nodes() == items  # control
    for cursor in ("%%%", encode_cursor(("a", "b"))[:-2], encode_cursor(("text",))):
        with pytest.raises(GraphQLError) as bad:
            page(items, lambda i: (i,), 3, cursor, lambda i: i)
        assert bad.value.extensions is not None
        assert bad.value.extensions["code"] == "page.malformed_cursor"


def _counted_key(calls: list[int]) -> Callable[[int], tuple[int]]:
    def key(i: int) -> tuple[int]:
        calls.append(i)
        return (i,)

    return key


async def _no_count() -> int:
    raise AssertionError("not asked")


@pytest.mark.parametrize("keyset", [False, True])
def test_edges_are_made_only_when_asked_for(keyset: bool) -> None:
    items = list(range(20))
    calls: list[int] = []
    if keyset:
        p = keyset_page(items[:11], _counted_key(calls), 10, None, lambda i: -i, _no_count)
        made = [9]  # the end cursor's key only: no edge made for `nodes`
    else:
        p = page(items[::-1], _counted_key(calls), 10, None, lambda i: -i)
        made = items[::-1]  # `page` sorts by the keys: each item's made once, kept
    assert p.nodes() == [-i for i in range(10)]
    assert calls == made
    assert p.page_info.end_cursor == encode_cursor((9,))
    # The control: asking for the edges makes one per item, each with its key and cursor.
    edges = _edges(p)
    assert calls == made + list(range(10)) if keyset else calls == made
    assert [(e.node(), e.cursor()) for e in edges] == [(-i, encode_cursor((i,))) for i in range(10)]
    assert _edges(p) is edges  # made once
    assert len(calls) == len(made) + (10 if keyset else 0)
