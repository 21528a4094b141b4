"""Synthetic, valid `sco-registry-history/1` histories built as one coherent timeline.

The plan: a range of years; the states; the "Shanghai Five" and its summits; the SCO founded
as its successor at a summit of its own council, with its founding declaration; then, year
by year, summits (held, postponed or cancelled, in every format), ministerial meetings, the
documents signed there (parties listed or null, some entering into force, some amending
earlier ones), the changes in each state's relation to the organizations (statuses granted
at summits citing declarations the state did not sign, observers becoming partners,
admission procedures ending in an admission with or without a decision document,
withdrawals and suspensions), bodies (decided without a date and established later,
relocated, renamed, dissolved; temporary expert groups), office terms (closed and open) and
mandates (due at a later meeting, at a date, or open).

Everything is decided in date order on the true dates, so the domain's rules ("a signatory
is a member on the signing date", "a dissolved body holds no meeting") hold by
construction; each date is then written at the precision the sources might give (a day,
its month or its year), never more precise than the truth.

`build_history(seed, years=..., files=...)` is the plain builder (a benchmark can make large
histories with it); `tests.strategies.hypothesis` wraps it as Hypothesis strategies.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from tests.strategies.render import ABSENT, Record, Renderer
from tests.strategies.split import split_records

SCO = "organization/sco"
S5 = "organization/shanghai-five"
FORMAT = "sco-registry-history/1"

# A pool of ISO 3166-1 alpha-2 codes and names (real codes; the history is invented).
STATE_POOL: dict[str, str] = {
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

DOCUMENT_CATEGORIES = (
    "agreement", "declaration", "charter", "convention", "treaty", "regulation", "memorandum",
    "programme", "strategy", "joint_statement", "protocol", "decision",
)  # fmt: skip
FORMATS = ("in_person", "virtual", "hybrid")
OFFICES = ("executive_secretary", "secretary_general", "director")


@dataclass
class Body:
    id: str
    org: str
    category: str
    established: dt.date | None  # None: decided, not working yet
    seat: str | None = None
    dissolved: bool = False
    last_change: dt.date | None = None  # the latest dated thing that happened to it


@dataclass
class Doc:
    id: str
    signed: dt.date
    org: str


@dataclass
class World:
    """The history as it is being made, at the date reached so far."""

    rng: random.Random
    out: Renderer
    records: list[Record] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    # (organization, state) -> the status held now; missing: none.
    status: dict[tuple[str, str], str] = field(default_factory=dict)
    last_change: dict[str, dt.date] = field(default_factory=dict)  # state -> its last change
    procedure: dict[str, int] = field(default_factory=dict)  # state -> admission step reached
    # (organization, state) -> its changes as (date, status after), in date order.
    timeline: dict[tuple[str, str], list[tuple[dt.date, str | None]]] = field(default_factory=dict)
    bodies: dict[str, Body] = field(default_factory=dict)
    docs: list[Doc] = field(default_factory=list)
    counter: int = 0

    # --- small helpers ------------------------------------------------------------------------

    def n(self) -> int:
        self.counter += 1
        return self.counter

    def add(self, record_id: str, kind: str, **fields: Any) -> str:
        self.records.append(self.out.record(record_id, kind, fields))
        return record_id

    def d(self, day: dt.date) -> str:
        return self.out.date(day)

    def city(self) -> str:
        return self.rng.choice(CITIES)

    def state(self, code: str) -> str:
        self.states[code] = STATE_POOL[code]
        return code

    def holders(self, org: str, *statuses: str) -> list[str]:
        return sorted(s for (o, s), st in self.status.items() if o == org and st in statuses)

    def members(self) -> list[str]:
        return self.holders(SCO, "founding_member", "member")

    def members_at(self, day: dt.date) -> list[str]:
        """The SCO's members on `day` in truth (a state's procedure may run ahead of the
        date reached by another's)."""
        out = []
        for (org, state), changes in sorted(self.timeline.items()):
            held = [after for when, after in changes if when <= day]
            if org == SCO and held and held[-1] in ("founding_member", "member"):
                out.append(state)
        return out

    def related(self) -> set[str]:
        return {s for (_, s) in self.status}

    def fresh_states(self) -> list[str]:
        """States of the pool with no relation to either organization, ever."""
        gone = self.related() | set(self.last_change)
        return [c for c in STATE_POOL if c not in gone]

    def parties(self, signers: list[str]) -> list[str] | None:
        """A document's parties: listed (in a random order) or null (the sources do not list
        them)."""
        if not signers or self.rng.random() < 0.25:
            return None
        out = list(signers)
        self.rng.shuffle(out)
        return out

    def meeting_id(self, body: str, year: int) -> str:
        return f"meeting/{body.removeprefix('body/')}/{year}-{self.n()}"

    # --- kinds ----------------------------------------------------------------------------

    def meeting(
        self,
        body: str,
        start: dt.date,
        *,
        host: str,
        ordinal: int | None = None,
        status: str = "held",
        meeting_id: str | None = None,
    ) -> str:
        meeting_id = meeting_id or self.meeting_id(body, start.year)
        end: Any = None
        if self.rng.random() < 0.5:
            end = self.d(start + dt.timedelta(days=self.rng.randint(0, 2)))
        self.add(
            meeting_id,
            "meeting",
            body=body,
            ordinal=self.out.optional(ordinal),
            start_date=self.d(start),
            end_date=self.out.optional(end),
            city=self.city(),
            host_state=self.state(host),
            format=self.rng.choice(FORMATS),
            status=self.out.defaulted(status, "held"),
        )
        return meeting_id

    def document(
        self,
        org: str,
        signed: dt.date,
        *,
        signers: list[str],
        meeting: str | None,
        category: str | None = None,
        amends: bool = True,
        listed: bool = False,
    ) -> str:
        doc_id = f"document/{signed.year}-{self.n()}"
        category = category or self.rng.choice(DOCUMENT_CATEGORIES)
        in_force: Any = None
        if self.rng.random() < 0.4:
            in_force = self.d(signed + dt.timedelta(days=self.rng.randint(0, 800)))
        earlier = [d for d in self.docs if d.org == org and d.signed <= signed]
        target: Any = None
        if amends and earlier and self.rng.random() < 0.3:
            target = self.rng.choice(earlier).id
        parties = list(signers) if listed else self.parties(signers)
        self.add(
            doc_id,
            "document",
            title=f"Synthetic {category.replace('_', ' ')} of {signed.isoformat()}",
            category=category,
            signed_on=self.d(signed),
            place=self.out.optional(self.city() if self.rng.random() < 0.7 else None),
            meeting=self.out.optional(meeting),
            parties=self.out.optional(parties),
            in_force_on=self.out.optional(in_force),
            amends=self.out.optional(target),
        )
        self.docs.append(Doc(doc_id, signed, org))
        return doc_id

    def change(
        self,
        state: str,
        org: str,
        day: dt.date,
        change: str,
        after: str | None,
        *,
        meeting: str | None = None,
        document: str | None = None,
        coarse: bool = False,
    ) -> None:
        """One change on its true `day`; `coarse`: written as its year (where the renderer
        writes coarse dates at all), so that it overlaps the state's other changes that year."""
        self.state(state)
        self.add(
            f"membership/{state}/{day.isoformat()}/{change}-{self.n()}",
            "membership",
            state=state,
            organization=self.out.defaulted(org, SCO),
            date=self.out.date(day, precision="year" if coarse and self.out.coarse else None),
            change=change,
            status_after=self.out.optional(after),
            meeting=self.out.optional(meeting),
            document=self.out.optional(document),
        )
        self.timeline.setdefault((org, state), []).append((day, after))
        if after is None:
            self.status.pop((org, state), None)
        else:
            self.status[(org, state)] = after
        self.last_change[state] = day

    def body(
        self,
        name: str,
        org: str,
        category: str,
        established: dt.date | None,
        *,
        dated: bool = True,
        parent: str | None = None,
        permanence: str | None = None,
        seat: str | None = None,
    ) -> Body:
        body_id = f"body/{name}-{self.n()}"
        seat_state: str | None = None
        if seat is not None and self.rng.random() < 0.6:
            seat_state = self.state(self.rng.choice(self.members() or sorted(self.states)))
        self.add(
            body_id,
            "body",
            name=f"Synthetic {name.replace('_', ' ')}",
            abbreviation=self.out.optional(name[:4].upper() if self.rng.random() < 0.5 else None),
            category=category,
            organization=self.out.defaulted(org, SCO),
            status="decided" if established is None else "established",
            established=self.out.optional(
                self.d(established) if established is not None and dated else None
            ),
            parent=self.out.optional(parent),
            permanence=self.out.optional(permanence),
            seat=self.out.optional(seat),
            seat_state=self.out.optional(seat_state),
        )
        body = Body(body_id, org, category, established, seat, last_change=established)
        self.bodies[body_id] = body
        return body

    def body_change(self, body: Body, day: dt.date, change: str) -> None:
        fields: dict[str, Any] = {"body": body.id, "date": self.d(day), "change": change}
        if change == "established":
            body.established = day
            if self.rng.random() < 0.5:  # established elsewhere than planned
                fields["seat"] = self.other_city(body.seat)
                body.seat = fields["seat"]
                fields["seat_state"] = self.out.optional(
                    self.state(self.rng.choice(self.members())) if self.members() else None
                )
            else:
                fields["seat"] = self.out.optional(None)
            name = f"Synthetic body renamed {self.n()}" if self.rng.random() < 0.3 else None
            fields["name"] = self.out.optional(name)  # and perhaps under another name
        elif change == "seat_relocated":
            fields["seat"] = self.other_city(body.seat)
            body.seat = fields["seat"]
            seat_state = None
            if self.members() and self.rng.random() < 0.5:
                seat_state = self.state(self.rng.choice(self.members()))
            fields["seat_state"] = self.out.optional(seat_state)
        elif change == "renamed":
            fields["name"] = f"Synthetic body renamed {self.n()}"
            for absent in ("seat", "seat_state"):
                if self.rng.random() < 0.2:
                    fields[absent] = None
        else:
            body.dissolved = True
        self.add(f"body_change/{body.id.removeprefix('body/')}/{self.n()}", "body_change", **fields)
        body.last_change = day

    def other_city(self, seat: str | None) -> str:
        return self.rng.choice([c for c in CITIES if c != seat])


