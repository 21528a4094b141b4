"""Synthetic logs of N domain events for the read-side benchmark, generated once and cached.

The events are the domain's own (`sco_registry.domain`'s dataclasses, `catalog.to_json`,
the envelope the bus writes: metadata with actor, command and record id, the sources as
citations), appended straight to the log in big `append_batch` calls with no projection
attached: the command path (decide, read checks, the importer's rehearsal) is not what is
measured, and at 1,000,000 events it would take far longer than the rebuild itself.

The history: a prelude (the states, the SCO founded in 2001 by its six founding members,
its councils and permanent bodies), then one simulated year after another, from 2002 on,
for as many centuries as the size needs (about 170 events a year: 100,000 events reach
the year 2600, 1,000,000 about the year 8000). Each year: a summit of the Council of
Heads of State (sometimes scheduled first, postponed or moved), a meeting of the Heads of
Government and of the Foreign Ministers, thirty-odd meetings of the expert groups; the
documents signed at them (parties: the members of the day), some drafted on a mandate
first, many ratified state by state and entering into force, a few amending or superseding
earlier ones; three new expert groups (with an expiry; dissolved when it passes), a renaming,
a permanent body's seat moving; office terms (the Secretary-General every three years, a
director per new group) and their ends; mandates given and later fulfilled; one or two
changes in a state's relation to the SCO (observer, dialogue partner, application,
admission procedure, admission, now and then a suspension or a withdrawal); and about 2%
corrections (a meeting's city, a document's title, a term's holder, a date) and 0.5%
retractions of recent events. Streams stay the length real records have (a meeting 1-3
events, a document up to a dozen); the longest are the permanent bodies' (seat moves) and
the states' membership streams, which grow with the centuries (at 100,000 events: 39,459
streams, the longest 92 events).

Deterministic from the seed (event ids from the seeded RNG, a fixed simulated clock): the
same (size, seed, GENERATOR_VERSION) gives the same log, byte for byte. The cache is an
SQLite file, migrated by Alembic, under `bench/.cache/` (gitignored); a PostgreSQL log is
filled from the same generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sco_registry.domain import (
    bodies,
    catalog,
    corrections,
    documents,
    mandates,
    meetings,
    membership,
    offices,
    organization,
    states,
)
from sco_registry.domain.events import Event
from sco_registry.domain.membership import MembershipStatus as St
from sco_registry.domain.streams import stream_of
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.store.base import AppendUnit, NewEvent, Source, StreamAppend, StreamState

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
GENERATOR_VERSION = 2
"""Part of the cache's file name: change it whenever the generated events change."""
SEED = 2001
APPEND_EVENTS = 5_000
"""Events per `append_batch` call."""

SCO = "organization/sco"
HOS = "body/heads_of_state_council"
HOG = "body/heads_of_government_council"
CFM = "body/foreign_ministers_council"
SECRETARIAT = "body/secretariat"
RATS = "body/rats"
FOUNDERS = ("CN", "KZ", "KG", "RU", "TJ", "UZ")
STATES = {
    "CN": "China", "RU": "Russia", "KZ": "Kazakhstan", "KG": "Kyrgyzstan",
    "TJ": "Tajikistan", "UZ": "Uzbekistan", "IN": "India", "PK": "Pakistan", "IR": "Iran",
    "BY": "Belarus", "MN": "Mongolia", "AF": "Afghanistan", "TR": "Turkey",
    "LK": "Sri Lanka", "AM": "Armenia", "AZ": "Azerbaijan", "KH": "Cambodia", "NP": "Nepal",
    "EG": "Egypt", "QA": "Qatar", "SA": "Saudi Arabia", "KW": "Kuwait",
    "AE": "United Arab Emirates", "BH": "Bahrain", "MM": "Myanmar", "MV": "Maldives",
    "LA": "Laos", "VN": "Vietnam", "TM": "Turkmenistan", "ID": "Indonesia",
}  # fmt: skip
CITIES = (
    "Shanghai", "Moscow", "Almaty", "Bishkek", "Dushanbe", "Tashkent", "Astana", "Beijing",
    "Yekaterinburg", "Ufa", "Qingdao", "Samarkand", "Goa", "Cholpon-Ata", "Sochi", "Ashgabat",
)  # fmt: skip
SUBJECTS = (
    "customs", "energy", "transport", "education", "health", "culture", "tourism", "finance",
    "agriculture", "science", "security", "information", "water", "trade", "youth",
)  # fmt: skip
FORMATS = tuple(meetings.MeetingFormat)
CATEGORIES = tuple(documents.DocumentCategory)
GROUP_MEETINGS = 32
"""Expert-group meetings per simulated year (each with a document signed)."""


