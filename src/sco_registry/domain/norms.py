"""The declaration's norms, evaluated and never enforced: a pure function over facts that
reports, per year and body, where history met or departed from them.

Norms (code, article):

* `annual_heads_of_state_meeting` (Art. 3): each year from the founding on, at least one
  meeting of the Council of Heads of State held (a year-only date counts for its year).
* `rotation` (Art. 3), for each council in `NormFacts.rotating_bodies`: a meeting departs
  when its host hosts again before every other state that is a member on the meeting's date
  has hosted since the host's previous turn (consecutive hosting is the plainest case). A
  host's first turn meets the norm; a meeting without a recorded host is not applicable.
* `admission_by_consensus` (Art. 7): an admission meets the norm when its decision is
  recorded (a meeting or a document); without one it departs. Years without admissions are
  not applicable.
* `charter_signed_2002` (final part): the Charter (category `charter`) signed at a held
  heads-of-state meeting of 2002; signed otherwise, or not at all, departs.

A norm's reading is stated: every finding names the reading it was made under
(`Finding.reading`, described in `READINGS`). `evaluate` reports each norm under its
standing reading (the one above); `evaluate_all` adds the other readings of rotation:

* `no_consecutive_host`: no state hosts two meetings in a row (a meeting departs when its
  host hosted the body's previous meeting; a first meeting, or one after a meeting without
  a recorded host, meets it).
* `cycle`: within a cycle every member hosts once before any hosts again; new members join
  at the next cycle. A cycle opens with a meeting and its members are the members on that
  day; it closes when each of them still a member has hosted. A host that already hosted in
  the open cycle departs (the cycle is cut short and a new one opens with that meeting), as
  does a host that was not a member when the cycle opened (it joins at the next cycle).
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from sco_registry.domain.time import PartialDate


class FindingStatus(enum.StrEnum):
    MET = "met"
    DEPARTED = "departed"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Finding:
    norm: str
    article: str
    year: int
    body: str
    status: FindingStatus
    explanation: str
    evidence: tuple[str, ...] = ()
    reading: str = ""


# The readings: (norm, reading) -> what it says. The first of a norm's readings is its
# standing one (`evaluate`); `evaluate_all` reports every reading.
ANNUAL = "one_per_calendar_year"
EVERY_MEMBER_BETWEEN_TURNS = "every_member_between_turns"
NO_CONSECUTIVE_HOST = "no_consecutive_host"
CYCLE = "cycle"
DECISION_RECORDED = "decision_recorded"
SIGNED_AT_2002_SUMMIT = "signed_at_2002_heads_of_state_meeting"
READINGS: dict[tuple[str, str], str] = {
    ("annual_heads_of_state_meeting", ANNUAL): (
        "at least one meeting of the Council of Heads of State in each calendar year "
        "from the founding on"
    ),
    ("rotation", EVERY_MEMBER_BETWEEN_TURNS): (
        "a state hosts again only after every other member on the day has hosted since "
        "its previous turn"
    ),
    ("rotation", NO_CONSECUTIVE_HOST): "no state hosts two meetings in a row",
    ("rotation", CYCLE): (
        "within a cycle every member hosts once before any hosts again; new members join "
        "at the next cycle"
    ),
    ("admission_by_consensus", DECISION_RECORDED): (
        "an admission is decided by a recorded meeting or document"
    ),
    ("charter_signed_2002", SIGNED_AT_2002_SUMMIT): (
        "the Charter is signed at a heads-of-state meeting held in 2002"
    ),
}


@dataclass(frozen=True, slots=True)
class HeldMeeting:
    meeting_id: str
    body_id: str
    start_date: PartialDate
    host_state: str | None


@dataclass(frozen=True, slots=True)
class MemberTerm:
    """A state's membership of the organization: from admission (or founding) to its end."""

    state: str
    since: PartialDate
    until: PartialDate | None = None

    def covers(self, date: PartialDate) -> bool:
        # A rule is broken only when dates prove it: a member "possibly" on the date counts.
        started = self.since.lower <= date.upper
        return started and (self.until is None or not self.until.definitely_before(date))


@dataclass(frozen=True, slots=True)
class Admission:
    state: str
    date: PartialDate
    meeting: str | None
    document: str | None
    evidence: str  # the stream (or record) that holds the admission


@dataclass(frozen=True, slots=True)
class SignedDocument:
    document_id: str
    category: str
    signed_on: PartialDate
    meeting: str | None


