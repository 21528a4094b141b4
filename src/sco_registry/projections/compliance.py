"""The compliance read model: the declaration's norms per year and body, each finding under
a named reading, with the facts behind it.

The rules are `domain/norms.py`'s (pure; `evaluate_all` reports every norm under every
reading, `READINGS` names and states them); this model gathers the facts they are evaluated
over and keeps the findings with both times.

How the rows are made. The facts come from four families of streams: meetings (a held
meeting: body, date, host), memberships (the organization's member terms and admissions),
documents (signed charters: date, meeting) and the organization (its founding). The
projection keeps those streams as recorded (`compliance_events`; less the events of a
document that move none of the fields its facts read, `_inert`) and, per stream, the facts
its fold gives now (`compliance_facts`, one JSON row per stream; `folding.fold`, so
corrections and retractions apply as everywhere). On every event of such a stream it works
out that stream's facts again: within a unit of work (`unit.py`: a page of a rebuild, an
append) each stream's folded state is kept (`_Folds`) and the next event folded onto it,
the stream being folded whole only at its first event in the unit, at a correction or a
retraction, and at an event a correction names. When the facts changed (and only then:
most events of those streams, a meeting scheduled or a document ratified, change no norm
fact, and facts that did not change cannot change a finding), it evaluates the findings
that change can reach and compares them with the current ones (`bitemporal.sync`): a
finding that no longer holds is closed (`recorded_to` = the event's position), a new one
opened. The findings are in scopes of `compliance_findings` (a norm's findings of one
year, and the body's for rotation; the Charter's finding) and a change reaches a few of
them (`_Model`: a meeting's year, a member term's start or moved end and every year after
it for rotation, the years reported when the last one moves); only those are evaluated
(`domain/norms.py`'s own rules; rotation through `norms.Rotation`) and compared. A meeting
of a council added or taken away (the benchmark's write: a year of many meetings) goes
further: `norms.Rotation.point` evaluates only the rotation findings it can reach, and
only the open rows of the meetings whose findings changed are compared (`_point`), so
its cost does not grow with the year's meetings. The groups together are `norms.evaluate_all`:
`tests/integration/projections/test_compliance_incremental.py` checks the findings known
at every position of three histories against it. Events of other streams change nothing.

The model (`_Model`: the facts the findings are evaluated from, a few entries per council
meeting, charter, member term and year) is read from `compliance_facts` once and kept in
memory between units (`_KEPT`, per table and database): a unit uses it again only when the
tables stand where it does (the last event of `compliance_events` is the last it applied),
so a unit rolled back, or tables written by another process, make it read again.

Read functions take `known_at` (a log position; None: now).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain import catalog, documents, meetings, membership, norms, organization
from sco_registry.domain.corrections import CORRECTION_TYPES
from sco_registry.domain.folding import StoredEvent, effective, fold
from sco_registry.domain.membership import MembershipChange
from sco_registry.domain.periods import RecordPeriod, record_time_sql
from sco_registry.domain.time import PartialDate, parse_cached
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
    # 3: a scope per norm and year (and council): other ordinals than 2's.
    version = 3

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
        data = catalog.upcast(event.type, event.schema_version, event.data)
        buffer = unit.active(conn)
        if buffer is None:
            _apply_at_once(conn, tables, event, data)
            return
        sid, new = event.stream_id, event.stream_version == 1
        if not new and sid.startswith("document/") and _inert(event.type):
            return  # moves no field a document's facts read (`_inert`): not even kept
        model = _Model.of(conn, tables, buffer)
        model.last_event = event
        folds = _Folds.of(buffer, model)
        before: Mapping[str, Any] | None = None
        if not new:
            before = folds.last(sid)
            if before is None:
                before = model.facts.get(sid)
            if before is None:  # {} or facts of no consequence to the model: as stored
                before = _Facts.of(conn, tables[FACTS]).get(conn, sid)
        now = folds.facts_after(conn, tables[EVENTS], event, data)
        if not new and before == now:
            return  # the stream's facts as they were: so are the findings
        _Facts.of(conn, tables[FACTS]).put(conn, sid, now, new=new)
        if not now and not before:
            return  # no facts before or after (`{}` adds nothing to `norm_facts`)
        _sync(conn, tables[FINDINGS], event, model.change(sid, before or {}, now), model)


def _sync(
    conn: Connection, findings: sa.Table, event: RecordedEvent, groups: list[Group], model: _Model
) -> None:
    used = 0
    buffer = unit.active(conn)
    for scope, found, part in groups:
        if part is not None and buffer is not None:
            used += _sync_part(conn, buffer, findings, scope, part, found, event, used, model)
            continue
        used += bitemporal.sync(
            conn,
            findings,
            scope=scope,
            content=CONTENT,
            derived=[finding_columns(f) for f in found],
            event=event,
            ordinal_base=used,
            where=None if part is None else _among(part),
        )


def _among(part: frozenset[tuple[str, str]]) -> Callable[[Mapping[Any, Any]], bool]:
    """The open rotation findings of a scope that are among `part` ((reading, meeting id):
    a rotation finding's meeting is the last of its evidence), the rest left as they are."""

    def accepts(row: Mapping[Any, Any]) -> bool:
        return _part_key(row) in part

    return accepts


def _part_key(row: Mapping[Any, Any]) -> tuple[str, str] | None:
    evidence = row["evidence"]
    return (row["reading"], evidence[-1]) if evidence else None


def _sync_part(
    conn: Connection,
    buffer: unit.Unit,
    table: sa.Table,
    scope: dict[str, Any],
    part: frozenset[tuple[str, str]],
    found: list[norms.Finding],
    event: RecordedEvent,
    ordinal_base: int,
    model: _Model,
) -> int:
    """`bitemporal.sync` of the rotation findings `part` of a scope alone (`where` =
    `_among(part)`: the same rows closed and opened, the same ordinals), under a unit,
    without going over the scope's other open rows: each is found by its (reading,
    meeting id) in the model's index of the scope's open rows (`_Model.open_index`: where
    each is in the unit's list of them, `bitemporal.open_rows`), made once for the list
    and kept as the list changes here (a row closed is taken out of the list by moving
    the last one into its place: their order is no part of what a sync decides, a
    rotation finding's content being one of a kind). A scope with two open rows of one
    (reading, meeting id) is synced by `bitemporal.sync` (a meeting has one finding under
    each reading: the index refuses them)."""
    current = bitemporal.open_rows(conn, table, scope)
    assert isinstance(current, list)
    scope_key = unit.scope_key(table, scope)
    index = model.open_index(scope_key, current)
    derived = [finding_columns(f) for f in found]
    if index is None:
        return bitemporal.sync(
            conn,
            table,
            scope=scope,
            content=CONTENT,
            derived=derived,
            event=event,
            ordinal_base=ordinal_base,
            where=_among(part),
        )
    closed: list[dict[str, Any]] = []
    keys = [c.name for c in table.primary_key.columns]
    want: set[tuple[str, str]] = set()
    opened: list[tuple[int, Mapping[str, Any]]] = []
    for i, content in enumerate(derived):
        key = (content["reading"], content["evidence"][-1])
        want.add(key)
        at = index.get(key)
        if at is not None:
            row = current[at]
            if bitemporal.fingerprint(row, CONTENT) == bitemporal.fingerprint(content, CONTENT):
                continue  # still holds
            _close(buffer, row, event, keys, closed)
            _take(current, index, key)
        opened.append((ordinal_base + i, content))
    for key in part - want:
        if key in index:
            _close(buffer, current[index[key]], event, keys, closed)
            _take(current, index, key)
    if closed:
        buffer.closes.setdefault(table, []).extend(closed)
    first = len(current)
    made = bitemporal.append(conn, table, scope=scope, rows=opened, event=event)
    for j, row in enumerate(made):
        index[(row["reading"], row["evidence"][-1])] = first + j
    model.indexed(scope_key, current)
    return len(derived)


def _take(rows: list[Any], index: dict[tuple[str, str], int], key: tuple[str, str]) -> None:
    """Take the row of `key` out of `rows`, the last row moved into its place."""
    at = index.pop(key)
    last = rows.pop()
    if at < len(rows):
        rows[at] = last
        moved = _part_key(last)
        if moved is not None:
            index[moved] = at


def _close(
    buffer: unit.Unit,
    row: dict[str, Any],
    event: RecordedEvent,
    keys: list[str],
    closed: list[dict[str, Any]],
) -> None:
    """Close an open row of the unit's (as `bitemporal.sync` does)."""
    if id(row) in buffer.pending:
        row["recorded_to"] = event.position  # the unit's own row: inserted closed
    else:
        closed.append({"p_to": event.position, **{f"k_{c}": row[c] for c in keys}})


def _apply_at_once(
    conn: Connection, tables: Tables, event: RecordedEvent, data: Mapping[str, Any]
) -> None:
    """An event applied outside a unit of work (`unit.py`; an event applied alone after its
    page failed): the stream and every stream's facts read from the tables, written at once."""
    if event.stream_version > 1 and event.stream_id.startswith("document/") and _inert(event.type):
        return
    events, facts = tables[EVENTS], tables[FACTS]
    stream = streams.keep(
        conn, events, ("stream_id", event.stream_id), event, {"data": data}, _STORED
    )
    stored = [StoredEvent(uuid.UUID(i), t, d) for i, t, d in stream]
    now = stream_facts(event.stream_id, stored)
    known = _Facts(facts, buffered=False)
    if event.stream_version == 1:
        before = None  # a new stream: no facts row yet
    else:
        before = known.get(conn, event.stream_id)
        if before == now:
            return
    model = _Model(known.every(conn))
    known.put(conn, event.stream_id, now, new=event.stream_version == 1)
    if not now and not before:
        return
    _sync(conn, tables[FINDINGS], event, model.change(event.stream_id, before or {}, now), model)


_DEFAULTS = norms.NormFacts(None)
HEADS_OF_STATE = _DEFAULTS.heads_of_state_body
ROTATING = _DEFAULTS.rotating_bodies
ANNUAL, ROTATION = "annual_heads_of_state_meeting", "rotation"
ADMISSION, CHARTER = "admission_by_consensus", "charter_signed_2002"
# A scope of `compliance_findings` (a norm's findings of one year; the Charter's), the
# findings it holds now, and the part of it they are (None: the whole scope; else the
# rotation findings of these (reading, meeting id), the others unchanged). The scopes are
# disjoint: each row is in exactly one.
Group = tuple[dict[str, Any], list[norms.Finding], frozenset[tuple[str, str]] | None]
Marker = tuple[int, str, str, str] | None

# The model kept between units of work (a rebuild's pages, appends), per findings table
# and database (`_database`): (the database, the model). Checked at each unit's start
# against the last event the events table holds (`_marker`): a unit rolled back or written
# by another process makes it stale. Units writing the same tables never run at once
# (every projection write holds the store's append lock: BEGIN IMMEDIATE on SQLite, the
# advisory lock on PostgreSQL, the in-memory store's lock), so a kept model is used by one
# unit at a time.
_KEPT: dict[tuple[sa.Table, int], tuple[weakref.ref[Any], _Model]] = {}
_KEPT_MAX = 4
_KEPT_LOCK = threading.Lock()


def _database(conn: Connection) -> Any:
    """What the kept model is kept by: the connection's pool, which the engines of one
    database share (the SQLite store appends on the event loop's thread through an engine
    with other execution options than its writer thread's, over the same pool: kept by the
    engine, each of the two found the other's writes in the tables, at every switch, and
    read the whole model again, about 0.3 s on the 100,000-event log)."""
    return conn.engine.pool


def _marker_of(event: RecordedEvent) -> Marker:
    return (event.position, statements.uuid_text(event.event_id), event.stream_id, event.type)


def _marker(conn: Connection, events: sa.Table) -> Marker:
    def build(t: sa.Table) -> sa.Select[Any]:
        columns = (t.c.position, t.c.event_id, t.c.stream_id, t.c.event_type)
        return sa.select(*columns).order_by(t.c.position.desc()).limit(1)

    row = conn.execute(statements.cached(events, "last", build)).first()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]), str(row[3]))