def cache_path(events: int, seed: int = SEED) -> Path:
    return CACHE / f"synthetic-{events}-s{seed}-g{GENERATOR_VERSION}.db"


@dataclass
class _Group:
    body_id: str
    name: str
    expires: int


@dataclass
class _World:
    """What the generator remembers between years (bounded: recent events only)."""

    rng: random.Random
    status: dict[str, St | None] = field(default_factory=dict)
    groups: list[_Group] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    # The day each of `documents` was signed (a document is superseded only after it).
    signed: dict[str, dt.date] = field(default_factory=dict)
    open_mandates: list[tuple[str, int]] = field(default_factory=list)
    recent: list[tuple[str, uuid.UUID, str, dict[str, Any]]] = field(default_factory=list)
    secretary: str | None = None
    counter: int = 0

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def n(self) -> int:
        self.counter += 1
        return self.counter

    def members(self) -> list[str]:
        return sorted(s for s, v in self.status.items() if v in (St.FOUNDING_MEMBER, St.MEMBER))


Unit = list[tuple[str, NewEvent]]
"""The events of one record (one command), each with its stream."""


def _day(rng: random.Random, year: int, month_from: int = 1, month_to: int = 12) -> dt.date:
    return dt.date(year, rng.randint(month_from, month_to), rng.randint(1, 28))


def _precise(rng: random.Random, day: dt.date) -> PartialDate:
    """The date at the precision a source might give: mostly the day, else month or year."""
    roll = rng.random()
    if roll < 0.85:
        return PartialDate.parse(day.isoformat())
    if roll < 0.95:
        return PartialDate.parse(day.isoformat()[:7])
    return PartialDate.parse(day.isoformat()[:4])


class _Writer:
    """Turns domain events into the log's `NewEvent`s, with the envelope the bus writes."""

    def __init__(self, world: _World) -> None:
        self.w = world

    def event(self, e: Event, record_id: str, command: str) -> tuple[str, NewEvent]:
        name = catalog.type_name(e)
        data = catalog.to_json(e)
        event_id = self.w.uid()
        correlation = self.w.uid()
        metadata = {
            "actor": "synthetic",
            "correlation_id": str(correlation),
            "causation_id": None,
            "idempotency_key": record_id,
            "command": command,
            "command_fingerprint": f"{self.w.rng.getrandbits(64):016x}",
            "record_id": record_id,
            "record": {"confidence": self.w.rng.choice(("high", "high", "medium", "low"))},
        }
        stream = stream_of(e)
        new = NewEvent(
            type=name,
            data=data,
            valid_time=e.valid_time,
            schema_version=catalog.schema_version_of(name),
            metadata=metadata,
            sources=tuple(Source(title=c.title, url=c.url) for c in e.sources),
            actor="synthetic",
            correlation_id=correlation,
            event_id=event_id,
        )
        if name not in ("EventCorrected", "EventRetracted", "StateRegistered"):
            self.w.recent.append((stream, event_id, name, data))
        return stream, new