def _day(rng: random.Random, year: int, month_from: int = 1, month_to: int = 12) -> dt.date:
    month = rng.randint(month_from, month_to)
    return dt.date(year, month, rng.randint(1, 28))


def _shanghai_five(w: World, year: int, summits: int) -> tuple[str, int]:
    """The Five's founding summit and agreement, its participants, and its later summits.
    Returns its summit body and the year after its last summit."""
    rng = w.rng
    founders = [w.state(c) for c in rng.sample(sorted(STATE_POOL)[:12], rng.randint(3, 5))]
    first = _day(rng, year, 3, 6)
    council = w.body(
        "shanghai_five_summit", S5, "council", first, dated=rng.random() < 0.7, permanence=None
    )
    meeting = w.meeting(council.id, first, host=rng.choice(founders), ordinal=1)
    # The founding agreement lists its parties: they become participants by signing it.
    agreement = w.document(S5, first, signers=founders, meeting=meeting, listed=True)
    founding_doc = agreement if rng.random() < 0.7 else None
    w.add(
        S5,
        "organization",
        name="Synthetic Shanghai Five",
        abbreviation=w.out.optional(None),
        founded_on=w.d(first),
        founded_at=w.out.optional(w.city() if rng.random() < 0.6 else None),
        founding_document=w.out.optional(founding_doc),
        predecessor=w.out.optional(None),
        purposes=[] if rng.random() < 0.5 else ["Confidence in the border area."],
        principles=[],
    )
    for state in founders:
        cites = rng.random() < 0.8
        w.change(
            state,
            S5,
            first,
            "participation_began",
            "shanghai_five_participant",
            meeting=meeting if rng.random() < 0.7 else None,
            document=agreement if cites else None,
        )
    for i in range(1, summits):
        day = _day(rng, year + i, 3, 9)
        held = w.meeting(council.id, day, host=rng.choice(founders), ordinal=i + 1)
        for _ in range(rng.randint(1, 2)):
            w.document(S5, day, signers=founders, meeting=held)
    return council.id, year + summits


