"""The documents read model: each document, from its drafting mandate and drafts to its
signature, ratifications, entry into force, amendments and supersession, one row per version
(`projections/records.py`).

Facts come from the document's events as corrected. The valid period runs from the
signature to the supersession (None where the sources record neither). `amends` is the
document this one amends (its signature says so); `amended_by` the amendments recorded on
this document's stream, each with its date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.domain.folding import StoredEvent
from sco_registry.domain.ids import DOCUMENT
from sco_registry.domain.periods import Answer, Period, RecordPeriod, Span
from sco_registry.domain.time import PartialDate
from sco_registry.projections import asof, bitemporal, records
from sco_registry.projections.base import Tables, metadata
from sco_registry.projections.records import (
    KEPT_ROWS,
    ROWS,
    KeptRows,
    RecordProjection,
    known,
    source_key,
)

_SIGNED = ("title", "category", "place", "meeting", "parties", "founding_parties", "amends")


class DocumentsProjection(RecordProjection):
    name = "documents"
    version = 1
    prefix = DOCUMENT
    columns = (
        ("category", sa.Text()),
        ("title", sa.Text()),
        ("signed_on", sa.Text()),
        ("place", sa.Text()),
        ("meeting", sa.Text()),
        ("parties", sa.JSON()),
        ("founding_parties", sa.JSON()),
        ("ratifications", sa.JSON()),
        ("in_force_on", sa.Text()),
        ("amends", sa.Text()),
        ("amended_by", sa.JSON()),
        ("superseded_by", sa.Text()),
        ("superseded_on", sa.Text()),
        ("mandate", sa.JSON()),
        ("drafts", sa.JSON()),
    )

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        tables = super().define(target, suffix)
        rows = tables[ROWS]
        # The documents signed at a meeting (a meeting's page, the API's loader).
        sa.Index(f"ix_{rows.name}_meeting", rows.c.meeting)
        return tables

    def facts(self, held: Sequence[StoredEvent]) -> dict[str, Any] | None:
        fold = _Fold()
        for e in held:
            fold.add(e.type, e.data)
        return fold.facts()

    def derive(
        self,
        stream: Sequence[tuple[int, str, str, Mapping[str, Any]]],
        memo: dict[Any, Any] | None = None,
    ) -> dict[str, Any] | None:
        """`RecordProjection.derive`, the stream folded on from its fold at the event before
        when this unit made that one (`memo`) and nothing in the stream is a correction or a
        retraction: a document's stream grows by one event (a ratification, mostly) per
        version, and folding each version afresh made the cost of its versions quadratic in
        its length. Otherwise (no memo, the first event of the stream in the unit, a
        correction) as `RecordProjection.derive` does, the fold then kept."""
        if memo is None:
            return super().derive(stream, memo)
        position, event_id, event_type, data = stream[-1]
        key = ("documents.fold", stream[0][0])
        held: _Fold | None = memo.get(key)
        if held is not None and (
            event_type in CORRECTION_TYPES
            or held.count != len(stream) - 1
            or held.position != stream[-2][0]
        ):
            held = None  # (a correction: `effective` decides what the stream holds)
        if held is None:
            if any(t in CORRECTION_TYPES for _, _, t, _ in stream):
                memo.pop(key, None)
                return super().derive(stream, memo)
            held = memo[key] = _Fold()
            for e in stream[:-1]:
                held.event(*e)
        held.event(position, event_id, event_type, data)
        facts = held.facts()
        if facts is None:
            return None
        return {**facts, "events": list(held.made), "sources": list(held.unique.values())}


class _Fold:
    """A document's facts folded event by event (`DocumentsProjection.facts`), and for an
    uncorrected stream as recorded (`event`) the events that made it and their sources, as
    `RecordProjection.derive` lists them."""

    __slots__ = ("count", "f", "made", "position", "seen", "unique")

    def __init__(self) -> None:
        f: dict[str, Any] = {c: None for c, _ in DocumentsProjection.columns}
        f.update(ratifications={}, amended_by=[], drafts=[], founding_parties=[])
        self.f = f
        self.seen = False
        self.count = 0
        self.position = -1
        self.made: list[dict[str, Any]] = []
        self.unique: dict[str, Any] = {}

    def event(self, position: int, event_id: str, event_type: str, data: Mapping[str, Any]) -> None:
        self.add(event_type, data)
        self.count += 1
        self.position = position
        self.made.append({"event_id": event_id, "position": position})
        for source in data.get("sources") or []:
            self.unique[source_key(source)] = source

    def add(self, event_type: str, d: Mapping[str, Any]) -> None:
        f, when = self.f, d.get("valid_time")
        if event_type == "DraftingMandated":
            self.seen = True
            f["title"], f["category"] = d.get("title"), d.get("category")
            f["mandate"] = {
                "date": when,
                **{
                    c: d.get(c)
                    for c in (
                        "mandated_by",
                        "mandated_to",
                        "due_meeting",
                        "due_date",
                        "mandate_document",
                    )
                },
            }
        elif event_type == "DocumentDrafted":
            f["drafts"].append({"date": when, "drafted_by": d.get("drafted_by")})
        elif event_type == "DocumentSigned":
            self.seen = True
            f.update({c: d.get(c) for c in _SIGNED})
            f["founding_parties"] = list(d.get("founding_parties") or [])
            f["signed_on"] = when
        elif event_type == "DocumentRatified":
            f["ratifications"][str(d["state"])] = when
        elif event_type == "DocumentEnteredIntoForce":
            f["in_force_on"] = when
        elif event_type == "DocumentAmended":
            f["amended_by"].append({"document": d.get("amended_by"), "date": when})
        elif event_type == "DocumentSuperseded":
            f["superseded_by"], f["superseded_on"] = d.get("superseded_by"), when

    def facts(self) -> dict[str, Any] | None:
        """The facts now (None: no mandate or signature yet), their containers copies (the
        fold goes on changing its own)."""
        if not self.seen:
            return None
        f = self.f
        return {
            **f,
            "ratifications": dict(f["ratifications"]),
            "amended_by": list(f["amended_by"]),
            "drafts": list(f["drafts"]),
            **bitemporal.valid_columns(f["signed_on"], f["superseded_on"]),
        }


LIVE: Tables = DocumentsProjection.define(metadata)
DocumentsProjection.tables = LIVE


# --- read functions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Document(records.Lazy):
    """A document as read (`_row`: its JSON, dates, period, events and record time decoded
    when first read, `records.Lazy`)."""

    document_id: str
    category: str | None
    title: str | None
    signed_on: PartialDate | None
    place: str | None
    meeting: str | None
    parties: tuple[str, ...] | None
    founding_parties: tuple[str, ...]
    ratifications: dict[str, PartialDate | None]
    in_force_on: PartialDate | None
    amends: str | None
    amended_by: tuple[dict[str, Any], ...]
    superseded_by: str | None
    superseded_on: PartialDate | None
    mandate: dict[str, Any] | None
    drafts: tuple[dict[str, Any], ...]
    period: Period
    events: tuple[tuple[Any, int], ...]
    sources: tuple[dict[str, Any], ...]
    record: RecordPeriod
    recorded_at: str
    # Asked as of a date: did the document stand then, signed and not yet superseded (yes,
    # perhaps, no)? None: not asked.
    answer: Answer | None = None


def _date(text: str | None) -> PartialDate | None:
    return asof.date_of(text)


# The columns a document is read from, in this order (`_row`); an `answer` may follow. Not
# the valid period's: they are the signature's and the supersession's dates' (`facts`), and
# its period is made from them (`records.period_of_dates`, as the meetings').
_READ = (
    "record_id",
    "category",
    "title",
    "place",
    "meeting",
    "amends",
    "superseded_by",
    "recorded_at",
    "recorded_from",
    "recorded_to",
    "signed_on",
    "in_force_on",
    "superseded_on",
    "parties",
    "founding_parties",
    "ratifications",
    "amended_by",
    "mandate",
    "drafts",
    "events",
    "sources",
)
_AT = {name: i for i, name in enumerate(_READ)}
_ANSWER = len(_READ)


def _date_at(i: int) -> Any:
    return lambda r: _date(r[i])


def _parties(r: Sequence[Any]) -> tuple[str, ...] | None:
    found = records.decode_json(r[_AT["parties"]])
    return None if found is None else tuple(found)


def _ratifications(r: Sequence[Any]) -> dict[str, PartialDate | None]:
    found = records.decode_json(r[_AT["ratifications"]])
    return {s: _date(d) for s, d in sorted(found.items())}


_FROM, _TO = _AT["recorded_from"], _AT["recorded_to"]
Document.decoders = {
    "signed_on": _date_at(_AT["signed_on"]),
    "in_force_on": _date_at(_AT["in_force_on"]),
    "superseded_on": _date_at(_AT["superseded_on"]),
    "period": lambda r: records.period_of_dates(r[_AT["signed_on"]], r[_AT["superseded_on"]]),
    "parties": _parties,
    "founding_parties": records.json_tuple_at(_AT["founding_parties"]),
    "ratifications": _ratifications,
    "amended_by": records.json_tuple_at(_AT["amended_by"]),
    "mandate": records.json_at(_AT["mandate"]),
    "drafts": records.json_tuple_at(_AT["drafts"]),
    "events": records.events_at(_AT["events"]),
    "sources": records.json_tuple_at(_AT["sources"]),
    "record": lambda r: RecordPeriod(r[_FROM], r[_TO]),
}


def _select(table: sa.Table, *extra: Any) -> sa.Select[Any]:
    """The rows of `table` as `_row` reads them (`extra`: an `answer` column)."""
    return sa.select(*records.read_columns(table, _READ), *extra)


def _make(r: Sequence[Any]) -> Document:
    """A row of `_select` as a `Document`: the plain columns at once, the rest when read."""
    return records.lazy(
        Document,
        r,
        {
            "document_id": r[0],
            "category": r[1],
            "title": r[2],
            "place": r[3],
            "meeting": r[4],
            "amends": r[5],
            "superseded_by": r[6],
            "recorded_at": r[7],
            "answer": asof.answer_of(r[_ANSWER]) if len(r) > _ANSWER else None,
        },
    )


#: A row of `_select` as a `Document` (`_make`), kept (`records.KeptRows`).
_row: KeptRows[Document] = KeptRows(_make, KEPT_ROWS)


def document(
    conn: Connection,
    document_id: str,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> Document | None:
    """The document as known at `known_at` (None: now); None if it was not recorded then.
    With `as_of`, its `answer` says whether it stood then: from its signature to its
    supersession (`docs/time.md`); a document not signed stands at no date (no)."""
    table = (tables or LIVE)[ROWS]
    query = _select(table, *_answer(table, as_of, span)).where(
        table.c.record_id == document_id, known(table, known_at)
    )
    found = conn.execute(query).first()
    return None if found is None else _row(found)


def _answer(table: sa.Table, as_of: asof.AsOf | None, span: Span) -> list[Any]:
    """The `answer` column a read asked as of a date selects (none otherwise)."""
    if as_of is None:
        return []
    signed = asof.answer_column(table, as_of, span, asof.Rule.PERIOD).element
    return [sa.case((table.c.signed_on.is_(None), "no"), else_=signed).label("answer")]


Day = dt.date | PartialDate


def _lo(d: Day) -> dt.date:
    return d.lower if isinstance(d, PartialDate) else d


def _hi(d: Day) -> dt.date:
    return d.upper if isinstance(d, PartialDate) else d


def documents(
    conn: Connection,
    category: str | None = None,
    meeting: str | None = None,
    party: str | None = None,
    signed_from: Day | None = None,
    signed_to: Day | None = None,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> list[Document]:
    """The documents matching every filter given, as known at `known_at`, by id. `party`: a
    state among the parties; `signed_from` / `signed_to`: the signature may fall on or after /
    on or before the day (a partial date counts by its bounds; an unsigned document matches
    no signature filter). `as_of` keeps the documents that stood, or may have stood, then
    (signed, not yet superseded: `document`), each with its `answer` (yes or perhaps)."""
    table = (tables or LIVE)[ROWS]
    conditions: list[Any] = [known(table, known_at)]
    if as_of is not None:
        conditions += [
            table.c.signed_on.is_not(None),
            asof.possible(table, as_of, span, asof.Rule.PERIOD),
        ]
    if category is not None:
        conditions.append(table.c.category == str(category))
    if meeting is not None:
        conditions.append(table.c.meeting == meeting)
    query = _select(table, *_answer(table, as_of, span)).where(*conditions)
    found = [_row(m) for m in conn.execute(query.order_by(table.c.record_id))]
    if party is not None:
        found = [d for d in found if party in (d.parties or ())]
    if signed_from is not None:
        found = [d for d in found if d.signed_on and d.signed_on.upper >= _lo(signed_from)]
    if signed_to is not None:
        found = [d for d in found if d.signed_on and d.signed_on.lower <= _hi(signed_to)]
    return found
