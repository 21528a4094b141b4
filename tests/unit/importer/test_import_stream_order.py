"""The order of one stream's changes where their dates overlap (docs/data.md, "How the import
orders a stream's changes"): valid files that the order by earliest valid time refused, each
failing before the change, with controls showing that invalid ones are still refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sco_registry.domain.membership import (
    MembershipChange,
    MembershipStatus,
    RecordedChange,
)
from sco_registry.domain.time import PartialDate
from sco_registry.importer.format import Known, parse_text
from sco_registry.importer.load import ImportSummary, import_files
from sco_registry.importer.mapping import cross_facts, steps_for
from sco_registry.importer.order import order_steps
from sco_registry.store.chain import verify_events
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.importer.importer_samples import every_kind_file, member, write

SCO = "organization/sco"


def later(*records: dict[str, Any]) -> dict[str, Any]:
    """A later file about Pakistan, relying on the SCO of the file imported before it."""
    return {
        "format": "sco-registry-history/1",
        "title": "Pakistan, a later file",
        "covers": {"from": "2068", "to": "2072"},
        "states": [{"code": "PK", "name": "Pakistan"}],
        "records": list(records),
    }


async def run(tmp_path: Path, *docs: dict[str, Any]) -> tuple[InMemoryEventStore, ImportSummary]:
    """Import every_kind_file, then each of `docs` in its own command; the last summary."""
    store = InMemoryEventStore()
    first = await import_files([write(tmp_path / "first.json", every_kind_file())], store)
    assert first.problems == ()
    summary = first
    for n, doc in enumerate(docs):
        summary = await import_files([write(tmp_path / f"later-{n}.json", doc)], store)
    return store, summary


def codes(summary: ImportSummary) -> list[str]:
    return [p.code for p in summary.problems]


async def types(store: InMemoryEventStore) -> list[str]:
    return [e.type for e in await store.read_stream("membership/PK")]


GRANTED = member("PK", "2070-06-05", "status_granted", "observer")
WITHDREW_2070 = member("PK", "2070", "withdrew", None)


async def test_a_status_granted_and_ended_within_one_coarse_date(tmp_path: Path) -> None:
    """GEN's report: granted on 2070-06-05, withdrew in "2070". The withdrawal's date starts
    earlier, so it was recorded first and refused (`membership.no_status`). An ending is
    placed by the end of its date: after the grant, in either file order."""
    for records in ((GRANTED, WITHDREW_2070), (WITHDREW_2070, GRANTED)):
        store, summary = await run(tmp_path, later(*records))
        assert summary.problems == (), summary.problems
        assert await types(store) == ["StatusGranted", "MemberWithdrew"]
        assert verify_events(await store.read_all()).ok


async def test_after_a_coarse_withdrawal_the_state_holds_nothing(tmp_path: Path) -> None:
    """The withdrawal ("2070") is recorded after the grant (2070-06-05) and their dates
    overlap: the recording order says which is last, so a grant in 2071 is no second grant
    (the order by earliest date made the 2070-06-05 grant look latest)."""
    again = member("PK", "2071-03-03", "status_granted", "observer")
    store, summary = await run(tmp_path, later(again, WITHDREW_2070, GRANTED))
    assert summary.problems == (), summary.problems
    assert await types(store) == ["StatusGranted", "MemberWithdrew", "StatusGranted"]


async def test_a_status_granted_again_in_the_year_of_its_withdrawal(tmp_path: Path) -> None:
    """Observer since 2068, withdrew on 2070-06-05, granted the status again in "2070". The
    second grant's date starts earlier: recorded first, it was refused as
    `membership.status_already_granted`. A change the domain refuses waits for the one that
    makes it acceptable, though a beginning goes before an ending otherwise."""
    records = (
        member("PK", "2068-06-05", "status_granted", "observer"),
        member("PK", "2070", "status_granted", "observer"),
        member("PK", "2070-06-05", "withdrew", None),
    )
    store, summary = await run(tmp_path, later(*records))
    assert summary.problems == (), summary.problems
    assert await types(store) == ["StatusGranted", "MemberWithdrew", "StatusGranted"]


async def test_a_member_readmitted_in_the_year_it_left(tmp_path: Path) -> None:
    """Admitted in 2068, withdrew on 2070-06-05, admitted again in "2070": refused before as
    `membership.already_member`."""
    records = (
        member("PK", "2068", "admitted", "member"),
        member("PK", "2070", "admitted", "member"),
        member("PK", "2070-06-05", "withdrew", None),
    )
    store, summary = await run(tmp_path, later(*records))
    assert summary.problems == (), summary.problems
    assert await types(store) == ["MemberAdmitted", "MemberWithdrew", "MemberAdmitted"]


async def test_readmission_after_a_status_of_an_earlier_import(tmp_path: Path) -> None:
    """The first grant is in the log, the withdrawal and the second grant in a later file:
    what the state holds before the import comes from the log."""
    second = (
        member("PK", "2070", "status_granted", "observer"),
        member("PK", "2070-06-05", "withdrew", None),
    )
    first = later(member("PK", "2068-06-05", "status_granted", "observer"))
    store, summary = await run(tmp_path, first, later(*second))
    assert summary.problems == (), summary.problems
    assert await types(store) == ["StatusGranted", "MemberWithdrew", "StatusGranted"]
    # Control: without the log's changes the order has nothing to go by, and a beginning
    # goes first.
    parsed = parse_text(json.dumps(later(*second)), "f.json", Known({SCO: "organization"}))
    assert parsed.file is not None
    records = {r.id: r for r in parsed.file.records}
    facts = cross_facts(records.values())
    steps = [s for r in records.values() for s in steps_for("f.json", r, facts)]
    held = RecordedChange(
        SCO, MembershipChange.STATUS_GRANTED, MembershipStatus.OBSERVER, PartialDate(2068, 6, 5)
    )
    with_log = [s.record.id for s in order_steps(steps, [("PK", held)])[0]]
    without = [s.record.id for s in order_steps(steps)[0]]
    assert with_log == ["membership/PK/2070-06-05/withdrew", "membership/PK/2070/status_granted"]
    assert without == list(reversed(with_log))


async def test_invalid_streams_are_still_refused(tmp_path: Path) -> None:
    """Controls: the order follows the domain's rules, it does not bend them. A withdrawal
    with no status to end, and a second grant of a status held without a withdrawal."""
    _, summary = await run(tmp_path, later(WITHDREW_2070))
    assert codes(summary) == ["import.rejected_by_domain"]
    assert "membership.no_status" in summary.problems[0].message
    twice = (
        member("PK", "2068-06-05", "status_granted", "observer"),
        member("PK", "2070", "status_granted", "observer"),
    )
    _, summary = await run(tmp_path, later(*twice))
    assert codes(summary) == ["import.rejected_by_domain"]
    assert "membership.status_already_granted" in summary.problems[0].message


async def test_overlapping_changes_of_one_phase_keep_their_place_then_file_order(
    tmp_path: Path,
) -> None:
    """Status changes of 2070 (neither beginnings nor endings): by the start of their dates
    ("2070-01" before "2070": coarser last on one start), then as the file lists them: the
    curator's order is the only statement left."""
    records = (
        member("PK", "2068-06-05", "status_granted", "observer"),
        member("PK", "2070", "status_changed", "partner") | {"id": "pk/a"},
        member("PK", "2070", "status_changed", "dialogue_partner") | {"id": "pk/b"},
        member("PK", "2070-01", "status_changed", "observer") | {"id": "pk/c"},
    )
    store, summary = await run(tmp_path, later(*records))
    assert summary.problems == ()
    after = [e.data["status_after"] for e in await store.read_stream("membership/PK")]
    assert after == ["observer", "observer", "partner", "dialogue_partner"]
    store, summary = await run(tmp_path, later(records[0], records[2], records[1], records[3]))
    assert summary.problems == ()
    after = [e.data["status_after"] for e in await store.read_stream("membership/PK")]
    assert after == ["observer", "observer", "dialogue_partner", "partner"]
