"""Meetings and documents are read lazily (`records.Lazy`: plain columns at once, JSON,
dates, periods, events and record time when first read). On every store, over the bundled
history and a generated one, every read function gives objects equal, field by field and in
`repr`, to the eager decoding of the whole row by SQLAlchemy's JSON type (how rows were read
before): current rows, rows known at earlier positions (closed versions), and reads asked as
of a date (their `answer`). Negative controls: a wrong decoder, and a wrong plain column, are
seen by the same comparison."""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench.history import write_history
from sco_registry.domain.periods import Answer, Period, RecordPeriod, Span
from sco_registry.domain.time import PartialDate
from sco_registry.graphql import readers
from sco_registry.importer.bundled import load_bundled
from sco_registry.importer.load import import_files
from sco_registry.projections import asof
from sco_registry.projections import documents as dm
from sco_registry.projections import meetings as mt
from sco_registry.projections.records import ROWS
from sco_registry.store.base import EventStore
from tests.integration.projections import records_support as rs
from tests.integration.projections import test_meetings as tm

MEETINGS = mt.LIVE[ROWS]
DOCUMENTS = dm.LIVE[ROWS]
AS_OF = PartialDate.parse("2005-06")


def _date(text: str | None) -> PartialDate | None:
    return PartialDate.parse(text) if text else None


def _events(m: Mapping[str, Any]) -> tuple[tuple[uuid.UUID, int], ...]:
    return tuple((uuid.UUID(e["event_id"]), int(e["position"])) for e in m["events"])


def _answer(m: Mapping[str, Any]) -> Answer | None:
    return Answer(m["answer"]) if "answer" in m else None


def eager_meeting(m: Mapping[str, Any]) -> mt.Meeting:
    """A meeting from the whole row as SQLAlchemy decodes it (the reads' former `_row`)."""
    return mt.Meeting(
        meeting_id=m["record_id"],
        body_id=m["body_id"],
        ordinal=m["ordinal"],
        start_date=_date(m["start_date"]),
        end_date=_date(m["end_date"]),
        period=Period.from_columns(m),
        city=m["city"],
        host_state=m["host_state"],
        format=m["format"],
        status=m["status"],
        chair=m["chair"],
        participants=tuple(m["participants"]),
        listed_documents=tuple(m["documents"]),
        changes=tuple(m["changes"]),
        events=_events(m),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
        recorded_at=m["recorded_at"],
        answer=_answer(m),
    )


def eager_document(m: Mapping[str, Any]) -> dm.Document:
    return dm.Document(
        document_id=m["record_id"],
        category=m["category"],
        title=m["title"],
        signed_on=_date(m["signed_on"]),
        place=m["place"],
        meeting=m["meeting"],
        parties=None if m["parties"] is None else tuple(m["parties"]),
        founding_parties=tuple(m["founding_parties"]),
        ratifications={s: _date(d) for s, d in sorted(m["ratifications"].items())},
        in_force_on=_date(m["in_force_on"]),
        amends=m["amends"],
        amended_by=tuple(m["amended_by"]),
        superseded_by=m["superseded_by"],
        superseded_on=_date(m["superseded_on"]),
        mandate=m["mandate"],
        drafts=tuple(m["drafts"]),
        period=Period.from_columns(m),
        events=_events(m),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
        recorded_at=m["recorded_at"],
        answer=_answer(m),
    )


def _id(x: Any) -> str:
    return str(x.meeting_id if isinstance(x, mt.Meeting) else x.document_id)


def mismatches(
    conn: Connection,
    table: sa.Table,
    found: Sequence[Any],
    eager: Callable[[Mapping[str, Any]], Any],
    answer: Any = None,
) -> list[str]:
    """The objects of `found` that differ from the eager decoding of their rows (selected
    whole, by record id and first position, with the same `answer` column if asked)."""
    bad = []
    for lazy in found:
        columns = [table] if answer is None else [table, answer]
        row = (
            conn.execute(
                sa.select(*columns).where(
                    table.c.record_id == _id(lazy),
                    table.c.recorded_from == lazy.record.recorded_from,
                )
            )
            .mappings()
            .one()
        )
        expected = eager(row)
        if not (lazy == expected and repr(lazy) == repr(expected)):
            bad.append(_id(lazy))
        for f in dataclasses.fields(expected):
            if type(getattr(lazy, f.name)) is not type(getattr(expected, f.name)):
                bad.append(f"{_id(lazy)}: {f.name}")
    return bad


