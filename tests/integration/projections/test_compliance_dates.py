"""Test (e) for the compliance model on every store: a meeting dated to a year or a month
counts for its year (`domain/norms.py`: the norms are per calendar year), its evidence keeps
the date's precision, and a correction to a day in another year moves the finding in
current answers only."""

from __future__ import annotations

import uuid

from sco_registry.domain.norms import FindingStatus
from sco_registry.domain.organization import OrganizationFounded
from sco_registry.projections import compliance as cm
from sco_registry.projections import meetings as mt
from sco_registry.store.base import EventStore
from tests.integration.projections import every_model as em
from tests.integration.projections import records_support as rs

ANNUAL = "annual_heads_of_state_meeting"
MET, DEPARTED = FindingStatus.MET, FindingStatus.DEPARTED


async def test_e_meetings_dated_to_a_year_or_a_month_count_for_their_year(
    store: EventStore,
) -> None:
    r = rs.runner(store)
    founded = OrganizationFounded(
        valid_time=rs.P("2029"),
        sources=rs.CITE,
        organization_id=em.ORG,
        name="Shanghai Cooperation Organisation",
        abbreviation="SCO",
        founded_at="Shanghai",
        founding_members=("KZ",),
        founding_document=None,
        predecessor=None,
    )
    year_only, month_only = uuid.uuid4(), uuid.uuid4()
    await rs.append_all(
        store,
        [
            (em.ORG, rs.new(founded)),  # 1
            (em.SUMMIT, rs.new(em.held(em.SUMMIT, "2030", "Almaty"), event_id=year_only)),  # 2
            (
                em.SUMMIT_2031,
                rs.new(em.held(em.SUMMIT_2031, "2031-06", "Astana"), event_id=month_only),
            ),  # 3
            (em.SUMMIT, rs.correction(em.SUMMIT, year_only, start_date="2031-12-30")),  # 4
        ],
    )

    async def annual(known_at: int | None) -> list[tuple[int, FindingStatus, tuple[str, ...]]]:
        found = await r.read(
            lambda c: cm.findings(c, rule=ANNUAL, known_at=known_at, standing_only=True)
        )
        return [(f.year, f.outcome, f.evidence) for f in found]

    assert await annual(3) == [
        (2029, DEPARTED, ()),
        (2030, MET, (em.SUMMIT,)),
        (2031, MET, (em.SUMMIT_2031,)),
    ]
    # The correction moves the year-only summit to a day of 2031: 2030 is now a departure.
    assert await annual(None) == [
        (2029, DEPARTED, ()),
        (2030, DEPARTED, ()),
        (2031, MET, (em.SUMMIT, em.SUMMIT_2031)),
    ]
    # The precision comes back as given.
    at3 = await r.read(lambda c: mt.meeting(c, em.SUMMIT, 3))
    month = await r.read(lambda c: mt.meeting(c, em.SUMMIT_2031))
    assert at3 is not None and month is not None
    assert (str(at3.meeting.start_date), str(month.meeting.start_date)) == ("2030", "2031-06")