def _sources(rng: random.Random, what: str) -> tuple[Citation, ...]:
    first = Citation(title=f"Synthetic archive: {what}", url=None)
    if rng.random() < 0.5:
        slug = what.replace("/", "-").replace(" ", "-")
        return (first, Citation(title="Synthetic press release", url=f"https://example.org/{slug}"))
    return (first,)


def _prelude(w: _World, out: _Writer) -> Iterator[Unit]:
    rng = w.rng
    src: tuple[Citation, ...]
    for code, name in STATES.items():
        src = (Citation(title="ISO 3166-1 alpha-2 country codes", url=None),)
        yield [
            out.event(
                states.StateRegistered(valid_time=None, sources=src, code=code, name=name),
                f"state/{code}",
                "RegisterState",
            )
        ]
    founded = PartialDate.parse("2001-06-15")
    src = _sources(rng, "Declaration on the establishment of the SCO")
    yield [
        out.event(
            organization.OrganizationFounded(
                valid_time=founded,
                sources=src,
                organization_id=SCO,
                name="Shanghai Cooperation Organization",
                abbreviation="SCO",
                founded_at="Shanghai",
                founding_members=FOUNDERS,
                founding_document="document/declaration-2001",
                predecessor=None,
            ),
            SCO,
            "FoundOrganization",
        )
    ]
    for code in FOUNDERS:
        w.status[code] = St.FOUNDING_MEMBER
        yield [
            out.event(
                membership.FoundingMemberJoined(
                    valid_time=founded,
                    sources=src,
                    organization_id=SCO,
                    state=code,
                    status_after=St.FOUNDING_MEMBER,
                    meeting=None,
                    document="document/declaration-2001",
                ),
                f"membership/{code}/2001-06-15/founding_member",
                "RecordMembershipChange",
            )
        ]
    for code in STATES:
        w.status.setdefault(code, None)
    councils = (
        (HOS, "Council of Heads of State", bodies.BodyCategory.COUNCIL, None, None),
        (HOG, "Council of Heads of Government", bodies.BodyCategory.COUNCIL, None, None),
        (CFM, "Council of Foreign Ministers", bodies.BodyCategory.COUNCIL, None, None),
        (SECRETARIAT, "Secretariat", bodies.BodyCategory.PERMANENT_BODY, "Beijing", "CN"),
        (RATS, "Regional Anti-Terrorist Structure", bodies.BodyCategory.PERMANENT_BODY,
         "Bishkek", "KG"),
    )  # fmt: skip
    for body_id, name, category, seat, seat_state in councils:
        yield [
            out.event(
                bodies.BodyEstablished(
                    valid_time=founded,
                    sources=src,
                    body_id=body_id,
                    name=name,
                    abbreviation=None,
                    category=category,
                    organization_id=SCO,
                    parent=None,
                    permanence=bodies.Permanence.PERMANENT,
                    seat=seat,
                    seat_state=seat_state,
                    mandate=None,
                    expires_on=None,
                ),
                body_id,
                "RecordBody",
            )
        ]


