"""The compliance read model: the declaration's norms per year and body, each finding under
a named reading, with the facts behind it.

The rules are `domain/norms.py`'s (pure; `evaluate_all` reports every norm under every
reading, `READINGS` names and states them); this model gathers the facts they are evaluated
over and keeps the findings with both times.

How the rows are made. The facts come from four families of streams: meetings (a held
meeting: body, date, host), memberships (the organization's member terms and admissions),
documents (signed ones: category, date, meeting) and the organization (its founding). The
projection keeps those streams as recorded (`compliance_events`) and, per stream, the facts
its fold gives now (`compliance_facts`, one JSON row per stream; `folding.fold`, so
corrections and retractions apply as everywhere). On every event of such a stream it
refolds that stream only; when its facts changed (and only then: most events of those
streams, a meeting scheduled or a document drafted, change no norm fact, and facts that
did not change cannot change a finding), it *recomputes every finding* from all the
streams' facts and compares them with the current findings (`bitemporal.sync`): a finding
that no longer holds is closed (`recorded_to` = the event's position), a new one opened.
The choice: the findings are few (one per year and norm and reading, one per rotating
meeting and reading: about a hundred over the bundled history) and the facts one small row
per stream, so recomputing is cheap and cannot drift from the rules, where an incremental
evaluation would repeat them. Its cost grows with the history, though (every fact and
finding is read per change): see docs/architecture.md for what it costs. Events of other
streams change nothing.

Read functions take `known_at` (a log position; None: now).
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import catalog, documents, meetings, membership, norms, organization
from sco_registry.domain.folding import StoredEvent, fold
from sco_registry.domain.membership import MembershipChange
from sco_registry.domain.periods import RecordPeriod, record_time_sql
from sco_registry.domain.time import PartialDate
from sco_registry.projections import bitemporal, statements, streams, unit
from sco_registry.projections.base import Position, Projection, Tables, metadata
from sco_registry.store.base import RecordedEvent

EVENTS = "compliance_events"
FACTS = "compliance_facts"
FINDINGS = "compliance_findings"
ORGANIZATION = "organization/sco"
_FAMILIES = ("meeting/", "membership/", "document/")
_JOINED = frozenset({MembershipChange.FOUNDING_MEMBER, MembershipChange.ADMITTED})
_LEFT = frozenset({MembershipChange.WITHDREW, MembershipChange.ENDED})

_STORED = ("event_id", "event_type", "data")
CONTENT = (
    "norm",
    "reading",
    "article",
    "year",
    "body",
    "outcome",
    "explanation",
    "evidence",
)


def relevant(stream_id: str) -> bool:
    return stream_id == ORGANIZATION or stream_id.startswith(_FAMILIES)


class ComplianceProjection(Projection):
    name = "compliance"
    version = 1

    @classmethod
    def define(cls, target: sa.MetaData, suffix: str = "") -> Tables:
        events = sa.Table(
            EVENTS + suffix,
            target,
            sa.Column("position", Position, primary_key=True, autoincrement=False),
            sa.Column("stream_id", sa.Text(), nullable=False),
            sa.Column("event_id", sa.Text(), nullable=False),
            sa.Column("event_type", sa.Text(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Index(f"ix_{EVENTS}{suffix}_stream_id", "stream_id"),
        )
        facts = sa.Table(
            FACTS + suffix,
            target,
            sa.Column("stream_id", sa.Text(), primary_key=True),
            sa.Column("facts", sa.JSON(), nullable=False),
        )
        findings = sa.Table(
            FINDINGS + suffix,
            target,
            sa.Column("recorded_from", Position, primary_key=True, autoincrement=False),
            sa.Column("ordinal", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("recorded_to", Position, nullable=True),
            sa.Column("recorded_at", sa.Text(), nullable=False),
            sa.Column("norm", sa.Text(), nullable=False),
            sa.Column("reading", sa.Text(), nullable=False),
            sa.Column("article", sa.Text(), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("outcome", sa.Text(), nullable=False),
            sa.Column("explanation", sa.Text(), nullable=False),
            sa.Column("evidence", sa.JSON(), nullable=False),
            sa.Index(f"ix_{FINDINGS}{suffix}_year_body", "year", "body"),
        )
        return {EVENTS: events, FACTS: facts, FINDINGS: findings}

    def apply(self, conn: Connection, tables: Tables, event: RecordedEvent) -> None:
        if not relevant(event.stream_id):
            return
        events, facts, findings = tables[EVENTS], tables[FACTS], tables[FINDINGS]
        data = catalog.upcast(event.type, event.schema_version, event.data)
        stream = streams.keep(
            conn, events, ("stream_id", event.stream_id), event, {"data": data}, _STORED
        )
        stored = [StoredEvent(uuid.UUID(i), t, d) for i, t, d in stream]
        now = stream_facts(event.stream_id, stored)
        known = _Facts.of(conn, facts)
        if event.stream_version == 1:
            before = None  # a new stream: no facts row yet
        else:
            before = known.get(conn, event.stream_id)
            if before == now:
                return  # the stream's facts as they were: so are the findings
        known.put(conn, event.stream_id, now, new=event.stream_version == 1)
        if not now and not before:
            return  # no facts before or after (`{}` adds nothing to `norm_facts`)
        gathered = norm_facts(known.every(conn))
        bitemporal.sync(
            conn,
            findings,
            scope={},
            content=CONTENT,
            derived=[finding_columns(f) for f in norms.evaluate_all(gathered)],
            event=event,
        )


class _Facts:
    """The `compliance_facts` table: read and written at once, or, under a unit
    (`unit.py`), through it: each stream's facts read at most once, every stream's at most
    once, the changed ones written at `flush` (a delete and an insert each, as at once)."""

    def __init__(self, table: sa.Table, buffered: bool) -> None:
        self.table = table
        self.buffered = buffered
        self.known: dict[str, Any] = {}
        self.complete = False
        self.changed: dict[str, Any] = {}

    @classmethod
    def of(cls, conn: Connection, table: sa.Table) -> _Facts:
        buffer = unit.active(conn)
        if buffer is None:
            return cls(table, False)
        found = buffer.memo.get(("compliance.facts", table))
        if found is None:
            found = buffer.memo[("compliance.facts", table)] = cls(table, True)
            buffer.on_flush(found.flush)
        return found

    def get(self, conn: Connection, stream_id: str) -> Any:
        if stream_id in self.known:
            return self.known[stream_id]
        if self.complete:
            return None
        key = {"w_stream_id": stream_id}
        found = conn.execute(statements.cached(self.table, "facts", _facts_of), key).scalar()
        if self.buffered:
            self.known[stream_id] = found
        return found

    def put(self, conn: Connection, stream_id: str, facts: Any, *, new: bool) -> None:
        if self.buffered:
            self.known[stream_id] = self.changed[stream_id] = facts
            return
        if not new:
            conn.execute(
                statements.cached(self.table, "delete", _delete), {"w_stream_id": stream_id}
            )
        conn.execute(statements.insert(self.table), {"stream_id": stream_id, "facts": facts})

    def every(self, conn: Connection) -> dict[str, Any]:
        """Every stream's facts, by stream id."""
        if self.buffered and self.complete:
            return self.known
        every = statements.cached(self.table, "all", lambda t: sa.select(t.c.stream_id, t.c.facts))
        found = {r[0]: r[1] for r in conn.execute(every)}
        if not self.buffered:
            return found
        found.update(self.changed)
        self.known, self.complete = found, True
        return found

    def flush(self, conn: Connection) -> None:
        if not self.changed:
            return
        conn.execute(
            statements.cached(self.table, "delete", _delete),
            [{"w_stream_id": s} for s in self.changed],
        )
        conn.execute(
            statements.insert(self.table),
            [{"stream_id": s, "facts": f} for s, f in self.changed.items()],
        )