def _marker_sql(conn: Connection, events: sa.Table) -> str:
    """`_marker`'s row as one value (a JSON array, or NULL: no row), for `Deferred.check`."""

    def build(t: sa.Table) -> str:
        name = conn.dialect.identifier_preparer.format_table(t)
        return (
            "SELECT json_build_array(e.position, e.event_id, e.stream_id, e.event_type)::text"
            f" FROM {name} AS e ORDER BY e.position DESC LIMIT 1"
        )

    return statements.cached(events, ("marker-sql", conn.dialect.name), build)


def _marker_value(value: str | None) -> Marker:
    """`_marker_sql`'s value in `_marker`'s form."""
    if value is None:
        return None
    position, event_id, stream_id, event_type = orjson.loads(value)
    return (int(position), str(event_id), str(stream_id), str(event_type))


def _stands(value: str | None, marker: Marker) -> bool:
    """Whether the tables' last event (`_marker_sql`'s value) is the one of `marker`."""
    return _marker_value(value) == marker


def _drop(key: tuple[sa.Table, int], model: _Model) -> None:
    """Forget the kept model `model` (found not to stand where its tables do)."""
    with _KEPT_LOCK:
        kept = _KEPT.get(key)
        if kept is not None and kept[1] is model:
            del _KEPT[key]