def _meeting(
    w: _World, out: _Writer, body_id: str, day: dt.date, ordinal: int | None, kind: str
) -> tuple[Unit, str, dt.date]:
    rng = w.rng
    meeting_id = f"meeting/{kind}/{day.year}-{w.n()}"
    host = rng.choice(w.members())
    city = rng.choice(CITIES)
    fmt = rng.choices(FORMATS, (8, 1, 1))[0]
    src = _sources(rng, meeting_id)
    unit: Unit = []
    roll = rng.random()
    end = day + dt.timedelta(days=rng.choice((0, 0, 1, 2)))
    if roll < 0.15:  # scheduled first, then postponed or moved, then held
        unit.append(
            out.event(
                meetings.MeetingScheduled(
                    valid_time=_precise(rng, day),
                    sources=src,
                    meeting_id=meeting_id,
                    body_id=body_id,
                    start_date=PartialDate.parse(day.isoformat()),
                    end_date=PartialDate.parse(end.isoformat()),
                    city=city,
                    host_state=host,
                    format=fmt,
                    ordinal=ordinal,
                    chair=None,
                ),
                meeting_id,
                "ScheduleMeeting",
            )
        )
        if roll < 0.08:
            day = min(day + dt.timedelta(days=rng.randint(10, 60)), dt.date(day.year, 12, 28))
            end = day + dt.timedelta(days=1)
            unit.append(
                out.event(
                    meetings.MeetingPostponed(
                        valid_time=_precise(rng, day),
                        sources=src,
                        meeting_id=meeting_id,
                        new_start_date=PartialDate.parse(day.isoformat()),
                        new_end_date=PartialDate.parse(end.isoformat()),
                    ),
                    meeting_id,
                    "PostponeMeeting",
                )
            )
        else:
            city = rng.choice(CITIES)
            unit.append(
                out.event(
                    meetings.MeetingMoved(
                        valid_time=_precise(rng, day),
                        sources=src,
                        meeting_id=meeting_id,
                        city=city,
                        host_state=host,
                        format=rng.choice(FORMATS),
                    ),
                    meeting_id,
                    "MoveMeeting",
                )
            )
    unit.append(
        out.event(
            meetings.MeetingHeld(
                valid_time=_precise(rng, day),
                sources=src,
                meeting_id=meeting_id,
                body_id=body_id,
                start_date=PartialDate.parse(day.isoformat()),
                end_date=PartialDate.parse(end.isoformat()),
                city=city,
                host_state=host,
                format=fmt,
                ordinal=ordinal,
                chair=host,
                participants=tuple(w.members()),
                documents=(),
            ),
            meeting_id,
            "HoldMeeting",
        )
    )
    return unit, meeting_id, day


def _document(
    w: _World, out: _Writer, meeting_id: str | None, day: dt.date, mandated_by: str | None
) -> list[Unit]:
    rng = w.rng
    document_id = f"document/{day.year}/{rng.choice(SUBJECTS)}-{w.n()}"
    category = rng.choice(CATEGORIES)
    title = f"Synthetic {category.value} on {rng.choice(SUBJECTS)} ({day.year})"
    src = _sources(rng, document_id)
    units: list[Unit] = []
    unit: Unit = []
    if mandated_by is not None and rng.random() < 0.3:
        unit.append(
            out.event(
                documents.DraftingMandated(
                    valid_time=_precise(rng, day - dt.timedelta(days=rng.randint(30, 300))),
                    sources=src,
                    document_id=document_id,
                    title=title,
                    category=category,
                    mandated_by=mandated_by,
                    mandated_to=rng.choice(w.groups).body_id if w.groups else CFM,
                    due_meeting=meeting_id,
                    due_date=None,
                    mandate_document=None,
                ),
                document_id,
                "MandateDrafting",
            )
        )
    members = w.members()
    parties = tuple(sorted(rng.sample(members, rng.randint(2, len(members)))))
    amends = rng.choice(w.documents) if w.documents and rng.random() < 0.05 else None
    unit.append(
        out.event(
            documents.DocumentSigned(
                valid_time=_precise(rng, day),
                sources=src,
                document_id=document_id,
                title=title,
                category=category,
                place=rng.choice(CITIES),
                meeting=meeting_id,
                parties=parties if rng.random() < 0.8 else None,
                founding_parties=(),
                amends=amends,
            ),
            document_id,
            "RecordDocument",
        )
    )
    if amends is not None:
        unit.append(
            out.event(
                documents.DocumentAmended(
                    valid_time=_precise(rng, day),
                    sources=src,
                    document_id=amends,
                    amended_by=document_id,
                ),
                document_id,
                "RecordDocument",
            )
        )
    units.append(unit)
    if rng.random() < 0.45:  # ratified, then in force
        when = day
        for state in parties:
            when = when + dt.timedelta(days=rng.randint(10, 120))
            units.append(
                [
                    out.event(
                        documents.DocumentRatified(
                            valid_time=_precise(rng, when),
                            sources=_sources(rng, f"{document_id} ratification {state}"),
                            document_id=document_id,
                            state=state,
                        ),
                        f"{document_id}/ratification/{state}",
                        "RatifyDocument",
                    )
                ]
            )
        units.append(
            [
                out.event(
                    documents.DocumentEnteredIntoForce(
                        valid_time=_precise(rng, when + dt.timedelta(days=30)),
                        sources=src,
                        document_id=document_id,
                    ),
                    f"{document_id}/in_force",
                    "BringDocumentIntoForce",
                )
            ]
        )
    elif w.documents and rng.random() < 0.02 and w.signed[old := rng.choice(w.documents)] <= day:
        units.append(
            [
                out.event(
                    documents.DocumentSuperseded(
                        valid_time=_precise(rng, day),
                        sources=src,
                        document_id=old,
                        superseded_by=document_id,
                    ),
                    f"{old}/superseded",
                    "SupersedeDocument",
                )
            ]
        )
    w.documents.append(document_id)
    w.signed[document_id] = day
    for gone in w.documents[:-200]:
        del w.signed[gone]
    del w.documents[:-200]
    return units