@dataclass(frozen=True, slots=True)
class NormFacts:
    founded_on: PartialDate | None
    meetings: tuple[HeldMeeting, ...] = ()
    members: tuple[MemberTerm, ...] = ()
    admissions: tuple[Admission, ...] = ()
    documents: tuple[SignedDocument, ...] = ()
    until_year: int | None = None  # the last year to report; default: the last year with facts
    organization_id: str = "organization/sco"
    heads_of_state_body: str = "body/heads_of_state_council"
    rotating_bodies: tuple[str, ...] = (
        "body/heads_of_state_council",
        "body/heads_of_government_council",
    )


def evaluate(facts: NormFacts) -> list[Finding]:
    if facts.founded_on is None:
        return []
    first = facts.founded_on.year
    years = [m.start_date.year for m in facts.meetings] + [a.date.year for a in facts.admissions]
    last = facts.until_year or max([first, *years])
    findings = [
        *_annual(facts, first, last),
        *_rotation(facts),
        *_admissions(facts, first, last),
        *_charter(facts, last),
    ]
    return sorted(findings, key=_order)


def evaluate_all(facts: NormFacts) -> list[Finding]:
    """Every norm under every reading: `evaluate`'s findings and rotation's other readings."""
    if facts.founded_on is None:
        return []
    findings = [*evaluate(facts), *_no_consecutive_host(facts), *_cycle(facts)]
    return sorted(findings, key=_order)


def _order(f: Finding) -> tuple[int, str, str, str, tuple[str, ...]]:
    return (f.year, f.body, f.norm, f.reading, f.evidence)


def _annual(facts: NormFacts, first: int, last: int) -> list[Finding]:
    body = facts.heads_of_state_body
    by_year: dict[int, list[HeldMeeting]] = {}
    for m in facts.meetings:
        if m.body_id == body:
            by_year.setdefault(m.start_date.year, []).append(m)
    out = []
    for year in range(first, last + 1):
        held = by_year.get(year, [])
        ids = tuple(m.meeting_id for m in held)
        if held:
            status, text = FindingStatus.MET, f"{len(held)} meeting(s) held in {year}"
        else:
            status, text = FindingStatus.DEPARTED, f"no meeting of heads of state held in {year}"
        out.append(
            Finding(
                "annual_heads_of_state_meeting", "Art. 3", year, body, status, text, ids, ANNUAL
            )
        )
    return out


def _members_on(facts: NormFacts, date: PartialDate) -> set[str]:
    return {t.state for t in facts.members if t.covers(date)}


MembersOn = Callable[[NormFacts, PartialDate], set[str]]


def _members_memo() -> MembersOn:
    """`_members_on`, each date worked out once (for one `NormFacts`)."""
    seen: dict[PartialDate, frozenset[str]] = {}

    def members_on(facts: NormFacts, date: PartialDate) -> set[str]:
        found = seen.get(date)
        if found is None:
            found = seen[date] = frozenset(_members_on(facts, date))
        return set(found)

    return members_on


# The rules by norm, public for a caller that evaluates a part of the facts (the compliance
# read model evaluates only what a change can reach): `evaluate_all`'s findings are those of
# `annual`, `rotation_all`, `admissions` and `charter` together.


def annual(facts: NormFacts, first: int, last: int) -> list[Finding]:
    """The annual meeting's findings for the years `first`..`last`."""
    return _annual(facts, first, last)


def rotation_all(facts: NormFacts) -> list[Finding]:
    """Rotation under its three readings, for the rotating bodies of `facts`."""
    members_on = _members_memo()
    return [
        *_rotation(facts, members_on),
        *_no_consecutive_host(facts),
        *_cycle(facts, members_on),
    ]


def admissions(facts: NormFacts, first: int, last: int) -> list[Finding]:
    """The admissions' findings for the years `first`..`last`."""
    return _admissions(facts, first, last)


def charter(facts: NormFacts, last: int) -> list[Finding]:
    """The Charter's finding, `last` being the last year reported."""
    return _charter(facts, last)


