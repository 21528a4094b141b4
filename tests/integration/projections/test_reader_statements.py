"""The page's nested reads built once (`readers.documents_of_meetings` and `readers.states`:
statements kept per table (and dialect) and kind of known-at question, the ids (one
parameter) and the position bound at execution) read what the statements built anew for
every call read (the former code, here): the same documents per meeting in the same order,
the same states with their registrations, current and known at earlier positions (closed
versions among them), on every store.
Negative control: a kept statement that leaves the position out is seen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.ids import STATES_STREAM
from sco_registry.graphql import readers
from sco_registry.projections import documents as dm
from sco_registry.projections import meetings as mt
from sco_registry.projections import timeline
from sco_registry.projections.records import ROWS, known
from sco_registry.store.base import EventStore
from tests.integration.projections import records_support as rs
from tests.integration.projections.test_lazy_rows import _history

DOCUMENTS = dm.LIVE[ROWS]
STATES = timeline.LIVE[timeline.EVENTS]


def _former_documents(conn: Connection, ids: Sequence[str], k: int | None) -> list[Any]:
    query = (
        dm._select(DOCUMENTS)
        .where(DOCUMENTS.c.meeting.in_(list(ids)), known(DOCUMENTS, k))
        .order_by(DOCUMENTS.c.record_id)
    )
    out: dict[str, list[Any]] = defaultdict(list)
    for r in conn.execute(query):
        d = dm._row(r)
        out[r.meeting].append((d.document_id, d.record.recorded_from, d.title))
    return sorted(out.items())


def _former_states(conn: Connection, k: int | None) -> list[Any]:
    query = sa.select(STATES.c.position, STATES.c.event_id, STATES.c.data).where(
        STATES.c.stream_id == STATES_STREAM
    )
    if k is not None:
        query = query.where(STATES.c.position <= k)
    found = [(p, e, d["code"], d["name"]) for p, e, d in conn.execute(query.order_by("position"))]
    names = {code: name for _, _, code, name in found}
    return [
        (c, names[c], tuple((e, int(p)) for p, e, code, _ in found if code == c))
        for c in sorted(names)
    ]


def _both(conn: Connection, k: int | None) -> list[tuple[Any, Any]]:
    ids = [m.meeting_id for m in mt.meetings(conn, known_at=k)] + ["meeting/none"]
    got = readers.documents_of_meetings(conn, ids, k)
    documents = sorted(
        (m, [(d.document_id, d.record.recorded_from, d.title) for d in ds]) for m, ds in got.items()
    )
    states = [(s.code, s.name, s.events) for s in readers.states(conn, k)]
    return [
        (documents, _former_documents(conn, ids, k)),
        (readers.documents_of_meetings(conn, [], k), {}),
        (states, _former_states(conn, k)),
    ]


async def _compared(store: EventStore) -> list[list[bool]]:
    r = rs.runner(store)
    await _history(store)
    head = await store.head_position()
    first = sa.select(sa.func.min(STATES.c.position)).where(STATES.c.stream_id == STATES_STREAM)
    first_state = await r.read(lambda conn: conn.execute(first).scalar_one())
    found = []
    # Known at the first state's registration: the others not yet registered.
    for k in (None, first_state, head // 3, head // 2, head - 2, head - 1):
        pairs = await r.read(lambda conn, k=k: _both(conn, k))  # type: ignore[misc]
        assert pairs[2][1], "states to compare"
        assert pairs[0][1] or k == first_state, "documents to compare"
        found.append([got == want for got, want in pairs])
    return found


def _fresh_statements() -> None:
    for table in (DOCUMENTS, STATES):
        table.info.pop("sco_registry.statements", None)


async def test_kept_statements_read_what_statements_built_anew_read(store: EventStore) -> None:
    found = await _compared(store)
    assert all(all(same) for same in found), found


async def test_a_kept_statement_without_the_position_is_seen(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The negative control: statements always built for the current rows (the known-at
    question left out) read otherwise at an earlier position."""
    documents_of, states_of = readers._documents_of_meetings, readers._states
    monkeypatch.setattr(
        readers, "_documents_of_meetings", lambda now, dialect, t: documents_of(True, dialect, t)
    )
    monkeypatch.setattr(readers, "_states", lambda now, t: states_of(True, t))
    _fresh_statements()
    try:
        found = await _compared(store)
    finally:
        _fresh_statements()
    assert found[0] == [True, True, True]  # current: the same
    assert not all(same[0] for same in found[1:])  # documents known earlier: not the same
    assert not all(same[2] for same in found[1:])  # states known earlier: not the same