def _facts_of(facts: sa.Table) -> sa.Select[Any]:
    return sa.select(facts.c.facts).where(facts.c.stream_id == sa.bindparam("w_stream_id"))


def _delete(facts: sa.Table) -> sa.Delete:
    return facts.delete().where(facts.c.stream_id == sa.bindparam("w_stream_id"))


LIVE: Tables = ComplianceProjection.define(metadata)
ComplianceProjection.tables = LIVE


def _date(value: PartialDate | None) -> str | None:
    return None if value is None else str(value)


def stream_facts(stream_id: str, stored: Sequence[StoredEvent]) -> dict[str, Any]:
    """The norm facts one stream holds now (JSON): `{}` where it holds none."""
    if stream_id == ORGANIZATION:
        org = fold(organization.evolve, organization.OrganizationState(), stored)
        return {"founded_on": _date(org.founded_on)}
    if stream_id.startswith("meeting/"):
        m = fold(meetings.evolve, meetings.MeetingState(), stored)
        if m.phase is meetings.MeetingPhase.HELD and m.body_id and m.start_date:
            return {
                "meeting": {
                    "body_id": m.body_id,
                    "start_date": str(m.start_date),
                    "host_state": m.host_state,
                }
            }
        return {}
    if stream_id.startswith("membership/"):
        ms = fold(membership.evolve, membership.MembershipState(), stored)
        mine = [c for c in ms.changes if c.organization_id == ORGANIZATION and c.date]
        terms: list[list[str | None]] = []
        admissions: list[dict[str, str | None]] = []
        since: PartialDate | None = None
        for c in sorted(mine, key=lambda c: c.date.sort_key if c.date else ()):
            assert c.date is not None
            if c.change in _JOINED and since is None:
                since = c.date
            elif c.change in _LEFT and since is not None:
                terms.append([str(since), str(c.date)])
                since = None
            if c.change is MembershipChange.ADMITTED:
                admissions.append(
                    {"date": str(c.date), "meeting": c.meeting, "document": c.document}
                )
        if since is not None:
            terms.append([str(since), None])
        return {"terms": terms, "admissions": admissions} if terms or admissions else {}
    if stream_id.startswith("document/"):
        d = fold(documents.evolve, documents.DocumentState(), stored)
        if d.signed and d.signed_on is not None and d.category is not None:
            return {
                "document": {
                    "category": str(d.category),
                    "signed_on": str(d.signed_on),
                    "meeting": d.meeting,
                }
            }
        return {}
    return {}


