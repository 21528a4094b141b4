"""`records.KeptRows`: a row read again with the same values in every column is the same
instance (made once, its fields decoded once by any read); a row differing in any column
(a version closed since: its `recorded_to`) is made anew; at most `size` rows are kept, the
oldest dropped first; a row with a value that cannot be hashed is made and not kept;
threads reading the same rows at once share one instance per row. The meetings' and
documents' rows are read through one (`_row`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from sco_registry.projections import documents as dm
from sco_registry.projections import meetings as mt
from sco_registry.projections.records import KeptRows


class _Made:
    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values


def _counting() -> tuple[list[tuple[Any, ...]], KeptRows[_Made]]:
    made: list[tuple[Any, ...]] = []

    def make(r: Sequence[Any]) -> _Made:
        made.append(tuple(r))
        return _Made(tuple(r))

    return made, KeptRows(make, 3)


def test_a_row_read_again_is_the_same_instance_and_a_changed_one_is_not() -> None:
    made, rows = _counting()
    first = rows(["meeting/a", 1, None])
    assert rows(("meeting/a", 1, None)) is first  # the same values, any sequence
    assert made == [("meeting/a", 1, None)]
    # The control: a value changed in any column (the version closed at 7) is made anew.
    closed = rows(["meeting/a", 1, 7])
    assert closed is not first and closed.values == ("meeting/a", 1, 7)
    assert rows(["meeting/b", 1, None]) is not first
    assert len(made) == 3


def test_at_most_size_rows_are_kept_the_oldest_dropped_first() -> None:
    made, rows = _counting()
    kept = [rows([i]) for i in range(3)]
    assert [rows([i]) for i in range(3)] == kept and len(made) == 3
    rows([3])  # the oldest, 0, dropped
    assert rows([1]) is kept[1] and rows([2]) is kept[2]
    again = rows([0])
    assert again is not kept[0] and len(made) == 5
    assert len(rows._kept) == 3


def test_a_row_that_cannot_be_hashed_is_made_and_not_kept() -> None:
    made, rows = _counting()
    a, b = rows([["a list"]]), rows([["a list"]])
    assert a is not b and a.values == b.values and len(made) == 2
    assert not rows._kept


def test_threads_share_one_instance_per_row() -> None:
    _, rows = _counting()
    got: list[list[_Made]] = []
    start = threading.Barrier(4)

    def read() -> None:
        start.wait()
        got.append([rows([i % 3]) for i in range(300)])

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for g in got for m in g}) == 3


def test_the_models_rows_are_kept() -> None:
    assert isinstance(mt._row, KeptRows) and isinstance(dm._row, KeptRows)
    row = ["meeting/x", "body/x", 1, "Astana", "KZ", "in_person", "held", None, "t", 5, None]
    row += ["2004-06-17", None]  # the dates (the valid period is made of them)
    row += ["[]", "[]", "[]", "[]", '[{"title": "t", "url": null}]']
    mt._row.clear()
    try:
        m = mt._row(row)
        assert m.sources == ({"title": "t", "url": None},) and m.city == "Astana"
        assert mt._row(list(row)) is m
        assert mt._make(row) is not m and mt._make(row) == m  # the control: made anew
    finally:
        mt._row.clear()
