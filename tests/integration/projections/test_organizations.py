"""The organizations read model on every store: rebuild equals inline, corrections and
retractions in both times, partial founding dates, and the SCO's founding in the bundled
history checked by hand."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sco_registry.domain.membership import FoundingMemberJoined, MembershipStatus
from sco_registry.domain.organization import OrganizationFounded, OrganizationSucceeded
from sco_registry.domain.periods import Answer
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import organizations as og
from sco_registry.store.base import EventStore
from tests.integration.projections import records_support as rs

P = rs.P
ORG = "organization/test-union"


async def test_a_rebuild_of_the_bundled_history_gives_the_inline_rows(store: EventStore) -> None:
    assert await rs.check_rebuild_of_bundled(store, "organizations", og.LIVE) == 2


@pytest.mark.parametrize("seed", [3, 11])
async def test_a_rebuild_of_a_generated_history_gives_the_inline_rows(
    store: EventStore, seed: int
) -> None:
    assert await rs.check_rebuild_of_generated(store, "organizations", og.LIVE, seed) > 0


def founded(on: str, place: str) -> OrganizationFounded:
    return OrganizationFounded(
        valid_time=P(on),
        sources=rs.CITE,
        organization_id=ORG,
        name="Test Union",
        abbreviation="TU",
        founded_at=place,
        founding_members=("KZ",),
        founding_document=None,
        predecessor=None,
    )


def joined(state: str, on: str) -> FoundingMemberJoined:
    return FoundingMemberJoined(
        valid_time=P(on),
        sources=rs.CITE,
        organization_id=ORG,
        state=state,
        status_after=MembershipStatus.FOUNDING_MEMBER,
        meeting=None,
        document=None,
    )


async def test_c_corrections_and_retractions_in_both_times(store: EventStore) -> None:
    r = rs.runner(store)
    found, kg = uuid.uuid4(), uuid.uuid4()
    await rs.append_all(
        store,
        [
            (ORG, rs.new(founded("2030-06-01", "Almaty"), event_id=found)),  # 1
            ("membership/KZ", rs.new(joined("KZ", "2030-06-01"))),  # 2
            ("membership/KG", rs.new(joined("KG", "2030-06-01"), event_id=kg)),  # 3
            (ORG, rs.correction(ORG, found, founded_at="Astana")),  # 4
            ("membership/KG", rs.retraction("membership/KG", kg)),  # 5
        ],
    )
    at3 = await r.read(lambda c: og.organization(c, ORG, 3))
    now = await r.read(lambda c: og.organization(c, ORG))
    assert at3 is not None and now is not None
    assert (at3.founded_at, now.founded_at) == ("Almaty", "Astana")
    assert (at3.founding_members, now.founding_members) == (("KG", "KZ"), ("KZ",))
    assert (await r.read(lambda c: og.organization(c, ORG, 1))).founding_members == ()  # type: ignore[union-attr]
    assert [p for _, p in now.events] == [1, 4]
    await store.append(ORG, [rs.retraction(ORG, found)])
    assert await r.read(lambda c: og.organizations(c)) == []
    assert [o.organization_id for o in await r.read(lambda c: og.organizations(c, 5))] == [ORG]


async def test_e_a_founding_dated_to_a_year_keeps_its_precision(store: EventStore) -> None:
    r = rs.runner(store)
    succeeded = OrganizationSucceeded(
        valid_time=P("2040-03"), sources=rs.CITE, organization_id=ORG, successor="organization/x"
    )
    await rs.append_all(store, [(ORG, rs.new(founded("2030", "Almaty"))), (ORG, rs.new(succeeded))])
    o = await r.read(lambda c: og.organization(c, ORG))
    assert o is not None
    assert (str(o.founded_on), o.successor, str(o.succeeded_on)) == (
        "2030",
        "organization/x",
        "2040-03",
    )
    assert o.period.on(dt.date(2029, 12, 31)) is Answer.NO
    assert o.period.on(dt.date(2030, 6, 1)) is Answer.PERHAPS
    assert o.period.on(dt.date(2031, 1, 1)) is Answer.YES


# --- (f) the bundled history, checked against its records by hand --------------------------------

# data/sco-history-1996-2012.json: organization/sco founded on 2001-06-15 in Shanghai, its
# founding document document/establishment-declaration-2001, predecessor
# organization/shanghai-five (founded 1996-04-26 in Shanghai); the six founding members
# (membership/*/2001-06-15/founding_member): CN KG KZ RU TJ UZ; the Shanghai Five's founders
# the five participants from 1996-04-26 (Uzbekistan joined it on 2001-06-14).


async def test_f_the_founding_of_the_sco(store: EventStore) -> None:
    r = rs.runner(store)
    assert (await load_bundled(store)).ok
    sco = await r.read(lambda c: og.organization(c, "organization/sco"))
    assert sco is not None
    assert (str(sco.founded_on), sco.founded_at, sco.founding_document) == (
        "2001-06-15",
        "Shanghai",
        "document/establishment-declaration-2001",
    )
    assert sco.founding_members == ("CN", "KG", "KZ", "RU", "TJ", "UZ")
    assert sco.predecessor == "organization/shanghai-five" and sco.successor is None
    assert sco.purposes is not None and len(sco.purposes["texts"]) == 4
    assert sco.principles is not None and sco.principles["texts"]
    five = await r.read(lambda c: og.organization(c, "organization/shanghai-five"))
    assert five is not None
    assert (str(five.founded_on), five.successor) == ("1996-04-26", "organization/sco")
    assert five.founding_members == ("CN", "KG", "KZ", "RU", "TJ")
    listed = await r.read(lambda c: og.organizations(c))
    assert [o.organization_id for o in listed] == ["organization/shanghai-five", "organization/sco"]