def _bodies(w: _World, out: _Writer, year: int) -> Iterator[Unit]:
    rng = w.rng
    for _ in range(3):
        day = _day(rng, year)
        subject = rng.choice(SUBJECTS)
        group = _Group(
            f"body/group-{w.n()}", f"Expert group on {subject}", year + rng.randint(3, 8)
        )
        w.groups.append(group)
        yield [
            out.event(
                bodies.ExpertGroupFormed(
                    valid_time=_precise(rng, day),
                    sources=_sources(rng, group.body_id),
                    body_id=group.body_id,
                    name=group.name,
                    abbreviation=None,
                    category=bodies.BodyCategory.EXPERT_GROUP,
                    organization_id=SCO,
                    parent=HOG,
                    permanence=bodies.Permanence.TEMPORARY,
                    seat=None,
                    seat_state=None,
                    mandate=f"Prepare cooperation on {subject}",
                    expires_on=PartialDate.parse(f"{group.expires:04d}"),
                ),
                group.body_id,
                "RecordBody",
            ),
        ]
        # Its director's term.
        term_id = f"office/{group.body_id[5:]}/director-{w.n()}"
        yield [
            out.event(
                offices.OfficeTermRecorded(
                    valid_time=_precise(rng, day),
                    sources=_sources(rng, term_id),
                    term_id=term_id,
                    body_id=group.body_id,
                    office="director",
                    person=f"Person {w.counter}",
                    nationality=rng.choice(w.members()),
                    from_date=PartialDate.parse(day.isoformat()),
                    to_date=PartialDate.parse(f"{group.expires:04d}"),
                ),
                term_id,
                "RecordOfficeTerm",
            )
        ]
    if w.groups:
        g = rng.choice(w.groups)
        name = f"Working group {w.n()}"
        yield [
            out.event(
                bodies.BodyRenamed(
                    valid_time=_precise(rng, _day(rng, year)),
                    sources=_sources(rng, g.body_id),
                    body_id=g.body_id,
                    name=name,
                    abbreviation=None,
                    previous_name=g.name,
                ),
                f"body_change/{g.body_id[5:]}/{year}/renamed",
                "RenameBody",
            )
        ]
        g.name = name
    if rng.random() < 0.3:
        body_id = rng.choice((RATS, SECRETARIAT))
        yield [
            out.event(
                bodies.SeatRelocated(
                    valid_time=_precise(rng, _day(rng, year)),
                    sources=_sources(rng, body_id),
                    body_id=body_id,
                    seat=rng.choice(CITIES),
                    seat_state=rng.choice(w.members()),
                    previous_seat=None,
                ),
                f"body_change/{body_id[5:]}/{year}/seat_relocated",
                "RelocateSeat",
            )
        ]
    for g in [g for g in w.groups if g.expires <= year]:
        w.groups.remove(g)
        yield [
            out.event(
                bodies.BodyDissolved(
                    valid_time=PartialDate.parse(f"{year:04d}"),
                    sources=_sources(rng, g.body_id),
                    body_id=g.body_id,
                ),
                f"body_change/{g.body_id[5:]}/{year}/dissolved",
                "DissolveBody",
            )
        ]


