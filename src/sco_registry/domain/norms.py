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
import functools
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
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
        members_at = functools.partial(members_on, facts)
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
            status, text, evidence = _standing(held, previous, i, members_at)
            out.append(_rotation_finding(m, EVERY_MEMBER_BETWEEN_TURNS, status, text, evidence))
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


def _standing(
    held: Sequence[HeldMeeting],
    previous: int | None,
    i: int,
    members_on: Callable[[PartialDate], AbstractSet[str]],
) -> tuple[FindingStatus, str, tuple[str, ...]]:
    """The standing reading of meeting `i` of `held` (which has a host), whose host last
    hosted at `previous` (None: never): met the first time; again, departed when a member
    on its date has not hosted since. Its status, text and evidence."""
    m = held[i]
    h = m.host_state
    if previous is None:
        return FindingStatus.MET, f"{h} hosts for the first time", (m.meeting_id,)
    since = held[previous + 1 : i]
    done = {x.host_state for x in since}
    waiting = sorted(members_on(m.start_date) - done - {h})
    evidence = (held[previous].meeting_id, *(x.meeting_id for x in since), m.meeting_id)
    if waiting:
        text = (
            f"{h} hosts again (last: {held[previous].start_date}) "
            f"before {', '.join(waiting)} hosted since"
        )
        return FindingStatus.DEPARTED, text, evidence
    return FindingStatus.MET, f"every other member hosted since {h}'s last turn", evidence


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


Triple = tuple[Finding, Finding, Finding]  # a meeting's findings: every, consecutive, cycle
MembersAt = Callable[[PartialDate], frozenset[str]]


