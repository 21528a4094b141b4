"""`readers.states` decodes its rows once while they stay the same (`_kept_states`): the
same rows give an equal answer, each call its own list; rows that differ (a registration
added, a name changed) give their own answer."""

from __future__ import annotations

import json
from typing import Any

from sco_registry.graphql import readers


class _Conn:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def execute(self, query: Any, values: Any) -> list[tuple[Any, ...]]:
        return list(self.rows)


def _row(position: int, code: str, name: str) -> tuple[Any, ...]:
    return (position, f"event-{position}", json.dumps({"code": code, "name": name}))


def test_the_same_rows_decode_once_and_other_rows_answer_anew() -> None:
    rows = [_row(1, "KZ", "Kazakhstan"), _row(2, "CN", "China"), _row(3, "KZ", "Qazaqstan")]
    conn = _Conn(rows)
    first = readers.states(conn, None)  # type: ignore[arg-type]
    assert [(s.code, s.name, s.events) for s in first] == [
        ("CN", "China", (("event-2", 2),)),
        ("KZ", "Qazaqstan", (("event-1", 1), ("event-3", 3))),
    ]
    again = readers.states(conn, None)  # type: ignore[arg-type]
    assert again == first and again is not first  # its own list
    assert all(a is b for a, b in zip(again, first, strict=True))  # decoded once
    # The control: a registration added, a name changed: answered anew.
    conn.rows = [*rows, _row(4, "IN", "India")]
    assert [s.code for s in readers.states(conn, None)] == ["CN", "IN", "KZ"]  # type: ignore[arg-type]
    conn.rows = [rows[0], _row(2, "CN", "PRC"), rows[2]]
    assert readers.states(conn, None)[0].name == "PRC"  # type: ignore[arg-type]