def _secretary(w: _World, out: _Writer, year: int) -> Iterator[Unit]:
    if year % 3:
        return
    rng = w.rng
    day = dt.date(year, 1, rng.randint(1, 28))
    if w.secretary is not None:
        yield [
            out.event(
                offices.OfficeTermEnded(
                    valid_time=PartialDate.parse(day.isoformat()),
                    sources=_sources(rng, w.secretary),
                    term_id=w.secretary,
                ),
                f"{w.secretary}/ended",
                "EndOfficeTerm",
            )
        ]
    w.secretary = f"office/secretariat/secretary-general-{year}"
    yield [
        out.event(
            offices.OfficeTermRecorded(
                valid_time=_precise(rng, day),
                sources=_sources(rng, w.secretary),
                term_id=w.secretary,
                body_id=SECRETARIAT,
                office="secretary_general",
                person=f"Secretary-General {year}",
                nationality=rng.choice(w.members()),
                from_date=PartialDate.parse(day.isoformat()),
                to_date=None,
            ),
            w.secretary,
            "RecordOfficeTerm",
        )
    ]


def _mandates(w: _World, out: _Writer, year: int, declaration: str | None) -> Iterator[Unit]:
    rng = w.rng
    for mandate_id, due in [m for m in w.open_mandates if m[1] <= year]:
        w.open_mandates.remove((mandate_id, due))
        yield [
            out.event(
                mandates.MandateFulfilled(
                    valid_time=_precise(rng, _day(rng, year)),
                    sources=_sources(rng, mandate_id),
                    mandate_id=mandate_id,
                    document=rng.choice(w.documents) if w.documents else None,
                ),
                f"{mandate_id}/fulfilled",
                "FulfilMandate",
            )
        ]
    for _ in range(3):
        if not w.groups:
            break
        mandate_id = f"mandate/{year}/task-{w.n()}"
        due = year + rng.randint(1, 3)
        w.open_mandates.append((mandate_id, due))
        yield [
            out.event(
                mandates.MandateGiven(
                    valid_time=_precise(rng, _day(rng, year)),
                    sources=_sources(rng, mandate_id),
                    mandate_id=mandate_id,
                    by_body=HOS,
                    to_body=rng.choice(w.groups).body_id,
                    task=f"Report on {rng.choice(SUBJECTS)} cooperation",
                    document=declaration,
                    due_meeting=None,
                    due_date=PartialDate.parse(f"{due:04d}") if rng.random() < 0.7 else None,
                ),
                mandate_id,
                "RecordMandate",
            )
        ]


# A state's next step from its current status: (event class, status after), by weight.
_STEPS: dict[St | None, list[tuple[type[membership.MembershipChanged], St | None, int]]] = {
    None: [
        (membership.StatusGranted, St.DIALOGUE_PARTNER, 3),
        (membership.StatusGranted, St.OBSERVER, 2),
    ],
    St.DIALOGUE_PARTNER: [
        (membership.StatusChanged, St.OBSERVER, 3),
        (membership.MembershipEnded, None, 1),
    ],
    St.OBSERVER: [
        (membership.ApplicationFiled, St.OBSERVER, 2),
        (membership.AdmissionProcedureStarted, St.OBSERVER, 2),
        (membership.MemberAdmitted, St.MEMBER, 2),
        (membership.StatusChanged, St.PARTNER, 1),
    ],
    St.PARTNER: [(membership.StatusChanged, St.OBSERVER, 1)],
    St.MEMBER: [
        (membership.MembershipSuspended, St.MEMBER, 1),
        (membership.MemberWithdrew, None, 1),
    ],
}