def _rotation(facts: NormFacts, members_on: MembersOn = _members_on) -> list[Finding]:
    out = []
    for body in facts.rotating_bodies:
        held = sorted((m for m in facts.meetings if m.body_id == body), key=lambda m: m.start_date)
        last_turn: dict[str, int] = {}  # a host's last meeting so far (index in `held`)
        for i, m in enumerate(held):
            year = m.start_date.year
            if m.host_state is None:
                out.append(
                    Finding(
                        "rotation",
                        "Art. 3",
                        year,
                        body,
                        FindingStatus.NOT_APPLICABLE,
                        "no host state recorded",
                        (m.meeting_id,),
                        EVERY_MEMBER_BETWEEN_TURNS,
                    )
                )
                continue
            previous = last_turn.get(m.host_state)
            last_turn[m.host_state] = i
            if previous is None:
                status = FindingStatus.MET
                text = f"{m.host_state} hosts for the first time"
                evidence: tuple[str, ...] = (m.meeting_id,)
            else:
                since = held[previous + 1 : i]
                hosted = {x.host_state for x in since}
                waiting = sorted(members_on(facts, m.start_date) - hosted - {m.host_state})
                evidence = (
                    held[previous].meeting_id,
                    *(x.meeting_id for x in since),
                    m.meeting_id,
                )
                if waiting:
                    status = FindingStatus.DEPARTED
                    text = (
                        f"{m.host_state} hosts again (last: {held[previous].start_date}) "
                        f"before {', '.join(waiting)} hosted since"
                    )
                else:
                    status = FindingStatus.MET
                    text = f"every other member hosted since {m.host_state}'s last turn"
            out.append(
                Finding(
                    "rotation",
                    "Art. 3",
                    year,
                    body,
                    status,
                    text,
                    evidence,
                    EVERY_MEMBER_BETWEEN_TURNS,
                )
            )
    return out


def _admissions(facts: NormFacts, first: int, last: int) -> list[Finding]:
    org = facts.organization_id
    by_year: dict[int, list[Admission]] = {}
    for a in facts.admissions:
        by_year.setdefault(a.date.year, []).append(a)
    out = []
    for year in range(first, last + 1):
        admitted = by_year.get(year, [])
        if not admitted:
            out.append(
                Finding(
                    "admission_by_consensus",
                    "Art. 7",
                    year,
                    org,
                    FindingStatus.NOT_APPLICABLE,
                    "no admission",
                    reading=DECISION_RECORDED,
                )
            )
        for a in admitted:
            decision = tuple(x for x in (a.meeting, a.document) if x)
            if decision:
                status = FindingStatus.MET
                text = f"{a.state} admitted by a recorded decision"
            else:
                status = FindingStatus.DEPARTED
                text = f"{a.state} admitted without a recorded decision (meeting or document)"
            out.append(
                Finding(
                    "admission_by_consensus",
                    "Art. 7",
                    year,
                    org,
                    status,
                    text,
                    (a.evidence, *decision),
                    DECISION_RECORDED,
                )
            )
    return out


def _charter(facts: NormFacts, last: int) -> list[Finding]:
    body, norm, art = facts.heads_of_state_body, "charter_signed_2002", "final part"
    if last < 2002:
        return []
    charters = sorted(
        (d for d in facts.documents if d.category == "charter"), key=lambda d: d.signed_on
    )
    if not charters:
        text = "no Charter recorded as signed"
        return [
            Finding(norm, art, 2002, body, FindingStatus.DEPARTED, text, (), SIGNED_AT_2002_SUMMIT)
        ]
    charter = charters[0]
    meetings = {m.meeting_id: m for m in facts.meetings}
    at = meetings.get(charter.meeting) if charter.meeting else None
    evidence = tuple(x for x in (charter.document_id, charter.meeting) if x)
    if at is not None and at.body_id == body and at.start_date.year == 2002:
        text = f"signed at {at.meeting_id} ({at.start_date})"
        return [
            Finding(norm, art, 2002, body, FindingStatus.MET, text, evidence, SIGNED_AT_2002_SUMMIT)
        ]
    where = f"at {charter.meeting}" if charter.meeting else "outside a recorded meeting"
    text = f"signed on {charter.signed_on} {where}, not at the 2002 heads-of-state meeting"
    return [
        Finding(
            norm, art, 2002, body, FindingStatus.DEPARTED, text, evidence, SIGNED_AT_2002_SUMMIT
        )
    ]


def _held_by(facts: NormFacts, body: str) -> list[HeldMeeting]:
    return sorted((m for m in facts.meetings if m.body_id == body), key=lambda m: m.start_date)


def _rotation_finding(
    m: HeldMeeting, reading: str, status: FindingStatus, text: str, evidence: tuple[str, ...]
) -> Finding:
    return Finding(
        "rotation", "Art. 3", m.start_date.year, m.body_id, status, text, evidence, reading
    )