@dataclass
class Sco:
    council: str
    ministers: str
    secretariat: Body
    centre: Body
    expert_groups: list[Body] = field(default_factory=list)
    ordinal: int = 0
    ministers_ordinal: int = 0
    next_summit: str | None = None  # planned id of the next summit (for mandates due there)


def _found_sco(w: World, year: int) -> Sco:
    rng = w.rng
    day = _day(rng, year, 4, 7)
    participants = w.holders(S5, "shanghai_five_participant")
    newcomers = [w.state(c) for c in w.fresh_states()[: rng.randint(0, 1)]]
    founders = participants + newcomers
    council = w.body("heads_of_state_council", SCO, "council", day, dated=rng.random() < 0.8)
    meeting = w.meeting(council.id, day, host=rng.choice(founders), ordinal=1)
    declaration = w.document(
        SCO, day, signers=founders, meeting=meeting, category="declaration", listed=True
    )
    w.add(
        SCO,
        "organization",
        name="Synthetic Shanghai Cooperation Organization",
        abbreviation=w.out.optional("SCO" if rng.random() < 0.8 else None),
        founded_on=w.d(day),
        founded_at=w.out.optional(w.city()),
        founding_document=w.out.optional(declaration if rng.random() < 0.8 else None),
        predecessor=S5,
        purposes=["Mutual trust."] if rng.random() < 0.7 else [],
        principles=[] if rng.random() < 0.5 else ["Consensus.", "Non-alignment."],
    )
    for state in founders:
        w.change(
            state,
            SCO,
            day,
            "founding_member",
            "founding_member",
            meeting=meeting if rng.random() < 0.6 else None,
            # A newcomer is not a Five participant: it becomes a member by this declaration.
            document=declaration if state in newcomers or rng.random() < 0.7 else None,
        )
    ministers = w.body(
        "foreign_ministers_council", SCO, "ministerial_meeting", day, permanence="permanent"
    )
    # Decided at the founding summit, recorded without a date; established later.
    secretariat = w.body(
        "secretariat", SCO, "permanent_body", None, seat=w.city(), permanence="permanent"
    )
    centre = w.body("regional_centre", SCO, "permanent_body", None, seat=w.city())
    for category in ("mechanism", "affiliated", "process"):
        if rng.random() < 0.5:
            established = day if rng.random() < 0.6 else None
            w.body(category, SCO, category, established, dated=rng.random() < 0.5)
    return Sco(council.id, ministers.id, secretariat, centre)