def _membership(w: _World, out: _Writer, day: dt.date, meeting: str, declaration: str) -> Unit:
    rng = w.rng
    movable = [s for s, v in w.status.items() if s not in FOUNDERS and v in _STEPS]
    state = rng.choice(sorted(movable))
    steps = _STEPS[w.status[state]]
    cls, after, _ = rng.choices(steps, [s[2] for s in steps])[0]
    w.status[state] = after
    e = cls(
        valid_time=_precise(rng, day),
        sources=_sources(rng, f"membership {state} {day.year}"),
        organization_id=SCO,
        state=state,
        status_after=after,
        meeting=meeting,
        document=declaration if rng.random() < 0.6 else None,
    )
    record_id = f"membership/{state}/{day.isoformat()}/{cls.CHANGE.value}"
    return [out.event(e, record_id, "RecordMembershipChange")]


# Corrections: which field of which event type may be corrected, and how.
def _changes(rng: random.Random, name: str, data: dict[str, Any]) -> dict[str, Any] | None:
    if name in ("MeetingHeld", "MeetingScheduled"):
        if rng.random() < 0.5:
            return {"city": rng.choice(CITIES)}
        day = dt.date.fromisoformat(str(data["start_date"])[:10])
        moved = (day + dt.timedelta(days=rng.randint(-3, 3))).isoformat()
        return {"start_date": moved, "end_date": moved}
    if name == "DocumentSigned":
        return {"title": f"{data['title']} (corrected title)"}
    if name == "OfficeTermRecorded":
        return {"person": f"{data['person']} (corrected)"}
    if name == "BodyRenamed":
        return {"name": f"{data['name']} (corrected)"}
    if name == "MandateGiven":
        return {"task": f"{data['task']} (corrected)"}
    return None


def _corrections(w: _World, out: _Writer, year: int, count: int) -> Iterator[Unit]:
    rng = w.rng
    recent = w.recent
    for _ in range(count):
        if not recent:
            return
        stream, event_id, name, data = recent.pop(rng.randrange(len(recent)))
        retract = rng.random() < 0.2 and name in ("MeetingHeld", "DocumentRatified", "MandateGiven")
        src = _sources(rng, f"erratum {year}")
        if retract:
            e: Event = corrections.EventRetracted(
                valid_time=None,
                sources=src,
                stream_id=stream,
                event_id=event_id,
                reason=f"Retracted: not supported by the sources (review of {year})",
            )
        else:
            changes = _changes(rng, name, data)
            if changes is None:
                continue
            e = corrections.EventCorrected(
                valid_time=None,
                sources=src,
                stream_id=stream,
                event_id=event_id,
                reason=f"Corrected after the review of {year}",
                changes=changes,
            )
        yield [out.event(e, f"correction/{year}/{w.n()}", type(e).__name__.replace("Event", ""))]


def _year(w: _World, out: _Writer, year: int) -> Iterator[Unit]:
    rng = w.rng
    w.recent.clear()
    summit_day = _day(rng, year, 5, 10)
    unit, summit, summit_day = _meeting(w, out, HOS, summit_day, year - 2000, "heads_of_state")
    yield unit
    declaration = None
    for i in range(4):
        for u in _document(w, out, summit, summit_day, HOS):
            if i == 0 and declaration is None:
                declaration = u[0][1].data.get("document_id")
            yield u
    assert declaration is not None
    for body_id, kind, docs in ((HOG, "heads_of_government", 3), (CFM, "foreign_ministers", 2)):
        day = _day(rng, year)
        unit, meeting_id, day = _meeting(w, out, body_id, day, None, kind)
        yield unit
        for _ in range(docs):
            yield from _document(w, out, meeting_id, day, body_id)
    for _ in range(GROUP_MEETINGS):
        if not w.groups:
            break
        g = rng.choice(w.groups)
        day = _day(rng, year)
        unit, meeting_id, day = _meeting(w, out, g.body_id, day, None, g.body_id[5:])
        yield unit
        if rng.random() < 0.4:
            yield from _document(w, out, meeting_id, day, None)
    for _ in range(rng.randint(1, 2)):
        yield _membership(w, out, summit_day, summit, declaration)
    yield from _bodies(w, out, year)
    yield from _secretary(w, out, year)
    yield from _mandates(w, out, year, declaration)
    n = len(w.recent)
    yield from _corrections(w, out, year, max(1, round(n * 0.025)))