class Rotation:
    """One rotating council's held meetings in order, with what rotation's three readings
    carry from one meeting to the next, so that the findings can be evaluated from any
    meeting on without going over the meetings before it (the compliance read model keeps
    one per council and re-evaluates only what a change reaches).

    The order is `_rotation`'s (by start date, ties in meeting id order: the order of a
    stable sort of the meetings sorted by id). What a reading carries to meeting `i`:
    the host's previous turn (found by looking back from `i`), the previous meeting, and the
    open cycle, which is wholly given by the meeting that opened it (its members are the
    members on that meeting's date, its hosts those of the meetings with a host from it
    on): `opened[i]`, that meeting (None: no cycle open before meeting `i`).
    `tail(start, members_on)` is `rotation_all`'s findings of the meetings from `start` on
    (in its order: the standing reading's, then `no_consecutive_host`'s, then `cycle`'s),
    given that the meetings before `start` and the members on their dates are as they were
    when it last ran over them. `found[i]` holds meeting `i`'s three findings as last
    evaluated, so that after one meeting added or taken away (the members unchanged),
    `point` evaluates again only the findings that change can reach (`point`'s docstring)
    and says which changed. Memory: six list entries per held meeting (the sixth in its
    host's list of meetings, `_by_host`, which lets `point` go from one meeting it can
    reach to the next without visiting those between)."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.held: list[HeldMeeting] = []
        self._keys: list[tuple[tuple[dt.date, dt.date, int], str]] = []
        self._lowers: list[dt.date] = []
        self.opened: list[HeldMeeting | None] = []
        self.found: list[Triple | None] = []  # None: not evaluated since added
        self._unevaluated = 0  # how many of `found` are None
        self._end: HeldMeeting | None = None  # the open cycle's opener after the last meeting
        self._hosts: dict[str, int] = {}  # how many meetings each host hosted
        # Each host's meetings' keys (`_key`), in order.
        self._by_host: dict[str, list[tuple[tuple[dt.date, dt.date, int], str]]] = {}

    def __len__(self) -> int:
        return len(self.held)

    @staticmethod
    def _key(m: HeldMeeting) -> tuple[tuple[dt.date, dt.date, int], str]:
        return (m.start_date.sort_key, m.meeting_id)

    def index(self, m: HeldMeeting) -> int:
        """Where `m` is (or would be) in the order."""
        return bisect.bisect_left(self._keys, self._key(m))

    def insert(self, m: HeldMeeting) -> int:
        """Add a meeting; its index (the meetings from it on are to be evaluated again)."""
        key = self._key(m)
        i = bisect.bisect_left(self._keys, key)
        before = self.opened[i] if i < len(self.held) else self._end
        self.held.insert(i, m)
        self._keys.insert(i, key)
        self._lowers.insert(i, m.start_date.lower)
        self.opened.insert(i, before)
        self.found.insert(i, None)
        self._unevaluated += 1
        if m.host_state is not None:
            self._hosts[m.host_state] = self._hosts.get(m.host_state, 0) + 1
            bisect.insort(self._by_host.setdefault(m.host_state, []), key)
        return i

    def remove(self, m: HeldMeeting) -> int:
        """Take a meeting away; the index the meetings after it now start at."""
        key = self._key(m)
        i = bisect.bisect_left(self._keys, key)
        assert self.held[i] == m, (m, self.held[i] if i < len(self.held) else None)
        before = self.opened.pop(i)
        if self.found[i] is None:
            self._unevaluated -= 1
        del self.held[i], self._keys[i], self._lowers[i], self.found[i]
        if i < len(self.held):
            self.opened[i] = before
        else:
            self._end = before
        if m.host_state is not None:
            left = self._hosts[m.host_state] - 1
            if left:
                self._hosts[m.host_state] = left
            else:
                del self._hosts[m.host_state]
            keys = self._by_host[m.host_state]
            del keys[bisect.bisect_left(keys, key)]
            if not keys:
                del self._by_host[m.host_state]
        return i

    def first_of_year(self, year: int) -> int:
        """The index of the first meeting of `year` or later."""
        return bisect.bisect_left(self._lowers, dt.date(year, 1, 1))

    def tail(self, start: int, members_on: MembersAt) -> list[Finding]:
        held = self.held
        every: list[Finding] = []
        consecutive: list[Finding] = []
        cycle: list[Finding] = []
        s = self.opened[start] if start < len(held) else self._end
        members, hosted = self._cycle_state(s, start, members_on)
        for i in range(start, len(held)):
            self.opened[i] = s
            m = held[i]
            if m.host_state is None:
                triple = _not_applicable(m)
            else:
                c, s, members, hosted = _cycle_step(m, s, members, hosted, members_on)
                triple = (self._every(i, members_on), self._consecutive(i), c)
            if self.found[i] is None:
                self._unevaluated -= 1
            self.found[i] = triple
            every.append(triple[0])
            consecutive.append(triple[1])
            cycle.append(triple[2])
        self._end = s
        return [*every, *consecutive, *cycle]

    def point(
        self, at: int, members_on: MembersAt, *, added: HeldMeeting | None, gone: HeldMeeting | None
    ) -> list[tuple[int, Triple | None]] | None:
        """After one change of one meeting, the members unchanged: `added` inserted at
        `at`, or `gone` taken away from before `at` (where `remove` said). Evaluates again
        the findings it can reach, leaving the others (and what they carry) as they are,
        and returns the meetings whose findings changed, with their findings before (None:
        the meeting added); their new findings are in `found`. What a change at `at`
        reaches (the readings' rules, as `tail` evaluates them):

        * the added meeting's findings;
        * `no_consecutive_host`: the meeting after the change (its previous meeting);
        * the standing reading: a meeting after the change whose host has not hosted since
          the change (its previous turn, or the meetings since it, hold the change);
        * `cycle`: each meeting from the change on until the cycle carried to the next one
          is the one carried there before, opened after the change (or none open): from
          there on a cycle's hosts and members are what they were.

        Once the cycle has settled, a meeting whose host has hosted since the change (or
        that has no host) is reached by none of these: the loop goes on to the next meeting
        of a host not yet seen since the change (`_next_unseen`), so that a year of
        meetings of one host (the benchmark's writes) is not walked to its end each time.

        None (and nothing changed): a meeting's findings were never evaluated (they are
        `tail`'s to make)."""
        held, found = self.held, self.found
        if self._unevaluated != (0 if added is None else 1):
            return None
        if added is not None and found[at] is not None:
            return None
        change = self._key(added if added is not None else gone)  # type: ignore[arg-type]
        n = len(held)
        s = self.opened[at] if at < n else self._end
        members, hosted = self._cycle_state(s, at, members_on)
        cycling = True
        seen: set[str] = set()  # the hosts of the meetings after the change, so far
        out: list[tuple[int, Triple | None]] = []
        hosts = len(self._hosts)
        after = at + 1 if added is not None else at  # the first meeting after the change
        i = at
        while i < n:
            m = held[i]
            h = m.host_state
            old = found[i]
            if old is None:  # the meeting added
                if h is None:
                    triple = _not_applicable(m)
                    self.opened[i] = s
                else:
                    self.opened[i] = s
                    c, s, members, hosted = _cycle_step(m, s, members, hosted, members_on)
                    triple = (self._every(i, members_on), self._consecutive(i), c)
            else:
                every, consecutive, c = old
                if h is not None:
                    if h not in seen:
                        every = self._every(i, members_on)
                    if i == after:
                        consecutive = self._consecutive(i)
                    if cycling:
                        self.opened[i] = s
                        c, s, members, hosted = _cycle_step(m, s, members, hosted, members_on)
                elif cycling:
                    self.opened[i] = s
                triple = (every, consecutive, c)
                if i >= after and h is not None:
                    seen.add(h)
            if cycling:
                carried = self.opened[i + 1] if i + 1 < n else self._end
                if i + 1 == n:
                    self._end = s
                if i >= after and s == carried and (s is None or self._key(s) > change):
                    cycling = False
            if triple != old:
                if old is None:
                    self._unevaluated -= 1
                found[i] = triple
                out.append((i, old))
            if not cycling and i >= after:
                if len(seen) == hosts:
                    break  # every host hosted since the change: nothing further is reached
                i = self._next_unseen(i, seen)  # the meetings between: nothing reaches them
            else:
                i += 1
        return out

    def _next_unseen(self, i: int, seen: AbstractSet[str]) -> int:
        """The index of the first meeting after meeting `i` whose host is not in `seen`
        (the number of meetings when there is none)."""
        key = self._keys[i]
        first: tuple[tuple[dt.date, dt.date, int], str] | None = None
        for host, keys in self._by_host.items():
            if host in seen:
                continue
            j = bisect.bisect_right(keys, key)
            if j < len(keys) and (first is None or keys[j] < first):
                first = keys[j]
        return len(self._keys) if first is None else bisect.bisect_left(self._keys, first)

    def _cycle_state(
        self, s: HeldMeeting | None, start: int, members_on: MembersAt
    ) -> tuple[frozenset[str] | None, list[HeldMeeting]]:
        """The open cycle carried to meeting `start` from its opener `s`: its members and
        the meetings with a host from it up to `start`."""
        if s is None:
            return None, []
        first = bisect.bisect_left(self._keys, self._key(s))
        return members_on(s.start_date), [
            x for x in self.held[first:start] if x.host_state is not None
        ]

    def _every(self, i: int, members_on: MembersAt) -> Finding:
        """The standing reading's finding of meeting `i` (`_rotation`), which has a host."""
        held = self.held
        m = held[i]
        j = i - 1
        while j >= 0 and held[j].host_state != m.host_state:
            j -= 1
        status, text, evidence = _standing(held, None if j < 0 else j, i, members_on)
        return _rotation_finding(m, EVERY_MEMBER_BETWEEN_TURNS, status, text, evidence)

    def _consecutive(self, i: int) -> Finding:
        """`no_consecutive_host`'s finding of meeting `i` (`_no_consecutive_host`), which
        has a host."""
        m = self.held[i]
        h = m.host_state
        previous = self.held[i - 1] if i > 0 else None
        if previous is not None and previous.host_state == h:
            return _rotation_finding(
                m,
                NO_CONSECUTIVE_HOST,
                FindingStatus.DEPARTED,
                f"{h} hosted the previous meeting too ({previous.start_date})",
                (previous.meeting_id, m.meeting_id),
            )
        ev = (m.meeting_id,) if previous is None else (previous.meeting_id, m.meeting_id)
        return _rotation_finding(
            m, NO_CONSECUTIVE_HOST, FindingStatus.MET, f"{h} did not host the previous meeting", ev
        )


def _not_applicable(m: HeldMeeting) -> Triple:
    text, ev, na = "no host state recorded", (m.meeting_id,), FindingStatus.NOT_APPLICABLE
    return (
        _rotation_finding(m, EVERY_MEMBER_BETWEEN_TURNS, na, text, ev),
        _rotation_finding(m, NO_CONSECUTIVE_HOST, na, text, ev),
        _rotation_finding(m, CYCLE, na, text, ev),
    )


def _cycle_step(
    m: HeldMeeting,
    s: HeldMeeting | None,
    members: frozenset[str] | None,
    hosted: list[HeldMeeting],
    members_on: MembersAt,
) -> tuple[Finding, HeldMeeting | None, frozenset[str] | None, list[HeldMeeting]]:
    """`cycle`'s finding of meeting `m`, which has a host (`_cycle`), from the open cycle
    (its opener `s`, members and the meetings with a host in it so far: None, [] when none
    is open); and the cycle open after `m` (`hosted` is changed in place or replaced)."""
    h = m.host_state
    if members is None:
        members, hosted, s = members_on(m.start_date), [], m
    hosts = {x.host_state for x in hosted}
    evidence = (*(x.meeting_id for x in hosted), m.meeting_id)
    if h in hosts:
        waiting = sorted((members & members_on(m.start_date)) - hosts)
        status = FindingStatus.DEPARTED
        text = f"{h} hosts again within a cycle before {', '.join(waiting)} hosted"
        members, hosted, s = members_on(m.start_date), [], m
    elif members and h not in members:
        status = FindingStatus.DEPARTED
        text = f"{h} hosts within a cycle that began before it was a member"
    else:
        status, text = FindingStatus.MET, f"{h} hosts once in the cycle"
    hosted.append(m)
    finding = _rotation_finding(m, CYCLE, status, text, evidence)
    still = members & members_on(m.start_date)
    if still <= {x.host_state for x in hosted}:
        return finding, None, None, []
    return finding, s, members, hosted
