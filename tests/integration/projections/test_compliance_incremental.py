"""The compliance model evaluates only what a change can reach (`compliance._Model`): at
every position of a history (the bundled one, with a correction and a retraction of its
meetings, and a generated one), the findings known there are exactly `norms.evaluate_all`
over the facts of the log up to that position, folded afresh here (no read model)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from bench import synthetic
from sco_registry.domain import catalog, norms
from sco_registry.domain.corrections import EventCorrected, EventRetracted
from sco_registry.domain.folding import StoredEvent
from sco_registry.domain.meetings import MeetingFormat, MeetingHeld
from sco_registry.domain.time import PartialDate
from sco_registry.importer.bundled import load_bundled
from sco_registry.projections import bitemporal
from sco_registry.projections import compliance as cm
from sco_registry.projections.runner import ProjectionRunner
from sco_registry.store.base import EventStore, RecordedEvent
from tests.integration.projections.models_support import (
    all_rows,
    import_generated,
    rebuild_equals_inline,
    runner,
)
from tests.integration.projections.test_compliance import SUMMIT_2003, summit_2003_id
from tests.integration.projections.test_membership import CITE, new

Row = tuple[object, ...]


def _key(norm: str, reading: str, year: int, body: str, outcome: str, text: str, ev: object) -> Row:
    return (norm, reading, year, body, outcome, text, tuple(ev))  # type: ignore[arg-type]


def truths(log: Sequence[RecordedEvent]) -> dict[int, Counter[Row]]:
    """Position -> the findings `evaluate_all` gives over the log up to it."""
    streams: dict[str, list[StoredEvent]] = {}
    facts: dict[str, dict[str, object]] = {}
    out: dict[int, Counter[Row]] = {}
    found: Counter[Row] = Counter()
    for e in log:
        if cm.relevant(e.stream_id):
            data = catalog.upcast(e.type, e.schema_version, e.data)
            streams.setdefault(e.stream_id, []).append(StoredEvent(e.event_id, e.type, data))
            now = cm.stream_facts(e.stream_id, streams[e.stream_id])
            if facts.get(e.stream_id) != now:
                facts[e.stream_id] = now
                found = Counter(
                    _key(
                        f.norm, f.reading, f.year, f.body, str(f.status), f.explanation, f.evidence
                    )
                    for f in norms.evaluate_all(cm.norm_facts(facts))  # type: ignore[arg-type]
                )
        out[e.position] = found
    return out


async def known(r: ProjectionRunner, position: int) -> Counter[Row]:
    found = await r.read(lambda c: cm.findings(c, known_at=position))
    return Counter(
        _key(f.norm, f.reading, f.year, f.body, str(f.outcome), f.explanation, f.evidence)
        for f in found
    )


async def check_every_position(store: EventStore, r: ProjectionRunner, least: int = 10) -> None:
    log = await store.read_all()
    truth = truths(log)
    distinct = {tuple(sorted(c.items())) for c in truth.values()}
    # Negative control: the findings do change along the history (the check is not empty).
    assert len(distinct) > least
    for position in sorted(truth):
        assert await known(r, position) == truth[position], position
    # Negative control: a position's findings are not those of the end, nor of the start.
    assert truth[log[-1].position] != truth[log[len(log) // 2].position]


async def _with_fixes(store: EventStore) -> None:
    assert (await load_bundled(store)).ok
    target = await summit_2003_id(store)
    fix = EventCorrected(
        valid_time=None,
        sources=CITE,
        stream_id=SUMMIT_2003,
        event_id=target,
        reason="a test: the host said otherwise",
        changes={"host_state": "KZ"},
    )
    await store.append(SUMMIT_2003, [new(fix)])
    gone = EventRetracted(
        valid_time=None,
        sources=CITE,
        stream_id=SUMMIT_2003,
        event_id=target,
        reason="a test: no such meeting",
    )
    await store.append(SUMMIT_2003, [new(gone)])


async def test_the_bundled_history_with_fixes_known_at_every_position(store: EventStore) -> None:
    r = runner(store)
    await _with_fixes(store)
    await check_every_position(store, r)  # inline, one unit per append
    await r.rebuild("compliance")
    await check_every_position(store, r)  # rebuilt, one unit per page


async def test_a_generated_history_known_at_every_position(store: EventStore) -> None:
    r = runner(store)
    await import_generated(store, 11)
    await check_every_position(store, r, least=3)


async def test_a_synthetic_history_known_at_every_position(store: EventStore) -> None:
    """The benchmark's history (fifteen-odd years: many rotations, members coming and
    going, corrections and retractions), appended in its big batches, then rebuilt."""
    r = runner(store)
    await synthetic.fill(store, 3000)
    await check_every_position(store, r, least=50)
    await r.rebuild("compliance")
    await check_every_position(store, r, least=50)


async def _one_year(store: EventStore, count: int = 45) -> None:
    """The bundled history, then `count` heads-of-state meetings held in 2030, one append
    each (`meetings_of_2030`)."""
    assert (await load_bundled(store)).ok
    await meetings_of_2030(store, range(count))


async def meetings_of_2030(store: EventStore, numbers: range) -> None:
    """Heads-of-state meetings held in 2030, one append each, dated over the year's months
    out of order (most land before meetings already there, as the API benchmark's writes
    do), hosted mostly by one state, some by others or none."""
    rng = random.Random(5 + numbers.start)
    for n in numbers:
        date = PartialDate.parse(f"2030-{1 + (n * 5) % 12:02d}-{1 + n % 28:02d}")
        held = MeetingHeld(
            valid_time=date,
            sources=CITE,
            meeting_id=f"meeting/one-year/{n}",
            body_id=cm.HEADS_OF_STATE,
            start_date=date,
            end_date=None,
            city=None,
            host_state=rng.choice(("KZ", "KZ", "KZ", "CN", "RU", "UZ", None)),
            format=MeetingFormat.IN_PERSON,
            ordinal=None,
            chair=None,
            participants=(),
            documents=(),
        )
        await store.append(f"meeting/one-year/{n}", [new(held)])


async def test_many_meetings_in_one_year_known_at_every_position(store: EventStore) -> None:
    """A meeting added to a year of many syncs only the rotation findings it moves
    (`norms.Rotation.point`): the findings known at every position are still
    `evaluate_all`'s, and a rebuild (one unit per page) writes the inline rows."""
    r = runner(store)
    await _one_year(store)
    await check_every_position(store, r)
    await rebuild_equals_inline(r, "compliance", cm.LIVE)