def _memberships(w: World, sco: Sco, day: dt.date, meeting: str, declaration: str | None) -> None:
    """What a summit decides about states: statuses granted (citing the declaration, which
    the state did not sign), changed, procedures advanced, admissions, withdrawals."""
    rng = w.rng
    for state in sorted(w.related() - set(w.members())):  # sorted: no hash order
        if w.last_change.get(state) == day:
            continue
        status = w.status.get((SCO, state))
        step = w.procedure.get(state, 0)
        roll = rng.random()
        if status in ("observer", "dialogue_partner") and step == 0 and roll < 0.3:
            w.change(state, SCO, day, "application_filed", status, document=None)
            w.procedure[state] = 1
            # The procedure may go on in the weeks after the summit, or at later summits.
            _procedure(w, state, status, day + dt.timedelta(days=7), None)
        elif step > 0 and roll < 0.7:
            _procedure(w, state, status, day, meeting)
        elif status in ("observer", "dialogue_partner") and step == 0 and roll < 0.4:
            w.change(
                state, SCO, day, "status_changed", "partner", meeting=meeting,
                document=declaration if rng.random() < 0.5 else None,
            )  # fmt: skip
        elif status == "dialogue_partner" and step == 0 and roll < 0.5:
            memo = w.document(
                SCO, day, signers=[state], meeting=None, category="memorandum", amends=False,
                listed=True,
            )  # fmt: skip
            w.change(state, SCO, day, "status_memorandum_signed", status, document=memo)
        elif status is not None and step == 0 and roll < 0.55:
            # A status that ends: the format's `withdrew`, with or without a status after.
            w.change(state, SCO, day, "withdrew", None, meeting=meeting)
            if rng.random() < 0.5:
                _granted_again(w, state, day, status)
    for state in w.fresh_states()[: rng.randint(0, 2)]:
        w.change(
            state, SCO, day, "status_granted", rng.choice(("observer", "dialogue_partner")),
            meeting=meeting if rng.random() < 0.8 else None,
            document=declaration if rng.random() < 0.7 else None,
        )  # fmt: skip
        if rng.random() < 0.15 and day.month < 12:
            # The status ends within the year, and the sources give only the year: the
            # withdrawal's date ("2070") begins before the grant's (2070-06-05).
            later = min(day + dt.timedelta(days=rng.randint(10, 60)), dt.date(day.year, 12, 28))
            w.change(state, SCO, later, "withdrew", None, coarse=True)
    members = [m for m in w.members() if w.last_change.get(m, dt.date.min) < day]
    if len(members) > 3 and rng.random() < 0.08:
        state = rng.choice(members)
        w.change(state, SCO, day, "suspended", w.status[(SCO, state)], meeting=meeting)
    elif len(members) > 3 and rng.random() < 0.08:
        # A member leaves some weeks after the summit whose documents it signed.
        later = day + dt.timedelta(days=rng.randint(35, 60))  # after any procedure step
        w.change(rng.choice(members), SCO, later, "withdrew", None)