def reads(conn: Connection, known_at: int | None) -> list[tuple[str, list[str]]]:
    """Every read function's objects against their rows: (read, mismatches) for each."""
    k = known_at
    every = mt.meetings(conn, known_at=k)
    ids = [m.meeting_id for m in every]
    docs = dm.documents(conn, known_at=k)
    doc_ids = [d.document_id for d in docs]
    by_meeting = readers.documents_of_meetings(conn, ids, k)
    details = [mt.meeting(conn, i, k, as_of=AS_OF) for i in ids[:10]]
    one_doc = [dm.document(conn, i, k, as_of=AS_OF) for i in doc_ids[:10]]
    occasion = asof.answer_column(MEETINGS, AS_OF, Span.SOMETIME, asof.Rule.OCCASION)
    signed = dm._answer(DOCUMENTS, AS_OF, Span.SOMETIME)[0]
    assert every and docs and by_meeting, "a history with meetings and documents"
    assert sum(len(d.meeting.events) for d in details if d) > 0
    found_meetings: list[tuple[str, Sequence[mt.Meeting], Any]] = [
        ("meetings", every, None),
        ("page", mt.meetings_page(conn, known_at=k, limit=7), None),
        ("as of", mt.meetings(conn, known_at=k, as_of=AS_OF), occasion),
        ("meeting", [d.meeting for d in details if d], occasion),
        ("by id", list(readers.meetings_by_id(conn, ids, k).values()), None),
    ]
    found_documents: list[tuple[str, Sequence[dm.Document], Any]] = [
        ("documents", docs, None),
        ("documents as of", dm.documents(conn, known_at=k, as_of=AS_OF), signed),
        ("document", [d for d in one_doc if d], signed),
        ("documents by id", list(readers.documents_by_id(conn, doc_ids, k).values()), None),
        ("of meetings", [d for ds in by_meeting.values() for d in ds], None),
    ]
    return [
        *((n, mismatches(conn, MEETINGS, f, eager_meeting, a)) for n, f, a in found_meetings),
        *((n, mismatches(conn, DOCUMENTS, f, eager_document, a)) for n, f, a in found_documents),
    ]


async def _history(store: EventStore) -> None:
    """The bundled history and 80 generated records (partial and missing dates, corrections:
    `bench.history`), as `test_meetings_page` loads them."""
    assert (await load_bundled(store)).ok
    with tempfile.TemporaryDirectory() as tmp:
        more = write_history(Path(tmp) / "more.json", 80)
        summary = await import_files([more], store)
        assert summary.ok, summary.problems
    # Closed versions: a meeting and a document signed there, each corrected once.
    summit, doc = uuid.uuid4(), uuid.uuid4()
    await rs.append_all(
        store,
        [
            (tm.SUMMIT, rs.new(tm.held("2005-06-01", "Almaty"), event_id=summit)),
            ("document/d-2030", rs.new(tm.signed("document/d-2030", tm.SUMMIT), event_id=doc)),
            (tm.SUMMIT, rs.correction(tm.SUMMIT, summit, city="Astana")),
            ("document/d-2030", rs.correction("document/d-2030", doc, title="Corrected")),
        ],
    )


async def test_lazy_rows_equal_the_eager_decoding_of_their_rows(store: EventStore) -> None:
    r = rs.runner(store)  # before the appends: the models are kept inline
    await _history(store)
    head = await store.head_position()
    for known_at in (None, head // 3, head // 2, head - 2, head - 1):
        found = await r.read(lambda conn, k=known_at: reads(conn, k))  # type: ignore[misc]
        assert found == [(name, []) for name, _ in found], known_at
    # Closed versions were among them (known at an earlier position).
    closed = sa.select(sa.func.count()).where(DOCUMENTS.c.recorded_to.is_not(None))
    assert await r.read(lambda conn: conn.execute(closed).scalar_one()) > 0


async def test_the_comparison_sees_a_wrong_decoder_and_a_wrong_plain_column(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rs.runner(store)
    await _history(store)
    # The rows kept by other reads (`records.KeptRows`) dropped: decoded anew here, and
    # those decoded wrongly here not kept for later reads.
    mt._row.clear()
    dm._row.clear()
    try:
        # Every meeting cites a source; the participants column is not its sources.
        wrong = dict(mt.Meeting.decoders, sources=mt.Meeting.decoders["participants"])
        monkeypatch.setattr(mt.Meeting, "decoders", wrong)
        found = dict(await r.read(lambda conn: reads(conn, None)))
        assert found["meetings"] and found["page"] and found["meeting"]
        monkeypatch.undo()
        mt._row.clear()

        def swapped(row: Sequence[Any]) -> dm.Document:  # title read from the category column
            d = dm._make(row)  # not a kept one
            d.__dict__["title"] = d.category
            return d

        monkeypatch.setattr(dm, "_row", swapped)
        found = dict(await r.read(lambda conn: reads(conn, None)))
        assert found["documents"] and found["of meetings"]
        assert not found["meetings"]
    finally:
        monkeypatch.undo()
        mt._row.clear()
        dm._row.clear()