def _no_consecutive_host(facts: NormFacts) -> list[Finding]:
    out = []
    for body in facts.rotating_bodies:
        previous: HeldMeeting | None = None
        for m in _held_by(facts, body):
            if m.host_state is None:
                out.append(
                    _rotation_finding(
                        m,
                        NO_CONSECUTIVE_HOST,
                        FindingStatus.NOT_APPLICABLE,
                        "no host state recorded",
                        (m.meeting_id,),
                    )
                )
            elif previous is not None and previous.host_state == m.host_state:
                out.append(
                    _rotation_finding(
                        m,
                        NO_CONSECUTIVE_HOST,
                        FindingStatus.DEPARTED,
                        f"{m.host_state} hosted the previous meeting too ({previous.start_date})",
                        (previous.meeting_id, m.meeting_id),
                    )
                )
            else:
                evidence = (
                    (m.meeting_id,) if previous is None else (previous.meeting_id, m.meeting_id)
                )
                out.append(
                    _rotation_finding(
                        m,
                        NO_CONSECUTIVE_HOST,
                        FindingStatus.MET,
                        f"{m.host_state} did not host the previous meeting",
                        evidence,
                    )
                )
            previous = m
    return out


def _cycle(facts: NormFacts, members_on: MembersOn = _members_on) -> list[Finding]:
    out = []
    for body in facts.rotating_bodies:
        members: set[str] | None = None  # the open cycle's members; None: none open
        hosted: list[HeldMeeting] = []
        for m in _held_by(facts, body):
            if m.host_state is None:
                out.append(
                    _rotation_finding(
                        m,
                        CYCLE,
                        FindingStatus.NOT_APPLICABLE,
                        "no host state recorded",
                        (m.meeting_id,),
                    )
                )
                continue
            if members is None:
                members, hosted = members_on(facts, m.start_date), []
            hosts = {x.host_state for x in hosted}
            evidence = (*(x.meeting_id for x in hosted), m.meeting_id)
            if m.host_state in hosts:
                waiting = sorted((members & members_on(facts, m.start_date)) - hosts)
                status, text = (
                    FindingStatus.DEPARTED,
                    f"{m.host_state} hosts again within a cycle before {', '.join(waiting)} hosted",
                )
                members, hosted = members_on(facts, m.start_date), []
            elif members and m.host_state not in members:
                status, text = (
                    FindingStatus.DEPARTED,
                    f"{m.host_state} hosts within a cycle that began before it was a member",
                )
            else:
                status, text = FindingStatus.MET, f"{m.host_state} hosts once in the cycle"
            hosted.append(m)
            out.append(_rotation_finding(m, CYCLE, status, text, evidence))
            still = members & members_on(facts, m.start_date)
            if still <= {x.host_state for x in hosted}:
                members = None  # the cycle is complete: the next meeting opens one
    return out