def _granted_again(w: World, state: str, day: dt.date, status: str) -> None:
    """Re-admission after a withdrawal: the state is granted the same status again later in
    the year, the sources giving only the year ("2070", which begins before the withdrawal's
    2070-06-05). Only the same status: a grant of another one dated "2070" and a withdrawal
    dated "2070" say nothing of their order, and the import reads them as a beginning before
    an ending (docs/data.md, "How the import orders a stream's changes")."""
    later = min(day + dt.timedelta(days=w.rng.randint(10, 60)), dt.date(day.year, 12, 28))
    if later > day:
        w.change(state, SCO, later, "status_granted", status, coarse=True)


def _procedure(w: World, state: str, status: str | None, day: dt.date, meeting: str | None) -> None:
    """The next steps of a state's admission procedure, a week apart from `day`, until it
    stops (at random) or the state is admitted; documents signed after the summit's day are
    not signed at it (`meeting` None)."""
    rng = w.rng
    while state in w.procedure and rng.random() < 0.6:
        step = w.procedure[state]
        if step == 1:
            decision = w.document(
                SCO,
                day,
                signers=w.members_at(day),
                meeting=meeting,
                category="decision",
                amends=False,
            )
            w.change(
                state, SCO, day, "admission_procedure_started", status, meeting=meeting,
                document=decision if rng.random() < 0.7 else None,
            )  # fmt: skip
        elif step == 2:
            # The candidate signs the memorandum of obligations with the members: it becomes
            # a party by this very document (its record cites it on its date).
            signers = [*w.members_at(day), state]
            memo = w.document(
                SCO, day, signers=signers, meeting=meeting, category="memorandum", amends=False,
                listed=True,
            )  # fmt: skip
            w.change(state, SCO, day, "obligations_memorandum_signed", status, document=memo)
        else:
            decision = None
            if rng.random() < 0.5:
                decision = w.document(
                    SCO, day, signers=w.members_at(day), meeting=meeting, category="decision",
                    amends=False,
                )  # fmt: skip
            w.change(state, SCO, day, "admitted", "member", meeting=meeting, document=decision)
            w.procedure.pop(state)
            return
        w.procedure[state] = step + 1
        day, meeting = day + dt.timedelta(days=7), None