class _Folds:
    """Each stream's state folded so far in this unit, and the events its corrections name:
    the next event of the stream is folded onto it (the stream's effective events are the
    same plus it, unless it is a correction or one names it: then the stream is folded
    again, as `folding.fold` does)."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[Any, frozenset[uuid.UUID], dict[str, Any]]] = {}
        # The stream version of each held stream's last event (what `carry` keeps by).
        self.lengths: dict[str, int] = {}

    def last(self, stream_id: str) -> dict[str, Any] | None:
        """The stream's facts after its last event folded (None: not held)."""
        held = self.states.get(stream_id)
        return None if held is None else held[2]

    @classmethod
    def of(cls, buffer: unit.Unit, model: _Model) -> _Folds:
        """The model's folds for this unit: at its first event, those of the long streams
        carried from the units before (`carry`)."""
        key = ("compliance.folds", id(model))
        found: _Folds | None = buffer.memo.get(key)
        if found is None:
            found = buffer.memo[key] = model.folds
            found.carry()
        return found

    def carry(self) -> None:
        """Keep the states of the long streams only (`_CARRIED` events or more), for the
        next units: a stream whose events fall one a page (a state's membership, the
        organization) would otherwise be read and folded whole at each of them, its cost
        growing with its length. The states are the model's (`_Model.folds`), as right as
        it is: a unit rolled back or another process's write makes the model, and them,
        be read again (`_Model.of`). Short streams are folded whole again, cheaply."""
        short = [s for s, n in self.lengths.items() if n < _CARRIED]
        for sid in short:
            del self.lengths[sid]
            self.states.pop(sid, None)

    def facts_after(
        self, conn: Connection, events: sa.Table, event: RecordedEvent, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        sid = event.stream_id
        evolve, initial = _family(sid)
        document = sid.startswith("document/")
        self.lengths[sid] = event.stream_version
        held = self.states.get(sid)
        if (
            held is not None
            and event.type not in CORRECTION_TYPES
            and event.event_id not in held[1]
        ):
            streams.add(conn, events, ("stream_id", sid), event, {"data": data})
            if document and (
                event.type not in _DOCUMENT_FACTS
                or (held[0] is None and not _names_charter(event.type, data))
            ):
                return held[2]  # moves none of the fields the facts read; or no charter
            if held[0] is None:  # a document that names a charter now: fold it whole
                return self._whole(sid, streams.read(conn, events, ("stream_id", sid), _STORED))
            state = evolve(held[0], _decode(event.type, data))
            facts = _state_facts(sid, state)
            self.states[sid] = (state, held[1], facts)
            return facts
        if event.stream_version == 1 and event.type not in CORRECTION_TYPES:
            # A new stream: its effective events are this one (`fold` over it, less the copy).
            streams.add(conn, events, ("stream_id", sid), event, {"data": data})
            if document and not _names_charter(event.type, data):
                self.states[sid] = (None, frozenset(), {})
                return {}
            state = evolve(initial(), _decode(event.type, data))
            facts = _state_facts(sid, state)
            self.states[sid] = (state, frozenset(), facts)
            return facts
        return self._whole(
            sid, streams.keep(conn, events, ("stream_id", sid), event, {"data": data}, _STORED)
        )

    def _whole(self, sid: str, stream: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
        """The stream folded whole (`folding.fold`): its facts, and its state kept (None:
        a document none of whose events names a charter, not folded: its facts are `{}`)."""
        named = frozenset(
            uuid.UUID(str(d["event_id"])) for _, t, d in stream if t in CORRECTION_TYPES
        )
        if sid.startswith("document/") and not any(_names_charter(t, d) for _, t, d in stream):
            self.states[sid] = (None, named, {})
            return {}
        evolve, initial = _family(sid)
        stored = [StoredEvent(uuid.UUID(i), t, d) for i, t, d in stream]
        state = initial()
        for e in effective(stored):
            state = evolve(state, _decode(e.type, e.data))
        facts = _state_facts(sid, state)
        self.states[sid] = (state, named, facts)
        return facts


def _decode(event_type: str, data: Mapping[str, Any]) -> Any:
    """The event without its sources: the folds compliance makes read no event's sources
    (`_state_facts` reads none of a state's fields they set)."""
    return catalog.from_json(event_type, data, sources=False)


def _names_charter(event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether an event of a document (as stored: a correction names its changes) gives it
    the category `charter`. A document none of whose events does is no charter, whatever
    else they say (`documents.evolve` takes the category from them alone), and holds no
    norm facts (`stream_facts`): it is not folded."""
    if event_type == "EventCorrected":
        changes = data.get("changes")
        return isinstance(changes, Mapping) and changes.get("category") == "charter"
    return bool(data.get("category") == "charter")


# The events of a document that move what its norm facts read (`documents.evolve`: the
# category, whether and when it is signed, at which meeting); the others (a ratification,
# the entry into force, a supersession, an amendment) set other fields of the state, which
# no later event reads. So the state `_Folds` holds for a document may lack them: its facts
# are the same.
_DOCUMENT_FACTS = frozenset({"DraftingMandated", "DocumentSigned"})
# The rotation scopes whose open rows the model keeps indexed (`_Model.open_index`).
_INDEXED = 16
# The length from which a stream's folded state is carried from one unit to the next
# (`_Folds.carry`).
_CARRIED = 8


class _Model:
    """Every stream's norm facts (`stream_facts`), kept up to date stream by stream, in the
    shapes the findings are evaluated from, and the findings a change of one stream's facts
    can change: each norm's findings are kept per year (one scope of `compliance_findings`
    each: norm, year, and body for rotation; the Charter's one finding its own) and a change
    evaluates and syncs only the years it can reach. What the findings depend on
    (`domain/norms.py`):

    * annual: the heads of state's meetings of a year, and the years reported (from the
      founding to the last year with a meeting or an admission: `last`);
    * rotation of a council: the council's meetings up to the meeting, and the members on
      each meeting's date; so a change reaches the council's findings from the earliest year
      it touches (a meeting's old or new year; a member term's start, or where only its end
      moved, the earlier end) on. `norms.Rotation` keeps the council's meetings in order
      with what the readings carry from one to the next, so only the meetings from that
      year on are evaluated again; one meeting added or taken away reaches fewer
      (`norms.Rotation.point`: the next meeting, the next turn of each host, the cycles
      until they settle), and only those meetings' findings are synced (`_point`);
    * admissions: the admissions of a year, and the years reported;
    * Charter: the first signed charter, the meeting it names, and `last`.

    The founding reaches annual, admissions and the Charter whole (rotation only when the
    founding comes or goes: without one there are no findings). The findings of all groups
    together are `norms.evaluate_all`'s (the compliance tests compare them, at every
    position of a history).

    Kept between units of work (`_KEPT`); its size is a few entries per held meeting (the
    meeting, its facts, three list entries per rotating council), per signed charter, per
    member term and admission, and per year reported; streams without norm facts (most
    documents, meetings not held) hold nothing here."""

    def __init__(self, every: Mapping[str, Mapping[str, Any]]) -> None:
        # The last event applied (None: as the tables stood when the model was read).
        self.last_event: RecordedEvent | None = None
        self.marker: Marker = None  # of the tables when read
        self.facts: dict[str, Mapping[str, Any]] = {}  # the streams with `_material` facts
        self.founded: PartialDate | None = None
        self.held: dict[str, norms.HeldMeeting] = {}  # the councils' held meetings, by stream
        self.annual: dict[int, dict[str, norms.HeldMeeting]] = {}  # heads of state, by year
        self.rotations = {b: norms.Rotation(b) for b in ROTATING}
        self.years: Counter[int] = Counter()  # of held meetings and admissions
        self._max_year: int | None = None  # the greatest of `years` (None: work it out)
        self.terms: dict[str, list[norms.MemberTerm]] = {}
        self.admitted: dict[str, list[norms.Admission]] = {}
        self.charters: dict[str, norms.SignedDocument] = {}
        self._first: norms.SignedDocument | None = None  # the first charter signed
        self._first_known = True
        self._members: dict[PartialDate, frozenset[str]] = {}  # members on a date
        # Each stream's member terms as (state, first day, last day of the end or None).
        self._spans: dict[str, list[tuple[str, dt.date, dt.date | None]]] = {}
        self.folds = _Folds()  # the long streams' folded states, carried between units
        # A change's meetings added to (True) and taken from (False) each rotation.
        self._moves: dict[str, list[tuple[bool, norms.HeldMeeting, int]]] = {}
        self._gone: dict[str, norms.Triple | None] = {}  # the findings of the meeting taken
        # Per rotation scope: a unit's list of its open rows, its length when indexed, and
        # its rows by (reading, meeting id) (`_sync_part`); the last few scopes only.
        self._index: dict[Any, tuple[list[Any], int, dict[tuple[str, str], int]]] = {}
        for stream_id, facts in every.items():
            if facts:
                self._add(stream_id, facts, 1)
                if _material(facts):
                    self.facts[stream_id] = facts
        if self.last() is not None:  # founded: the rotations' findings are evaluated
            for rotation in self.rotations.values():
                rotation.tail(0, self.members_on)  # what each meeting carries to the next

    @classmethod
    def of(cls, conn: Connection, tables: Tables, buffer: unit.Unit) -> _Model:
        """The model for this unit: the one kept, when it stands where the tables do."""
        findings = tables[FINDINGS]
        found: _Model | None = buffer.memo.get(("compliance.model", findings))
        if found is not None:
            return found
        database = _database(conn)
        key = (findings, id(database))
        kept = _KEPT.get(key)
        held = None if kept is None or kept[0]() is not database else kept[1]
        pending = statements.pending(conn)
        if held is not None and pending is not None:
            # An inline apply on PostgreSQL: the kept model is taken as standing where the
            # tables do, and the append's one statement of writes checks it, on the tables
            # as it finds them (under the append lock, before its own writes): if they moved,
            # the model is dropped and the append rolled back and made again, reading it.
            expected = held.stands_at()
            pending.check(
                _marker_sql(conn, tables[EVENTS]),
                lambda value: _stands(value, expected),
                "the compliance model's tables moved",
                lambda: _drop(key, held),
            )
            found = held
        else:
            marker = _marker(conn, tables[EVENTS])
            if held is not None and held.stands_at() == marker:
                found = held
            else:
                found = cls(_Facts(tables[FACTS], buffered=False).every(conn))
                found.marker = marker
                with _KEPT_LOCK:  # (units of one table's writes are serialized: others')
                    _KEPT.pop(key, None)
                    while len(_KEPT) >= _KEPT_MAX:
                        del _KEPT[next(iter(_KEPT))]
                    _KEPT[key] = (weakref.ref(database), found)
        buffer.memo[("compliance.model", findings)] = found
        return found

    def open_index(self, key: Any, rows: list[Any]) -> dict[tuple[str, str], int] | None:
        """Where each of the scope's open rows `rows` (a unit's list of them) is in it, by
        (reading, meeting id): kept from the last time, if made for this very list as it
        was left then (a list read again, replaced or added to elsewhere is indexed
        again). None: two rows of one (reading, meeting id)."""
        kept = self._index.pop(key, None)
        if kept is None or kept[0] is not rows or kept[1] != len(rows):
            found: dict[tuple[str, str], int] = {}
            for at, row in enumerate(rows):
                k = _part_key(row)
                if k is not None:
                    if k in found:
                        return None
                    found[k] = at
            kept = (rows, len(rows), found)
        while len(self._index) >= _INDEXED:
            del self._index[next(iter(self._index))]
        self._index[key] = kept
        return kept[2]

    def indexed(self, key: Any, rows: list[Any]) -> None:
        """The scope's list given to `open_index`, as `_sync_part` left it."""
        self._index[key] = (rows, len(rows), self._index[key][2])

    def stands_at(self) -> Marker:
        """The last event the model has applied (`_marker`'s form)."""
        return self.marker if self.last_event is None else _marker_of(self.last_event)

    # -- the facts ------------------------------------------------------------------------

    def _add(self, stream_id: str, f: Mapping[str, Any], sign: int) -> None:
        """Add (`sign` 1) or take away (-1) the contribution of one stream's facts."""
        parse = _parse
        if stream_id == ORGANIZATION:
            founded = f.get("founded_on")
            self.founded = parse(founded) if sign > 0 and founded is not None else None
            return
        if "meeting" in f:
            held = _held(stream_id, f["meeting"])
            year = held.start_date.year
            self._count(year, sign)
            if held.body_id not in _COUNCILS:
                return  # only its year counts (`last`)
            rotation = self.rotations.get(held.body_id)
            if sign > 0:
                self.held[stream_id] = held
                if held.body_id == HEADS_OF_STATE:
                    self.annual.setdefault(year, {})[stream_id] = held
                if rotation is not None:
                    at = rotation.insert(held)
                    self._moves.setdefault(held.body_id, []).append((True, held, at))
            else:
                del self.held[stream_id]
                if held.body_id == HEADS_OF_STATE:
                    del self.annual[year][stream_id]
                    if not self.annual[year]:
                        del self.annual[year]
                if rotation is not None:
                    triple = rotation.found[rotation.index(held)]
                    at = rotation.remove(held)
                    self._moves.setdefault(held.body_id, []).append((False, held, at))
                    self._gone[held.body_id] = triple
        code = stream_id.removeprefix("membership/")
        if "terms" in f:
            terms = [
                norms.MemberTerm(code, parse(a), None if b is None else parse(b))
                for a, b in f["terms"]
            ]
            self._put(self.terms, stream_id, terms, sign)
            spans = [
                (t.state, t.since.lower, None if t.until is None else t.until.upper) for t in terms
            ]
            self._put(self._spans, stream_id, spans, sign)
            self._members.clear()
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
                signed = self.charters[stream_id] = norms.SignedDocument(
                    stream_id, d["category"], parse(d["signed_on"]), d["meeting"]
                )
                first = self._first
                if self._first_known and (
                    first is None or _charter_key(signed) < _charter_key(first)
                ):
                    self._first = signed
            else:
                gone = self.charters.pop(stream_id)
                if self._first is not None and gone.document_id == self._first.document_id:
                    self._first, self._first_known = None, False

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
            if year == self._max_year:
                self._max_year = None
        elif sign > 0 and self._max_year is not None and year > self._max_year:
            self._max_year = year

    def last(self) -> int | None:
        if self.founded is None:
            return None
        if not self.years:
            return self.founded.year
        if self._max_year is None:
            self._max_year = max(self.years)
        return max(self.founded.year, self._max_year)

    def first_charter(self) -> norms.SignedDocument | None:
        if not self._first_known:
            found = self.charters.values()
            self._first = min(found, key=_charter_key) if found else None
            self._first_known = True
        return self._first

    def members_on(self, date: PartialDate) -> frozenset[str]:
        found = self._members.get(date)
        if found is None:
            # `MemberTerm.covers` over every term, each term's bounds worked out once.
            lo, hi = date.lower, date.upper
            found = self._members[date] = frozenset(
                state
                for spans in self._spans.values()
                for state, since, until in spans
                if since <= hi and (until is None or not until < lo)
            )
        return found

    # -- a change -------------------------------------------------------------------------

    def change(
        self, stream_id: str, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> list[Group]:
        """Apply one stream's change of facts; the scopes to sync, with their findings."""
        founded_before, last_before = self.founded, self.last()
        self._moves.clear()
        self._gone.clear()
        self._add(stream_id, before, -1)
        self._add(stream_id, after, 1)
        if _material(after):
            self.facts[stream_id] = after
        else:
            self.facts.pop(stream_id, None)
        if stream_id == ORGANIZATION:
            return self._whole(founded_before, last_before)
        if self.founded is None:
            return []  # no findings before the founding is recorded, nor after
        first, last = self.founded.year, self.last()
        assert last is not None and last_before is not None
        annual: set[int] = set()
        admission: set[int] = set()
        rotation: dict[str, int] = {}
        moved: dict[str, set[int]] = {}  # a council's years of the meeting before the change
        charter = False
        if last != last_before:
            reach = set(range(min(last, last_before) + 1, max(last, last_before) + 1))
            annual |= reach
            admission |= reach
            charter = True
        first_charter = self.first_charter()
        for f in (before, after):
            if "meeting" in f:
                m = f["meeting"]
                year = _parse(m["start_date"]).year
                if m["body_id"] == HEADS_OF_STATE:
                    annual.add(year)
                if m["body_id"] in ROTATING:
                    rotation[m["body_id"]] = min(year, rotation.get(m["body_id"], year))
                    moved.setdefault(m["body_id"], set()).add(year)
                if first_charter is not None and first_charter.meeting == stream_id:
                    charter = True
            if "document" in f and f["document"]["category"] == "charter":
                charter = True
        start = None
        if "terms" in before or "terms" in after:
            start = _terms_reach(before.get("terms", []), after.get("terms", []))
        if start is not None:
            for body in ROTATING:
                rotation[body] = min(start, rotation.get(body, start))
        admissions = _sym(
            {_key(a) for a in before.get("admissions", [])},
            [_key(a) for a in after.get("admissions", [])],
        )
        admission |= {_parse(date).year for date, _, _ in admissions}
        groups: list[Group] = []
        for y in sorted(annual):
            groups.append(({"norm": ANNUAL, "year": y}, self._annual(y, first, last), None))
        for body in ROTATING:
            if body in rotation:
                point = None if start is not None else self._point(body)
                if point is None:
                    point = self._rotation(body, rotation[body], moved.get(body, set()))
                groups += point
        for y in sorted(admission):
            groups.append(({"norm": ADMISSION, "year": y}, self._admissions(y, first, last), None))
        if charter:
            groups.append(({"norm": CHARTER}, self._charter(), None))
        return groups

    def _whole(self, founded_before: PartialDate | None, last_before: int | None) -> list[Group]:
        """After a change of the founding: every scope it reaches, whole."""

        def reported(founded: PartialDate | None, last: int | None) -> set[int]:
            if founded is None or last is None:
                return set()
            return set(range(founded.year, last + 1))

        old, new = reported(founded_before, last_before), reported(self.founded, self.last())
        groups: list[Group] = []
        first, last = (0, -1) if self.founded is None else (self.founded.year, self.last() or 0)
        for y in sorted(old | new):
            groups.append(({"norm": ANNUAL, "year": y}, self._annual(y, first, last), None))
        if (founded_before is None) != (self.founded is None):
            for body in ROTATING:
                groups += self._rotation(body, None, set())
        for y in sorted(old | new):
            groups.append(({"norm": ADMISSION, "year": y}, self._admissions(y, first, last), None))
        groups.append(({"norm": CHARTER}, [] if self.founded is None else self._charter(), None))
        return groups

    # -- the groups' findings (`domain/norms.py`'s rules over the group's facts) ----------

    def _facts(self, **parts: Any) -> norms.NormFacts:
        return norms.NormFacts(founded_on=self.founded, organization_id=ORGANIZATION, **parts)

    def _annual(self, year: int, first: int, last: int) -> list[norms.Finding]:
        if not first <= year <= last:
            return []
        held = self.annual.get(year, {})
        facts = self._facts(meetings=tuple(held[s] for s in sorted(held)))
        return norms.annual(facts, year, year)

    def _rotation(self, body: str, since: int | None, moved: set[int]) -> list[Group]:
        """The council's findings from `since` on (None: all; none without a founding),
        by year, with the years `moved` (its meetings' before the change) synced too."""
        rotation = self.rotations[body]
        start = 0 if since is None else rotation.first_of_year(since)
        found = [] if self.founded is None else rotation.tail(start, self.members_on)
        by_year: dict[int, list[norms.Finding]] = {}
        for m in rotation.held[start:]:
            by_year.setdefault(m.start_date.year, [])
        for y in moved:
            if since is None or y >= since:
                by_year.setdefault(y, [])
        for f in found:
            by_year[f.year].append(f)
        return [
            ({"norm": ROTATION, "body": body, "year": y}, by_year[y], None) for y in sorted(by_year)
        ]

    def _point(self, body: str) -> list[Group] | None:
        """After one meeting of the council added or taken away (the members unchanged),
        the findings that changed (`norms.Rotation.point`), by year, each year's scope
        synced over the findings of those meetings alone; None: not such a change (or
        findings not evaluated yet), `_rotation`'s to sync."""
        moves = self._moves.get(body, [])
        if len(moves) != 1:
            return None
        add, m, at = moves[0]
        rotation = self.rotations[body]
        gone = None if add else self._gone.get(body)
        if not add and gone is None:
            return None
        changed = rotation.point(
            at, self.members_on, added=m if add else None, gone=None if add else m
        )
        if changed is None:
            return None
        readings = (norms.EVERY_MEMBER_BETWEEN_TURNS, norms.NO_CONSECUTIVE_HOST, norms.CYCLE)
        parts: dict[int, set[tuple[str, str]]] = {}
        found: dict[int, list[norms.Finding]] = {}
        if gone is not None:
            parts[m.start_date.year] = {(r, m.meeting_id) for r in readings}
            found[m.start_date.year] = []
        for i, _ in changed:
            held, triple = rotation.held[i], rotation.found[i]
            assert triple is not None
            year = held.start_date.year
            parts.setdefault(year, set()).update((r, held.meeting_id) for r in readings)
            found.setdefault(year, []).extend(triple)
        return [
            ({"norm": ROTATION, "body": body, "year": y}, found[y], frozenset(parts[y]))
            for y in sorted(parts)
        ]

    def _admissions(self, year: int, first: int, last: int) -> list[norms.Finding]:
        if not first <= year <= last:
            return []
        admitted = tuple(
            a for s in sorted(self.admitted) for a in self.admitted[s] if a.date.year == year
        )
        return norms.admissions(self._facts(admissions=admitted), year, year)

    def _charter(self) -> list[norms.Finding]:
        last = self.last()
        assert last is not None
        first = self.first_charter()
        charters = () if first is None else (first,)
        at = None if first is None or not first.meeting else self.held.get(first.meeting)
        meetings = () if at is None else (at,)
        return norms.charter(self._facts(meetings=meetings, documents=charters), last)


_COUNCILS = frozenset({HEADS_OF_STATE, *ROTATING})


def _material(f: Mapping[str, Any]) -> bool:
    """Whether the model keeps these facts of a stream (the others are read back from
    `compliance_facts` when their stream changes): all but a meeting of a body other than
    the councils (only its year counts) and a signed document other than a charter."""
    if "meeting" in f:
        return f["meeting"]["body_id"] in _COUNCILS
    if "document" in f:
        return bool(f["document"]["category"] == "charter")
    return bool(f)


def _inert(event_type: str) -> bool:
    """An event of a document that cannot change its norm facts (`_DOCUMENT_FACTS`): the
    model neither keeps it in `compliance_events` nor folds it (a document's first event is
    kept whatever it is, its facts row being made then). A correction or a retraction of
    one changes no facts either (`folding.effective` finds no event of the id)."""
    return event_type not in _DOCUMENT_FACTS and event_type not in CORRECTION_TYPES


def _held(stream_id: str, m: Mapping[str, Any]) -> norms.HeldMeeting:
    return norms.HeldMeeting(stream_id, m["body_id"], _parse(m["start_date"]), m["host_state"])


def _charter_key(d: norms.SignedDocument) -> tuple[Any, ...]:
    return (d.signed_on.sort_key, d.document_id)


def _terms_reach(before: Sequence[Any], after: Sequence[Any]) -> int | None:
    """The first year a change of one state's member terms can change the members on a
    date of (None: the terms did not change). A term that came or went reaches from its
    start; a term whose end alone moved (the same start before and after), from the earlier
    of its ends: before it, the term covers a date alike (`MemberTerm.covers`)."""
    old = Counter(tuple(t) for t in before)
    new = Counter(tuple(t) for t in after)
    gone, came = list((old - new).elements()), list((new - old).elements())
    if not gone and not came:
        return None
    reach: list[int] = []
    for since, until in gone:
        partner = next((t for t in came if t[0] == since), None)
        if partner is None:
            reach.append(_parse(since).year)
            continue
        came.remove(partner)
        ends = [_parse(u).year for u in (until, partner[1]) if u is not None]
        reach.append(min(ends))  # not both None: they differ
    reach += [_parse(since).year for since, _ in came]
    return min(reach)


def _key(a: Mapping[str, Any]) -> tuple[Any, ...]:
    return (a["date"], a["meeting"], a["document"])


def _sym(before: set[tuple[Any, ...]], after: Sequence[Any]) -> set[tuple[Any, ...]]:
    """The items in one of `before` and `after` but not in both (as tuples)."""
    return before ^ {tuple(a) for a in after}


class _Facts:
    """The `compliance_facts` table: read and written at once, or, under a unit
    (`unit.py`), the changed rows written at `flush` (a delete and an insert each, as at
    once)."""

    def __init__(self, table: sa.Table, buffered: bool) -> None:
        self.table = table
        self.buffered = buffered
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
        key = {"w_stream_id": stream_id}
        return conn.execute(statements.cached(self.table, "facts", _facts_of), key).scalar()

    def put(self, conn: Connection, stream_id: str, facts: Any, *, new: bool) -> None:
        if self.buffered:
            self.changed[stream_id] = facts
            return
        if not new:
            conn.execute(
                statements.cached(self.table, "delete", _delete), {"w_stream_id": stream_id}
            )
        conn.execute(statements.insert(self.table), {"stream_id": stream_id, "facts": facts})

    def every(self, conn: Connection) -> dict[str, Any]:
        """Every stream's facts, by stream id (as the table holds them)."""
        every = statements.cached(self.table, "all", lambda t: sa.select(t.c.stream_id, t.c.facts))
        return {r[0]: r[1] for r in conn.execute(every)}

    def flush(self, conn: Connection) -> None:
        """The rows changed, each written over the stream's row (`statements.upsert_rows`:
        what a DELETE and an INSERT leave), so that inline on PostgreSQL it is a part of
        the append's one statement (`Deferred`), not a DELETE of its own before it."""
        statements.upsert_rows(
            conn, self.table, [{"stream_id": s, "facts": f} for s, f in self.changed.items()]
        )


def _facts_of(facts: sa.Table) -> sa.Select[Any]:
    return sa.select(facts.c.facts).where(facts.c.stream_id == sa.bindparam("w_stream_id"))


def _delete(facts: sa.Table) -> sa.Delete:
    return facts.delete().where(facts.c.stream_id == sa.bindparam("w_stream_id"))


LIVE: Tables = ComplianceProjection.define(metadata)
ComplianceProjection.tables = LIVE


def warm(conn: Connection) -> None:
    """Read the kept model of the live tables now (a server's start-up, before it freezes
    its heap: `cli/serving.freeze_startup_heap`), rather than at the first append: built
    then, its ~35,000 objects stayed in the collector's generations, and each full
    collection walked them (53,000 objects after 500 writes instead of 18,400; 39-66 ms
    pauses of every request in flight). Kept as any unit's model is (`_Model.of`): checked
    against the events table's last event at each unit's start, so an append landing after
    this read makes it stale, read again then."""
    _Model.of(conn, LIVE, unit.Unit())


def _date(value: PartialDate | None) -> str | None:
    return None if value is None else str(value)


Evolve = Callable[[Any, Any], Any]


def _family(stream_id: str) -> tuple[Evolve, Callable[[], Any]]:
    """The fold of a stream of compliance's families: its `evolve` and initial state's
    class."""
    if stream_id == ORGANIZATION:
        return organization.evolve, organization.OrganizationState
    if stream_id.startswith("meeting/"):
        return meetings.evolve, meetings.MeetingState
    if stream_id.startswith("membership/"):
        return membership.evolve, membership.MembershipState
    if stream_id.startswith("document/"):
        return documents.evolve, documents.DocumentState
    raise ValueError(f"not a stream compliance reads: {stream_id!r}")


def stream_facts(stream_id: str, stored: Sequence[StoredEvent]) -> dict[str, Any]:
    """The norm facts one stream holds now (JSON): `{}` where it holds none."""
    if not relevant(stream_id):
        return {}
    evolve, initial = _family(stream_id)
    return _state_facts(stream_id, fold(evolve, initial(), stored))


def _state_facts(stream_id: str, state: Any) -> dict[str, Any]:
    """The norm facts of a stream's folded state (`stream_facts`)."""
    if stream_id == ORGANIZATION:
        org: organization.OrganizationState = state
        return {"founded_on": _date(org.founded_on)}
    if stream_id.startswith("meeting/"):
        m: meetings.MeetingState = state
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
        ms: membership.MembershipState = state
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
        d: documents.DocumentState = state
        charter = d.category is not None and str(d.category) == "charter"
        if d.signed and d.signed_on is not None and charter:
            return {
                "document": {
                    "category": str(d.category),
                    "signed_on": str(d.signed_on),
                    "meeting": d.meeting,
                }
            }
        return {}
    return {}


_parse = parse_cached  # the same few thousand dates, parsed on every recompute


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
