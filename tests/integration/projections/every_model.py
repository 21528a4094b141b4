"""What the every-model tests share: a small history that touches every read model with
corrections and retractions, a replay of a log's prefix, and every model's tables and
answers as known at a position.

The history is the membership and bodies tests' small histories (statuses, bodies, offices,
mandates) followed by `records_history()` (an organization, two meetings, a document), so
every model has rows that a later event corrects, retracts or ends; the compliance model
follows the meetings, memberships, documents and organizations, the timeline and the audit
every stream.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.documents import (
    DocumentCategory,
    DocumentRatified,
    DocumentSigned,
    DocumentSuperseded,
)
from sco_registry.domain.meetings import MeetingFormat, MeetingHeld
from sco_registry.domain.membership import FoundingMemberJoined, MembershipStatus
from sco_registry.domain.organization import OrganizationFounded, OrganizationSucceeded
from sco_registry.domain.time import PartialDate
from sco_registry.projections import audit as au
from sco_registry.projections import compliance as cm
from sco_registry.projections import documents as dc
from sco_registry.projections import mandates as md
from sco_registry.projections import meetings as mt
from sco_registry.projections import organizations as og
from sco_registry.projections import timeline as tl
from sco_registry.projections.base import Projection
from sco_registry.projections.runner import ProjectionHost, ProjectionRunner, runner_for
from sco_registry.store.base import EventStore, NewEvent, RecordedEvent
from tests.integration.projections import records_support as rs
from tests.integration.projections.test_bodies import small_history as bodies_history
from tests.integration.projections.test_membership import small_history as membership_history

P = PartialDate.parse
D = dt.date.fromisoformat
ORG = "organization/sco"
NEXT = "organization/next-union"
SUMMIT = "meeting/heads_of_state/2030"
SUMMIT_2031 = "meeting/heads_of_state/2031"
HSC = "body/heads_of_state_council"
DOC = "document/treaty-2030"

# Every model's record-time columns, and the audit's copies of the log's record time and
# hashes: a replay records its events anew (its own clock), so these are left out of a
# comparison; everything else, `recorded_from` included, must be equal.
RECORD_TIME = frozenset({"recorded_to", "recorded_at", "hash", "previous_hash"})


def held(meeting: str, start: str, city: str) -> MeetingHeld:
    return MeetingHeld(
        valid_time=P(start),
        sources=rs.CITE,
        meeting_id=meeting,
        body_id=HSC,
        start_date=P(start),
        end_date=None,
        city=city,
        host_state="KZ",
        format=MeetingFormat.IN_PERSON,
        ordinal=30,
        chair="KZ",
        participants=("CN", "KZ"),
        documents=(DOC,),
    )


def records_history() -> list[tuple[str, NewEvent]]:
    """(stream, event), positions from 1 within it: the SCO founded "2001-06" (1, corrected
    to 2001-06-15 at 11, succeeded in 2040 at 13), KZ its founding member (2); the
    2030 summit held "2030-06" (3, corrected to 2030-06-10..11 at 6), the treaty signed there
    "2030-06" (4, corrected to 2030-06-10 at 7), ratified by CN (5, retracted at 9) and
    superseded in 2035 (12); a 2031 summit (8, retracted at 10)."""
    found, summit, sign, ratified, summit_2031 = (uuid.uuid4() for _ in range(5))
    founded = OrganizationFounded(
        valid_time=P("2001-06"),
        sources=rs.CITE,
        organization_id=ORG,
        name="Test Union",
        abbreviation="TU",
        founded_at="Almaty",
        founding_members=("KZ",),
        founding_document=None,
        predecessor=None,
    )
    joined = FoundingMemberJoined(
        valid_time=P("2001-06"),
        sources=rs.CITE,
        organization_id=ORG,
        state="KZ",
        status_after=MembershipStatus.FOUNDING_MEMBER,
        meeting=None,
        document=None,
    )
    signed = DocumentSigned(
        valid_time=P("2030-06"),
        sources=rs.CITE,
        document_id=DOC,
        title="A treaty",
        category=DocumentCategory.TREATY,
        place="Almaty",
        meeting=SUMMIT,
        parties=("CN", "KZ"),
        founding_parties=(),
        amends=None,
    )
    return [
        (ORG, rs.new(founded, event_id=found)),  # 1
        ("membership/KZ", rs.new(joined)),  # 2
        (SUMMIT, rs.new(held(SUMMIT, "2030-06", "Almaty"), event_id=summit)),  # 3
        (DOC, rs.new(signed, event_id=sign)),  # 4
        (
            DOC,
            rs.new(
                DocumentRatified(
                    valid_time=P("2030-09-01"), sources=rs.CITE, document_id=DOC, state="CN"
                ),
                event_id=ratified,
            ),
        ),  # 5
        (
            SUMMIT,
            rs.correction(
                SUMMIT,
                summit,
                valid_time="2030-06-10",
                start_date="2030-06-10",
                end_date="2030-06-11",
            ),
        ),  # 6
        (DOC, rs.correction(DOC, sign, valid_time="2030-06-10")),  # 7
        (SUMMIT_2031, rs.new(held(SUMMIT_2031, "2031-05-01", "Astana"), event_id=summit_2031)),
        (DOC, rs.retraction(DOC, ratified)),  # 9
        (SUMMIT_2031, rs.retraction(SUMMIT_2031, summit_2031)),  # 10
        (ORG, rs.correction(ORG, found, valid_time="2001-06-15")),  # 11
        (
            DOC,
            rs.new(
                DocumentSuperseded(
                    valid_time=P("2035"),
                    sources=rs.CITE,
                    document_id=DOC,
                    superseded_by="document/t-2035",
                )
            ),
        ),  # 12
        (
            ORG,
            rs.new(
                OrganizationSucceeded(
                    valid_time=P("2040"), sources=rs.CITE, organization_id=ORG, successor=NEXT
                )
            ),
        ),  # 13
    ]


def history() -> list[tuple[str, NewEvent]]:
    return [*membership_history(), *bodies_history(), *records_history()]


def runner(store: EventStore) -> ProjectionRunner:
    return runner_for(cast(ProjectionHost, store), batch_size=50)


def as_new(e: RecordedEvent) -> NewEvent:
    """A recorded event as an append of it (same id, data, metadata): for a replay."""
    return NewEvent(
        type=e.type,
        data=e.data,
        valid_time=e.valid_time,
        schema_version=e.schema_version,
        metadata=e.metadata,
        sources=e.sources,
        actor=e.actor,
        correlation_id=e.correlation_id,
        causation_id=e.causation_id,
        event_id=e.event_id,
    )


async def logged(store: EventStore) -> list[tuple[str, NewEvent]]:
    return [(e.stream_id, as_new(e)) async for e in store.iter_all()]


# --- every model's tables as known at a position --------------------------------------------------

Tables = dict[str, list[str]]


def _value(v: Any) -> Any:
    return json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v


def tables_known_at(
    projections: Sequence[Projection], known_at: int | None, *, filtered: bool = True
) -> Callable[[Connection], dict[str, Tables]]:
    """Per projection, per table: its rows known at `known_at` (None: the current rows), as
    sorted JSON lines without the record-time columns. A table with a record period is
    asked with `known`; one of the log's events (a `position` key, no record period) keeps
    the positions up to `known_at`; a table with neither (compliance's per-stream fold, a
    working table no read function asks) is left out. `filtered=False` drops the known-at
    filter (every row, ever): the negative control."""

    def work(conn: Connection) -> dict[str, Tables]:
        out: dict[str, Tables] = {}
        for projection in projections:
            mine: Tables = {}
            for key, table in projection.tables.items():
                names = set(table.c.keys())
                query = sa.select(table)
                if "recorded_to" in names:
                    if filtered and known_at is None:
                        query = query.where(table.c.recorded_to.is_(None))
                    elif filtered:
                        query = query.where(
                            table.c.recorded_from <= known_at,
                            sa.or_(table.c.recorded_to.is_(None), table.c.recorded_to > known_at),
                        )
                elif "position" in names:
                    if filtered and known_at is not None:
                        query = query.where(table.c.position <= known_at)
                else:
                    continue
                kept = [c.name for c in table.columns if c.name not in RECORD_TIME]
                rows = [
                    json.dumps([_value(m[c]) for c in kept], default=str)
                    for m in conn.execute(query).mappings()
                ]
                mine[key] = sorted(rows)
            out[projection.name] = mine
        return out

    return work


# --- the read functions' answers (record models, mandates, timeline, audit, compliance) -------

# A day, a year and a month around the history's changes: the founding (corrected to a
# day), the corrected summit's last day, the treaty's supersession, the 2031 summit.
ASKED: list[dt.date | PartialDate] = [
    D("2001-06-15"),
    P("2006"),
    D("2030-06-11"),
    P("2030-06"),
    D("2031-05-01"),
    P("2035"),
]
ENTITIES = (ORG, SUMMIT, SUMMIT_2031, DOC, "membership/MN", "body/x", "mandate/m1")


_UNSHARED = frozenset({"record", "recorded_at", "hash", "previous_hash"})


def _without_record(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_record(v) for k, v in value.items() if k not in _UNSHARED}
    if isinstance(value, list | tuple):
        return [_without_record(v) for v in value]
    return value


def facts(row: Any) -> str:
    """A read's answer (a dataclass, nested ones too), without its record period, record
    times and hashes (a replay records anew)."""
    return json.dumps(_without_record(dataclasses.asdict(row)), sort_keys=True, default=str)


def answers_known_at(known_at: int | None) -> Callable[[Connection], dict[str, list[Any]]]:
    """What the read functions of the models not covered by the membership and bodies
    tests' (b) answer, as known at `known_at`, for every date of `ASKED`."""

    def work(conn: Connection) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {
            "organizations": [],
            "meetings": [],
            "documents": [],
            "mandates": [],
            "timeline": [],
            "audit": [],
            "compliance": [],
        }
        out["organizations"].append([facts(o) for o in og.organizations(conn, known_at)])
        found = og.organization(conn, ORG, known_at)
        out["organizations"].append(None if found is None else facts(found))
        out["meetings"].append([facts(m) for m in mt.meetings(conn, known_at=known_at)])
        for meeting in (SUMMIT, SUMMIT_2031):
            detail = mt.meeting(conn, meeting, known_at)
            out["meetings"].append(None if detail is None else facts(detail))
        out["documents"].append([facts(d) for d in dc.documents(conn, known_at=known_at)])
        out["mandates"].append([facts(m) for m in md.mandates(conn, known_at=known_at)])
        for when in ASKED:
            out["organizations"].append(
                [facts(o) for o in og.organizations(conn, known_at, as_of=when)]
            )
            out["meetings"].append(
                [facts(m) for m in mt.meetings(conn, known_at=known_at, as_of=when)]
            )
            out["documents"].append(
                [facts(d) for d in dc.documents(conn, known_at=known_at, as_of=when)]
            )
            found_doc = dc.document(conn, DOC, known_at, as_of=when)
            out["documents"].append(None if found_doc is None else facts(found_doc))
            found_org = og.organization(conn, ORG, known_at, as_of=when)
            out["organizations"].append(None if found_org is None else facts(found_org))
            out["mandates"].append(
                [facts(m) for m in md.mandates(conn, known_at=known_at, as_of=when)]
            )
        out["timeline"].append([facts(t) for t in tl.timeline(conn, known_at=known_at, limit=500)])
        out["timeline"].append(
            [facts(t) for t in tl.timeline(conn, P("2030"), P("2035"), known_at=known_at)]
        )
        for entity in ENTITIES:
            out["audit"].append([facts(a) for a in au.audit(conn, entity, known_at)])
        out["compliance"].append([facts(f) for f in cm.findings(conn, known_at=known_at)])
        return out

    return work