def _bodies(w: World, sco: Sco, day: dt.date, year: int) -> None:
    """What happens to bodies in a year, after its summit."""
    rng = w.rng
    later = day + dt.timedelta(days=rng.randint(5, 60))
    for body in (sco.secretariat, sco.centre):
        if body.dissolved:
            continue
        if body.established is None:
            if rng.random() < 0.6:
                w.body_change(body, later, "established")
        elif rng.random() < 0.2:
            w.body_change(body, later, rng.choice(("seat_relocated", "renamed")))
    for group in list(sco.expert_groups):
        if rng.random() < 0.5:
            w.meeting(group.id, later, host=rng.choice(w.members()))
        if rng.random() < 0.5:
            if rng.random() < 0.4:  # renamed shortly before it is disbanded
                w.body_change(group, later + dt.timedelta(days=1), "renamed")
            w.body_change(group, later + dt.timedelta(days=2), "dissolved")
            sco.expert_groups.remove(group)
    if rng.random() < 0.5:
        temporary = rng.random() < 0.7
        group = w.body(
            f"expert_group_{year}", SCO, "expert_group", day, parent=sco.council,
            permanence="temporary" if temporary else rng.choice(("permanent", None)),
        )  # fmt: skip
        sco.expert_groups.append(group)


def _offices(w: World, sco: Sco, year: int) -> None:
    """Terms in the offices of the permanent bodies once they work: closed or open."""
    rng = w.rng
    for body in (sco.secretariat, sco.centre):
        if body.established is None or body.dissolved or rng.random() < 0.6:
            continue
        start = max(body.established, dt.date(year, 1, 1)) + dt.timedelta(days=rng.randint(1, 30))
        office = rng.choice(OFFICES)
        nationality = rng.choice(w.members()) if rng.random() < 0.8 else None
        closed = rng.random() < 0.6
        to = w.d(start + dt.timedelta(days=rng.randint(300, 1500))) if closed else None
        term = f"office/{body.id.removeprefix('body/')}/person-{w.n()}"
        w.add(
            term,
            "office_term",
            body=body.id,
            office=office,
            person=f"Person {w.counter}",
            nationality=w.out.optional(nationality),
            **{"from": w.d(start), "to": w.out.optional(to)},
        )


def _mandates(w: World, sco: Sco, day: dt.date, declaration: str | None, last: bool) -> None:
    rng = w.rng
    for _ in range(rng.randint(0, 2)):
        to = rng.choice([sco.ministers, sco.secretariat.id, *[g.id for g in sco.expert_groups]])
        due: Any = None
        roll = rng.random()
        if roll < 0.4 and not last:
            due = sco.next_summit  # a meeting recorded later in the file
        elif roll < 0.7:
            due = w.d(day + dt.timedelta(days=rng.randint(0, 700)))
        w.add(
            f"mandate/{day.isoformat()}/task-{w.n()}",
            "mandate",
            by=sco.council,
            to=to,
            date=w.d(day),
            task=f"Synthetic task {w.counter}.",
            document=w.out.optional(declaration if rng.random() < 0.6 else None),
            due=w.out.optional(due),
        )