def generate(events: int, seed: int = SEED) -> Iterator[Unit]:
    """The units (records) of a synthetic history of exactly `events` events, in log order."""
    w = _World(random.Random(seed))
    out = _Writer(w)
    produced = 0

    def years() -> Iterator[Unit]:
        yield from _prelude(w, out)
        year = 2002
        while True:
            yield from _year(w, out, year)
            year += 1
            if year > 9999:
                raise ValueError(f"{events} events do not fit before the year 10000")

    for unit in years():
        if produced + len(unit) > events:
            unit = unit[: events - produced]
        if unit:
            yield unit
        produced += len(unit)
        if produced >= events:
            return


def simulated_clock(start: dt.datetime | None = None) -> Callable[[], dt.datetime]:
    """A clock for the appends: one simulated second per call from 2026-01-01 (so the log's
    record times, and so its hashes, do not depend on when it was generated)."""
    now = [start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]

    def clock() -> dt.datetime:
        now[0] += dt.timedelta(seconds=1)
        return now[0]

    return clock


async def fill(
    store: Any, events: int, seed: int = SEED, *, log: Callable[[str], None] | None = None
) -> int:
    """Append the synthetic history of `events` events to an empty `store`, in calls of
    about APPEND_EVENTS events (`append_batch`, guarded by the head); returns the head."""
    head = await store.head_position()
    if head:
        raise ValueError(f"the log is not empty (head {head})")
    pending: list[AppendUnit] = []
    size = 0
    for unit in generate(events, seed):
        by_stream: dict[str, list[NewEvent]] = {}
        for stream, e in unit:
            by_stream.setdefault(stream, []).append(e)
        pending.append(
            AppendUnit([StreamAppend(s, es, StreamState.ANY) for s, es in by_stream.items()])
        )
        size += len(unit)
        if size >= APPEND_EVENTS:
            results = await store.append_batch(pending, expected_head=head)
            head = results[-1].last_position
            pending, size = [], 0
            if log is not None and head % 100_000 < APPEND_EVENTS:
                log(f"  generated {head:,} of {events:,} events")
    if pending:
        results = await store.append_batch(pending, expected_head=head)
        head = results[-1].last_position
    return int(head)


async def _build_sqlite(
    path: Path, events: int, seed: int, log: Callable[[str], None] | None
) -> None:
    from sco_registry.db import create_engine, migrate
    from sco_registry.store.sql import SqlEventStore

    url = f"sqlite+aiosqlite:///{path}"
    await migrate(url)
    store = SqlEventStore(create_engine(url), clock=simulated_clock())
    try:
        head = await fill(store, events, seed, log=log)
        assert head == events, (head, events)
    finally:
        await store.close()


def cached_sqlite(
    events: int, seed: int = SEED, *, log: Callable[[str], None] | None = None
) -> Path:
    """The cached SQLite log of `events` synthetic events (generated on first use)."""
    path = cache_path(events, seed)
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    if log is not None:
        log(f"generating the synthetic log of {events:,} events into {path}")
    asyncio.run(_build_sqlite(partial, events, seed, log))
    # Fold the WAL into the file so that the file alone is the log, then move it in place.
    with contextlib.closing(sqlite3.connect(partial)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    return path
