"""The documents read model on every store: rebuild equals inline, corrections and
retractions in both times, ratifications, amendments and supersession, partial dates, and
the bundled history's 2002 documents checked by hand."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sco_registry.domain.documents import (
    DocumentAmended,
    DocumentCategory,
    DocumentEnteredIntoForce,
    DocumentRatified,
    DocumentSigned,
    DocumentSuperseded,
)
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import documents as dc
from sco_registry.store.base import EventStore
from tests.integration.projections import records_support as rs

P = rs.P
DOC = "document/treaty-2030"


async def test_a_rebuild_of_the_bundled_history_gives_the_inline_rows(store: EventStore) -> None:
    assert await rs.check_rebuild_of_bundled(store, "documents", dc.LIVE) == 30


@pytest.mark.parametrize("seed", [3, 11])
async def test_a_rebuild_of_a_generated_history_gives_the_inline_rows(
    store: EventStore, seed: int
) -> None:
    assert await rs.check_rebuild_of_generated(store, "documents", dc.LIVE, seed) > 0


def signed(on: str, parties: tuple[str, ...] = ("CN", "KZ", "RU")) -> DocumentSigned:
    return DocumentSigned(
        valid_time=P(on),
        sources=rs.CITE,
        document_id=DOC,
        title="A treaty",
        category=DocumentCategory.TREATY,
        place="Astana",
        meeting="meeting/heads_of_state/2030",
        parties=parties,
        founding_parties=(),
        amends=None,
    )


def ratified(state: str, on: str) -> DocumentRatified:
    return DocumentRatified(valid_time=P(on), sources=rs.CITE, document_id=DOC, state=state)


async def test_c_corrections_and_retractions_in_both_times(store: EventStore) -> None:
    r = rs.runner(store)
    sign, kz = uuid.uuid4(), uuid.uuid4()
    await rs.append_all(
        store,
        [
            (DOC, rs.new(signed("2030-06-01"), event_id=sign)),  # 1
            (DOC, rs.new(ratified("CN", "2030-09-01"))),  # 2
            (DOC, rs.new(ratified("KZ", "2030-10-01"), event_id=kz)),  # 3
            (DOC, rs.correction(DOC, sign, parties=["CN", "KZ"])),  # 4
            (DOC, rs.retraction(DOC, kz)),  # 5
        ],
    )
    now = await r.read(lambda c: dc.document(c, DOC))
    at3 = await r.read(lambda c: dc.document(c, DOC, 3))
    assert now is not None and at3 is not None
    assert (at3.parties, now.parties) == (("CN", "KZ", "RU"), ("CN", "KZ"))
    assert at3.ratifications == {"CN": P("2030-09-01"), "KZ": P("2030-10-01")}
    assert now.ratifications == {"CN": P("2030-09-01")}  # the retracted one gone, now only
    assert [d.document_id for d in await r.read(lambda c: dc.documents(c, party="RU"))] == []
    assert [
        d.document_id for d in await r.read(lambda c: dc.documents(c, party="RU", known_at=3))
    ] == [DOC]
    assert [p for _, p in now.events] == [1, 4, 2]
    assert await r.read(lambda c: dc.document(c, DOC, 0)) is None
    # Retracting the signature too leaves no document in current answers.
    await store.append(DOC, [rs.retraction(DOC, sign)])
    assert await r.read(lambda c: dc.document(c, DOC)) is None
    assert await r.read(lambda c: dc.document(c, DOC, 5)) is not None


async def test_entry_into_force_amendments_and_supersession(store: EventStore) -> None:
    r = rs.runner(store)
    events = [
        signed("2030-06-01"),
        DocumentEnteredIntoForce(valid_time=P("2031-01-01"), sources=rs.CITE, document_id=DOC),
        DocumentAmended(
            valid_time=P("2032-05"), sources=rs.CITE, document_id=DOC, amended_by="document/p-2032"
        ),
        DocumentSuperseded(
            valid_time=P("2035"), sources=rs.CITE, document_id=DOC, superseded_by="document/t-2035"
        ),
    ]
    await rs.append_all(store, [(DOC, rs.new(e)) for e in events])
    d = await r.read(lambda c: dc.document(c, DOC))
    assert d is not None
    assert d.in_force_on == P("2031-01-01")
    assert d.amended_by == ({"document": "document/p-2032", "date": "2032-05"},)
    assert (d.superseded_by, str(d.superseded_on), str(d.period.end)) == (
        "document/t-2035",
        "2035",
        "2035",
    )
    before = await r.read(lambda c: dc.document(c, DOC, 2))
    assert before is not None and before.amended_by == () and before.superseded_by is None


async def test_e_a_signature_dated_to_a_month(store: EventStore) -> None:
    r = rs.runner(store)
    await store.append(DOC, [rs.new(signed("2030-06"))])

    async def ids(**kw: object) -> list[str]:
        return [d.document_id for d in await r.read(lambda c: dc.documents(c, **kw))]  # type: ignore[arg-type]

    assert await ids(signed_from=dt.date(2030, 6, 15)) == [DOC]  # may fall on or after
    assert await ids(signed_to=dt.date(2030, 6, 1)) == [DOC]
    assert await ids(signed_to=dt.date(2030, 5, 31)) == []
    assert await ids(signed_from=dt.date(2030, 7, 1)) == []
    assert await ids(signed_from=P("2030"), signed_to=P("2030")) == [DOC]
    d = await r.read(lambda c: dc.document(c, DOC))
    assert d is not None and str(d.signed_on) == "2030-06"  # precision as given


# --- (f) the bundled history, checked against its records by hand --------------------------------

# data/sco-history-1996-2012.json: the two document records naming
# meeting/heads_of_state/2002 are document/charter-2002 (charter, 2002-06-07, St. Petersburg,
# the six states, in force 2003-09-19) and document/rats-agreement-2002 (agreement, same day
# and place, the six states, no entry into force recorded).


async def test_f_the_documents_signed_at_the_2002_summit(store: EventStore) -> None:
    r = rs.runner(store)
    assert (await load_bundled(store)).ok
    found = await r.read(lambda c: dc.documents(c, meeting="meeting/heads_of_state/2002"))
    six = ("CN", "KG", "KZ", "RU", "TJ", "UZ")
    assert [
        (d.document_id, d.category, str(d.signed_on), d.place, d.parties, d.in_force_on)
        for d in found
    ] == [
        ("document/charter-2002", "charter", "2002-06-07", "St. Petersburg", six, P("2003-09-19")),
        ("document/rats-agreement-2002", "agreement", "2002-06-07", "St. Petersburg", six, None),
    ]
    charters = await r.read(lambda c: dc.documents(c, category="charter"))
    assert [d.document_id for d in charters] == ["document/charter-2002"]
    in_2002 = await r.read(
        lambda c: dc.documents(c, signed_from=dt.date(2002, 1, 1), signed_to=dt.date(2002, 12, 31))
    )
    assert {d.document_id for d in found} <= {d.document_id for d in in_2002}
