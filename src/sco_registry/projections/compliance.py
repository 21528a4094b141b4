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
did not change cannot change a finding), it evaluates the findings that change can reach
and compares them with the current ones (`bitemporal.sync`): a finding that no longer
holds is closed (`recorded_to` = the event's position), a new one opened. What a change
can reach (`_Model`): the findings are in groups (the annual meeting, each rotating body's
rotation under its three readings, the admissions, the Charter), each a scope of
`compliance_findings` by norm and body, and within a group the years the change touches
(a meeting's year, a member term's start and every year after it for rotation, the years
reported when the last one moves); only those are evaluated (`domain/norms.py`'s own rules,
over the group's facts) and compared. The facts of every stream are kept in memory per
unit of work (`unit.py`: a page of a rebuild, an append), read once. The groups together
are `norms.evaluate_all`: `tests/integration/projections/test_compliance_incremental.py`
checks the findings known at every position of three histories against it. Events of
other streams change nothing.

Read functions take `known_at` (a log position; None: now).
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
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
    # 2: findings synced per norm group and year (other ordinals than 1's whole-table sync).
    version = 2

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
        model = _Model.of(conn, known)
        known.put(conn, event.stream_id, now, new=event.stream_version == 1)
        if not now and not before:
            return  # no facts before or after (`{}` adds nothing to `norm_facts`)
        used = 0
        for scope, where, found in model.change(event.stream_id, before or {}, now):
            used += bitemporal.sync(
                conn,
                findings,
                scope=scope,
                content=CONTENT,
                derived=[finding_columns(f) for f in found],
                event=event,
                where=where,
                ordinal_base=used,
            )


_DEFAULTS = norms.NormFacts(None)
HEADS_OF_STATE = _DEFAULTS.heads_of_state_body
ROTATING = _DEFAULTS.rotating_bodies
ANNUAL, ROTATION = "annual_heads_of_state_meeting", "rotation"
ADMISSION, CHARTER = "admission_by_consensus", "charter_signed_2002"
Where = Callable[[Mapping[Any, Any]], bool] | None
Group = tuple[dict[str, str], Where, list[norms.Finding]]


def _in_years(years: set[int]) -> Where:
    return lambda row: row["year"] in years


def _from_year(first: int) -> Where:
    return lambda row: row["year"] >= first


class _Model:
    """`norm_facts` kept up to date stream by stream, and the findings a change of one
    stream's facts can change: the findings are evaluated per *group* (the annual meeting,
    each rotating body's rotation under its three readings, the admissions, the Charter:
    one scope of `compliance_findings` each, by norm and body) and, within a group, only
    the years a change can reach. What a group's findings depend on (`domain/norms.py`):

    * annual: the heads of state's meetings of a year, and the years reported (from the
      founding to the last year with a meeting or an admission: `last`);
    * rotation of a body: the body's meetings up to the meeting, and the members on each
      meeting's date; so a change reaches the body's findings from the earliest year it
      touches (a meeting's old or new year; a member term's start) on;
    * admissions: the admissions of a year, and the years reported;
    * Charter: the signed charters, the meeting each names, and `last`.

    The founding changes everything (each group is evaluated whole). The findings of all
    groups together are `norms.evaluate_all`'s (the compliance tests compare them, at every
    position of a history)."""

    def __init__(self, every: Mapping[str, Mapping[str, Any]]) -> None:
        self.founded: PartialDate | None = None
        self.held: dict[str, norms.HeldMeeting] = {}  # every held meeting, by stream
        self.by_body: dict[str, dict[str, norms.HeldMeeting]] = {
            b: {} for b in {HEADS_OF_STATE, *ROTATING}
        }
        self.years: Counter[int] = Counter()  # of held meetings and admissions
        self.terms: dict[str, list[norms.MemberTerm]] = {}
        self.admitted: dict[str, list[norms.Admission]] = {}
        self.charters: dict[str, norms.SignedDocument] = {}
        for stream_id, facts in every.items():
            self._add(stream_id, facts, 1)

    @classmethod
    def of(cls, conn: Connection, known: _Facts) -> _Model:
        """The model of every stream's facts but the event's own change (yet to be put)."""
        buffer = unit.active(conn)
        if buffer is None:
            return cls(known.every(conn))
        found = buffer.memo.get(("compliance.model", known.table))
        if found is None:
            found = buffer.memo[("compliance.model", known.table)] = cls(known.every(conn))
        return found

    # -- the facts ------------------------------------------------------------------------

    def _add(self, stream_id: str, f: Mapping[str, Any], sign: int) -> None:
        """Add (`sign` 1) or take away (-1) the contribution of one stream's facts."""
        parse = _parse
        if stream_id == ORGANIZATION:
            founded = f.get("founded_on")
            self.founded = parse(founded) if sign > 0 and founded is not None else None
            return
        if "meeting" in f:
            m = f["meeting"]
            held = norms.HeldMeeting(
                stream_id, m["body_id"], parse(m["start_date"]), m["host_state"]
            )
            self._count(held.start_date.year, sign)
            body = self.by_body.get(held.body_id)
            if sign > 0:
                self.held[stream_id] = held
                if body is not None:
                    body[stream_id] = held
            else:
                self.held.pop(stream_id, None)
                if body is not None:
                    body.pop(stream_id, None)
        code = stream_id.removeprefix("membership/")
        if "terms" in f:
            terms = [
                norms.MemberTerm(code, parse(a), None if b is None else parse(b))
                for a, b in f["terms"]
            ]
            self._put(self.terms, stream_id, terms, sign)
        if "admissions" in f:
            admitted = [
                norms.Admission(code, parse(a["date"]), a["meeting"], a["document"], stream_id)
                for a in f["admissions"]
            ]
            for a in admitted:
                self._count(a.date.year, sign)
            self._put(self.admitted, stream_id, admitted, sign)
        if "document" in f and f["document"]["category"] == "charter":
            d = f["document"]
            if sign > 0:
                self.charters[stream_id] = norms.SignedDocument(
                    stream_id, d["category"], parse(d["signed_on"]), d["meeting"]
                )
            else:
                self.charters.pop(stream_id, None)

    @staticmethod
    def _put(into: dict[str, Any], stream_id: str, value: list[Any], sign: int) -> None:
        if sign > 0 and value:
            into[stream_id] = value
        else:
            into.pop(stream_id, None)

    def _count(self, year: int, sign: int) -> None:
        self.years[year] += sign
        if self.years[year] <= 0:
            del self.years[year]

    def last(self) -> int | None:
        if self.founded is None:
            return None
        return max(self.founded.year, *self.years) if self.years else self.founded.year

    # -- a change -------------------------------------------------------------------------

    def change(
        self, stream_id: str, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> list[Group]:
        """Apply one stream's change of facts; the groups (scope, part, findings) to sync."""
        last_before = self.last()
        self._add(stream_id, before, -1)
        self._add(stream_id, after, 1)
        if self.founded is None or stream_id == ORGANIZATION:
            return self._whole()
        first, last = self.founded.year, self.last()
        assert last is not None and last_before is not None
        annual: set[int] = set()
        admission: set[int] = set()
        rotation: dict[str, int] = {}
        charter = False
        if last != last_before:
            reach = set(range(min(last, last_before) + 1, max(last, last_before) + 1))
            annual |= reach
            admission |= reach
            charter = True
        named = {c.meeting for c in self.charters.values()}
        for f in (before, after):
            if "meeting" in f:
                m = f["meeting"]
                year = _parse(m["start_date"]).year
                if m["body_id"] == HEADS_OF_STATE:
                    annual.add(year)
                if m["body_id"] in ROTATING:
                    rotation[m["body_id"]] = min(year, rotation.get(m["body_id"], year))
                charter = charter or stream_id in named
            if "document" in f and f["document"]["category"] == "charter":
                charter = True
        terms = _sym({tuple(t) for t in before.get("terms", [])}, after.get("terms", []))
        if terms:
            start = min(_parse(since).year for since, _ in terms)
            for body in ROTATING:
                rotation[body] = min(start, rotation.get(body, start))
        admissions = _sym(
            {_key(a) for a in before.get("admissions", [])},
            [_key(a) for a in after.get("admissions", [])],
        )
        admission |= {_parse(date).year for date, _, _ in admissions}
        groups: list[Group] = []
        if annual:
            years = {y for y in annual if first <= y <= last}
            groups.append(({"norm": ANNUAL}, _in_years(annual), self._annual(years)))
        for body in ROTATING:
            if body in rotation:
                since = rotation[body]
                found = [f for f in self._rotation(body) if f.year >= since]
                groups.append(({"norm": ROTATION, "body": body}, _from_year(since), found))
        if admission:
            years = {y for y in admission if first <= y <= last}
            groups.append(({"norm": ADMISSION}, _in_years(admission), self._admissions(years)))
        if charter:
            groups.append(({"norm": CHARTER}, None, self._charter()))
        return groups

    def _whole(self) -> list[Group]:
        """Every group, whole (after a change of the founding; none without one)."""
        groups: list[Group] = []
        founded, last = self.founded, self.last()
        years = set() if founded is None or last is None else set(range(founded.year, last + 1))
        groups.append(({"norm": ANNUAL}, None, self._annual(years) if years else []))
        groups.append(({"norm": ADMISSION}, None, self._admissions(years) if years else []))
        for body in ROTATING:
            found = [] if founded is None else self._rotation(body)
            groups.append(({"norm": ROTATION, "body": body}, None, found))
        groups.append(({"norm": CHARTER}, None, [] if founded is None else self._charter()))
        return groups

    # -- the groups' findings (`domain/norms.py`'s rules over the group's facts) ----------

    def _facts(self, **parts: Any) -> norms.NormFacts:
        return norms.NormFacts(founded_on=self.founded, organization_id=ORGANIZATION, **parts)

    @staticmethod
    def _sorted(by_stream: Mapping[str, Any]) -> list[Any]:
        return [by_stream[s] for s in sorted(by_stream)]

    def _annual(self, years: set[int]) -> list[norms.Finding]:
        facts = self._facts(meetings=tuple(self._sorted(self.by_body[HEADS_OF_STATE])))
        return [f for y in sorted(years) for f in norms.annual(facts, y, y)]

    def _rotation(self, body: str) -> list[norms.Finding]:
        members = tuple(t for terms in self._sorted(self.terms) for t in terms)
        facts = self._facts(
            meetings=tuple(self._sorted(self.by_body[body])),
            members=members,
            rotating_bodies=(body,),
        )
        return norms.rotation_all(facts)

    def _admissions(self, years: set[int]) -> list[norms.Finding]:
        admitted = tuple(a for found in self._sorted(self.admitted) for a in found)
        facts = self._facts(admissions=admitted)
        return [f for y in sorted(years) for f in norms.admissions(facts, y, y)]

    def _charter(self) -> list[norms.Finding]:
        last = self.last()
        assert last is not None
        charters = tuple(self._sorted(self.charters))
        named = {c.meeting for c in charters if c.meeting}
        meetings = tuple(self.held[m] for m in sorted(named) if m in self.held)
        return norms.charter(self._facts(meetings=meetings, documents=charters), last)


def _key(a: Mapping[str, Any]) -> tuple[Any, ...]:
    return (a["date"], a["meeting"], a["document"])


def _sym(before: set[tuple[Any, ...]], after: Sequence[Any]) -> set[tuple[Any, ...]]:
    """The items in one of `before` and `after` but not in both (as tuples)."""
    return before ^ {tuple(a) for a in after}


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