async def test_many_meetings_in_one_year_stale_turns_show(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: a change that evaluates the standing reading of the meeting added
    alone (the later meetings keep the finding they had, though the meeting added now lies
    between their turns) leaves some position's findings other than `evaluate_all`'s."""
    every = norms.Rotation._every

    def stale(self: norms.Rotation, i: int, members_on: Any) -> norms.Finding:
        old = self.found[i]
        return every(self, i, members_on) if old is None else old[0]

    monkeypatch.setattr(norms.Rotation, "_every", stale)
    r = runner(store)
    await _one_year(store)
    with pytest.raises(AssertionError):
        await check_every_position(store, r)


def _scanning(accepts: Any = None) -> Any:
    """`_sync_part` as `bitemporal.sync` over the scope's open rows `accepts` takes (by
    default `_among(part)`: the rows of the part)."""

    def sync_part(
        conn: Any, buffer: Any, table: Any, scope: Any, part: Any, found: Any, *rest: Any
    ) -> int:
        event, used, _ = rest
        return bitemporal.sync(
            conn,
            table,
            scope=scope,
            content=cm.CONTENT,
            derived=[cm.finding_columns(f) for f in found],
            event=event,
            ordinal_base=used,
            where=cm._among(part) if accepts is None else accepts,
        )

    return sync_part


async def test_a_part_synced_by_its_index_writes_the_rows_a_scan_does(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_sync_part` (the scope's open rows found by the model's index), inline, writes the
    rows `bitemporal.sync` writes over the same part in a rebuild (every row: periods and
    ordinals too); a sync that takes none of the open rows (negative control) does not."""
    r = runner(store)
    await _one_year(store)
    indexed = await all_rows(r, cm.LIVE)
    monkeypatch.setattr(cm, "_sync_part", _scanning())
    await r.rebuild("compliance")
    assert await all_rows(r, cm.LIVE) == indexed
    monkeypatch.setattr(cm, "_sync_part", _scanning(lambda row: False))
    await r.rebuild("compliance")
    assert await all_rows(r, cm.LIVE) != indexed


def test_the_groups_together_are_evaluate_all() -> None:
    """The group rules (`annual`, `rotation_all`, `admissions`, `charter`) over the whole
    facts give `evaluate_all`'s findings, and a missing group shows (negative control)."""
    d = cm._parse
    facts = norms.NormFacts(
        founded_on=d("2001-06-15"),
        meetings=(
            norms.HeldMeeting("meeting/a", cm.HEADS_OF_STATE, d("2001-06-15"), "CN"),
            norms.HeldMeeting("meeting/b", cm.HEADS_OF_STATE, d("2002-06"), "RU"),
            norms.HeldMeeting("meeting/c", cm.HEADS_OF_STATE, d("2004"), "RU"),
            norms.HeldMeeting("meeting/d", cm.ROTATING[1], d("2003-09-23"), "CN"),
        ),
        members=(
            norms.MemberTerm("CN", d("2001-06-15")),
            norms.MemberTerm("RU", d("2001-06-15")),
            norms.MemberTerm("KZ", d("2001-06-15"), d("2003")),
        ),
        admissions=(norms.Admission("IN", d("2003-07"), None, None, "membership/IN"),),
        documents=(norms.SignedDocument("document/charter", "charter", d("2002-06"), None),),
    )
    groups = [
        *norms.annual(facts, 2001, 2004),
        *norms.rotation_all(facts),
        *norms.admissions(facts, 2001, 2004),
        *norms.charter(facts, 2004),
    ]
    assert Counter(groups) == Counter(norms.evaluate_all(facts))
    assert Counter(groups[1:]) != Counter(norms.evaluate_all(facts))