class Rotation:
    """One rotating council's held meetings in order, with what rotation's three readings
    carry from one meeting to the next, so that the findings can be evaluated from any
    meeting on without going over the meetings before it (the compliance read model keeps
    one per council and re-evaluates only from the first meeting a change reaches).

    The order is `_rotation`'s (by start date, ties in meeting id order: the order of a
    stable sort of the meetings sorted by id). What a reading carries to meeting `i`:
    the host's previous turn (found by looking back from `i`), the previous meeting, and the
    open cycle, which is wholly given by the meeting that opened it (its members are the
    members on that meeting's date, its hosts those of the meetings with a host from it
    on): `opened[i]`, the index of that meeting before meeting `i` (None: no cycle open).
    `tail(start, members_on)` is `rotation_all`'s findings of the meetings from `start` on
    (in its order: the standing reading's, then `no_consecutive_host`'s, then `cycle`'s),
    given that the meetings before `start` and the members on their dates are as they were
    when it last ran over them. Memory: three list entries per held meeting."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.held: list[HeldMeeting] = []
        self._keys: list[tuple[tuple[dt.date, dt.date, int], str]] = []
        self._lowers: list[dt.date] = []
        self.opened: list[int | None] = []
        self._end: int | None = None  # the open cycle after the last meeting

    def __len__(self) -> int:
        return len(self.held)

    def insert(self, m: HeldMeeting) -> int:
        """Add a meeting; its index (the meetings from it on are to be evaluated again)."""
        key = (m.start_date.sort_key, m.meeting_id)
        i = bisect.bisect_left(self._keys, key)
        before = self.opened[i] if i < len(self.held) else self._end
        self.held.insert(i, m)
        self._keys.insert(i, key)
        self._lowers.insert(i, m.start_date.lower)
        self.opened.insert(i, before)
        return i

    def remove(self, m: HeldMeeting) -> int:
        """Take a meeting away; the index the meetings after it now start at."""
        i = bisect.bisect_left(self._keys, (m.start_date.sort_key, m.meeting_id))
        assert self.held[i] == m, (m, self.held[i] if i < len(self.held) else None)
        before = self.opened.pop(i)
        del self.held[i], self._keys[i], self._lowers[i]
        if i < len(self.held):
            self.opened[i] = before
        else:
            self._end = before
        return i

    def first_of_year(self, year: int) -> int:
        """The index of the first meeting of `year` or later."""
        return bisect.bisect_left(self._lowers, dt.date(year, 1, 1))

    def tail(
        self, start: int, members_on: Callable[[PartialDate], frozenset[str]]
    ) -> list[Finding]:
        held = self.held
        every: list[Finding] = []
        consecutive: list[Finding] = []
        cycle: list[Finding] = []
        na = FindingStatus.NOT_APPLICABLE
        ev: tuple[str, ...]
        s = self.opened[start] if start < len(held) else self._end
        members = None if s is None else members_on(held[s].start_date)
        hosted = [] if s is None else [x for x in held[s:start] if x.host_state is not None]
        for i in range(start, len(held)):
            self.opened[i] = s
            m = held[i]
            h = m.host_state
            if h is None:
                text, ev = "no host state recorded", (m.meeting_id,)
                every.append(_rotation_finding(m, EVERY_MEMBER_BETWEEN_TURNS, na, text, ev))
                consecutive.append(_rotation_finding(m, NO_CONSECUTIVE_HOST, na, text, ev))
                cycle.append(_rotation_finding(m, CYCLE, na, text, ev))
                continue
            # every_member_between_turns (`_rotation`)
            j = i - 1
            while j >= 0 and held[j].host_state != h:
                j -= 1
            if j < 0:
                status = FindingStatus.MET
                text = f"{h} hosts for the first time"
                evidence: tuple[str, ...] = (m.meeting_id,)
            else:
                since = held[j + 1 : i]
                done = {x.host_state for x in since}
                waiting = sorted(members_on(m.start_date) - done - {h})
                evidence = (held[j].meeting_id, *(x.meeting_id for x in since), m.meeting_id)
                if waiting:
                    status = FindingStatus.DEPARTED
                    text = (
                        f"{h} hosts again (last: {held[j].start_date}) "
                        f"before {', '.join(waiting)} hosted since"
                    )
                else:
                    status = FindingStatus.MET
                    text = f"every other member hosted since {h}'s last turn"
            every.append(_rotation_finding(m, EVERY_MEMBER_BETWEEN_TURNS, status, text, evidence))
            # no_consecutive_host (`_no_consecutive_host`)
            previous = held[i - 1] if i > 0 else None
            if previous is not None and previous.host_state == h:
                consecutive.append(
                    _rotation_finding(
                        m,
                        NO_CONSECUTIVE_HOST,
                        FindingStatus.DEPARTED,
                        f"{h} hosted the previous meeting too ({previous.start_date})",
                        (previous.meeting_id, m.meeting_id),
                    )
                )
            else:
                ev = (m.meeting_id,) if previous is None else (previous.meeting_id, m.meeting_id)
                consecutive.append(
                    _rotation_finding(
                        m,
                        NO_CONSECUTIVE_HOST,
                        FindingStatus.MET,
                        f"{h} did not host the previous meeting",
                        ev,
                    )
                )
            # cycle (`_cycle`)
            if members is None:
                members, hosted, s = members_on(m.start_date), [], i
            hosts = {x.host_state for x in hosted}
            evidence = (*(x.meeting_id for x in hosted), m.meeting_id)
            if h in hosts:
                waiting = sorted((members & members_on(m.start_date)) - hosts)
                status = FindingStatus.DEPARTED
                text = f"{h} hosts again within a cycle before {', '.join(waiting)} hosted"
                members, hosted, s = members_on(m.start_date), [], i
            elif members and h not in members:
                status = FindingStatus.DEPARTED
                text = f"{h} hosts within a cycle that began before it was a member"
            else:
                status, text = FindingStatus.MET, f"{h} hosts once in the cycle"
            hosted.append(m)
            cycle.append(_rotation_finding(m, CYCLE, status, text, evidence))
            still = members & members_on(m.start_date)
            if still <= {x.host_state for x in hosted}:
                members, s = None, None
        self._end = s
        return [*every, *consecutive, *cycle]