def _year(w: World, sco: Sco, year: int, last: bool) -> None:
    rng = w.rng
    members = w.members()
    day = _day(rng, year, 5, 9)
    if rng.random() < 0.7:
        sco.ministers_ordinal += 1
        w.meeting(
            sco.ministers,
            day - dt.timedelta(days=rng.randint(20, 60)),
            host=rng.choice(members),
            ordinal=sco.ministers_ordinal if rng.random() < 0.7 else None,
        )
    status = rng.choices(("held", "postponed", "cancelled"), (8, 1, 1))[0]
    sco.ordinal += 1
    summit = w.meeting(
        sco.council, day, host=rng.choice(members),
        ordinal=sco.ordinal if rng.random() < 0.8 else None, status=status,
        meeting_id=sco.next_summit,
    )  # fmt: skip
    # Mandates given at this summit may be due at the next one, recorded later in the file.
    sco.next_summit = None if last else w.meeting_id(sco.council, year + 1)
    if status != "held":  # rescheduled: held later that year
        day = min(day + dt.timedelta(days=rng.randint(30, 90)), dt.date(year, 12, 28))
        summit = w.meeting(sco.council, day, host=rng.choice(members), ordinal=None)
    declaration = w.document(
        SCO, day, signers=members, meeting=summit, category="declaration", amends=False
    )
    for _ in range(rng.randint(0, 2)):
        w.document(SCO, day, signers=members, meeting=summit if rng.random() < 0.8 else None)
    _memberships(w, sco, day, summit, declaration)
    _bodies(w, sco, day, year)
    _mandates(w, sco, day, declaration, last)


def build_records(seed: int, *, years: int = 3, s5_summits: int | None = None) -> World:
    """The whole history as one list of records in timeline order (some references point
    forward: a mandate due at the next summit, an organization's founding document)."""
    rng = random.Random(seed)
    w = World(rng, Renderer(rng))
    start = rng.randint(1950, 2040)
    _, sco_year = _shanghai_five(w, start, s5_summits or rng.randint(1, 3))
    sco = _found_sco(w, sco_year)
    for i in range(years):
        year = sco_year + 1 + i
        _year(w, sco, year, last=i == years - 1)
        _offices(w, sco, year)
    return w


def build_history(
    seed: int, *, years: int = 3, files: int = 1, shuffle: bool = True
) -> list[dict[str, Any]]:
    """A valid history as `files` history files (JSON-ready dicts), to import in order.

    Files are cut only where no record refers to a later file and no document is parted from
    the membership records that make its parties members by its date. With `shuffle`, the
    records of each file are in a random order (references within a file may point forward).
    """
    w = build_records(seed, years=years)
    chunks = split_records(w.records, files, w.rng)
    whole = _covers(w.records)
    out = []
    listed: set[str] = set()
    for i, chunk in enumerate(chunks):
        used = sorted(_states_of(chunk))
        states = [c for c in used if c not in listed or w.rng.random() < 0.3]
        listed |= set(used)
        records = list(chunk)
        if shuffle:
            w.rng.shuffle(records)
        out.append(
            {
                "format": FORMAT,
                "title": f"Synthetic history {seed}, part {i + 1} of {len(chunks)}",
                "covers": _covers(chunk) or whole,
                "states": [{"code": c, "name": w.states[c]} for c in states],
                "records": records,
            }
        )
    return out


def build_history_of_size(
    seed: int, *, records: int, files: int = 1, shuffle: bool = True
) -> list[dict[str, Any]]:
    """A valid history of about `records` records (a benchmark's size): the founding years
    give some twenty, each later year about ten more."""
    years = max(1, (records - 20) // 10)
    return build_history(seed, years=years, files=files, shuffle=shuffle)


_STATE_FIELDS = ("state", "host_state", "seat_state", "nationality")


def _states_of(records: list[Record]) -> set[str]:
    out: set[str] = set()
    for r in records:
        out |= {r[f] for f in _STATE_FIELDS if isinstance(r.get(f), str)}
        out |= set(r.get("parties") or ())
    return out


_DATE_FIELDS = ("founded_on", "established", "date", "start_date", "signed_on", "from")


def _covers(records: list[Record]) -> dict[str, str]:
    """The years of the records' dates (and five after, for entries into force); empty when
    no record is dated (a file of undated bodies)."""
    years = [int(r[f][:4]) for r in records for f in _DATE_FIELDS if isinstance(r.get(f), str)]
    if not years:
        return {}
    return {"from": f"{min(years):04d}", "to": f"{max(years) + 5:04d}"}


__all__ = ["ABSENT", "build_history", "build_history_of_size", "build_records"]