# The same few thousand dates are parsed on every recompute; a PartialDate is immutable.
_parse = functools.lru_cache(maxsize=1 << 16)(PartialDate.parse)


def norm_facts(by_stream: Mapping[str, Mapping[str, Any]]) -> norms.NormFacts:
    """`domain/norms.py`'s facts from every stream's facts (`stream_facts`), by stream id."""
    held: list[norms.HeldMeeting] = []
    members: list[norms.MemberTerm] = []
    admissions: list[norms.Admission] = []
    signed: list[norms.SignedDocument] = []
    parse = _parse
    for stream_id in sorted(by_stream):
        f = by_stream[stream_id]
        if "meeting" in f:
            m = f["meeting"]
            held.append(
                norms.HeldMeeting(stream_id, m["body_id"], parse(m["start_date"]), m["host_state"])
            )
        code = stream_id.removeprefix("membership/")
        for since, until in f.get("terms", []):
            members.append(
                norms.MemberTerm(code, parse(since), None if until is None else parse(until))
            )
        for a in f.get("admissions", []):
            admissions.append(
                norms.Admission(code, parse(a["date"]), a["meeting"], a["document"], stream_id)
            )
        if "document" in f:
            d = f["document"]
            signed.append(
                norms.SignedDocument(stream_id, d["category"], parse(d["signed_on"]), d["meeting"])
            )
    founded = by_stream.get(ORGANIZATION, {}).get("founded_on")
    return norms.NormFacts(
        founded_on=None if founded is None else parse(founded),
        meetings=tuple(held),
        members=tuple(members),
        admissions=tuple(admissions),
        documents=tuple(signed),
        organization_id=ORGANIZATION,
    )


def finding_columns(f: norms.Finding) -> dict[str, Any]:
    return {
        "norm": f.norm,
        "reading": f.reading,
        "article": f.article,
        "year": f.year,
        "body": f.body,
        "outcome": str(f.status),
        "explanation": f.explanation,
        "evidence": list(f.evidence),
    }


# --- read functions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplianceFinding:
    """A finding under a named reading, with the streams (facts) behind it."""

    norm: str
    reading: str
    reading_text: str
    article: str
    year: int
    body: str
    outcome: norms.FindingStatus
    explanation: str
    evidence: tuple[str, ...]
    record: RecordPeriod
    recorded_at: str
    standing: bool  # under the norm's standing reading (what `evaluate` reports)

    def as_finding(self) -> norms.Finding:
        return norms.Finding(
            self.norm,
            self.article,
            self.year,
            self.body,
            self.outcome,
            self.explanation,
            self.evidence,
            self.reading,
        )


def _standing() -> dict[str, str]:
    first: dict[str, str] = {}
    for norm, reading in norms.READINGS:
        first.setdefault(norm, reading)
    return first


def findings(
    conn: Connection,
    year: int | None = None,
    body: str | None = None,
    rule: str | None = None,
    outcome: norms.FindingStatus | str | None = None,
    known_at: int | None = None,
    *,
    reading: str | None = None,
    standing_only: bool = False,
    tables: Tables | None = None,
) -> list[ComplianceFinding]:
    """The findings as known at `known_at` (None: now), in (year, body, norm, reading,
    evidence) order; `rule` is a norm's code, `reading` one of its readings' names,
    `standing_only` keeps each norm's standing reading (the answers `evaluate` gives)."""
    table = (tables or LIVE)[FINDINGS]
    query = sa.select(table)
    if known_at is None:
        query = query.where(table.c.recorded_to.is_(None))
    else:
        query = query.where(sa.text(record_time_sql(table.name)).bindparams(position=known_at))
    for column, value in (
        (table.c.year, year),
        (table.c.body, body),
        (table.c.norm, rule),
        (table.c.reading, reading),
        (table.c.outcome, None if outcome is None else str(outcome)),
    ):
        if value is not None:
            query = query.where(column == value)
    standing = _standing()
    out = []
    for m in conn.execute(query).mappings():
        is_standing = standing.get(m["norm"]) == m["reading"]
        if standing_only and not is_standing:
            continue
        out.append(
            ComplianceFinding(
                norm=m["norm"],
                reading=m["reading"],
                reading_text=norms.READINGS.get((m["norm"], m["reading"]), ""),
                article=m["article"],
                year=int(m["year"]),
                body=m["body"],
                outcome=norms.FindingStatus(m["outcome"]),
                explanation=m["explanation"],
                evidence=tuple(m["evidence"]),
                record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
                recorded_at=m["recorded_at"],
                standing=is_standing,
            )
        )
    return sorted(out, key=lambda f: (f.year, f.body, f.norm, f.reading, f.evidence))


def by_reading(
    found: Sequence[ComplianceFinding],
) -> dict[tuple[str, str], list[ComplianceFinding]]:
    """The findings grouped by (norm, reading)."""
    groups: dict[tuple[str, str], list[ComplianceFinding]] = defaultdict(list)
    for f in found:
        groups[(f.norm, f.reading)].append(f)
    return dict(groups)
