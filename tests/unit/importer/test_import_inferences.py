"""The mapping's inferences from one record about another (docs/data.md, "The mapping's
inferences"): valid files that an inference once made wrong, each with a control showing
the inference at work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sco_registry.importer.format import parse_text
from sco_registry.importer.load import import_files
from sco_registry.importer.mapping import LoggedFacts, cross_facts, steps_for
from sco_registry.importer.order import order_steps
from sco_registry.importer.records import AnyRecord
from sco_registry.store.chain import verify_events
from sco_registry.store.memory import InMemoryEventStore
from tests.unit.importer.importer_samples import (
    FOUNDERS,
    clone,
    document,
    every_kind_file,
    member,
    rec,
    record,
    write,
)

SUMMIT = "meeting/heads_of_state/2004"
TASHKENT = "document/tashkent-declaration-2004"


def parsed(doc: dict[str, Any]) -> dict[str, AnyRecord]:
    f = parse_text(json.dumps(doc), "f.json").file
    assert f is not None, parse_text(json.dumps(doc), "f.json").problems
    return {r.id: r for r in f.records}


async def signed(store: InMemoryEventStore, document_id: str) -> dict[str, Any]:
    (event,) = [e for e in await store.read_stream(document_id) if e.type == "DocumentSigned"]
    return dict(event.data)


def granted_at_a_summit(parties: list[str]) -> dict[str, Any]:
    """Mongolia is granted observer status at the 2004 summit; its record cites the summit's
    declaration, signed there by `parties`."""
    doc = every_kind_file()
    doc["records"].append(document(TASHKENT, "declaration", "2004-06-17", meeting_id=SUMMIT,
                                   parties=parties))  # fmt: skip
    record(doc, "membership/MN/2004-06-17/status_granted")["document"] = TASHKENT
    return doc


async def test_a_status_granted_at_a_summit_citing_a_declaration_others_signed(
    tmp_path: Path,
) -> None:
    """Issue 6's regression: the state is not among the declaration's parties, so it is not
    one of its founding parties, and the file imports whole."""
    store = InMemoryEventStore()
    summary = await import_files([write(tmp_path / "2004.json", granted_at_a_summit(FOUNDERS))],
                                 store)  # fmt: skip
    assert summary.problems == () and summary.rejected == 0
    data = await signed(store, TASHKENT)
    assert "MN" not in data["founding_parties"] and data["parties"] == FOUNDERS
    assert verify_events(await store.read_all()).ok
    # Control: listed among the parties, the same record does make it a founding party.
    facts = cross_facts(parsed(granted_at_a_summit([*FOUNDERS, "MN"])).values())
    assert "MN" in facts.founding_parties[TASHKENT]
    assert "MN" not in cross_facts(
        parsed(granted_at_a_summit(FOUNDERS)).values()
    ).founding_parties.get(TASHKENT, ())


async def test_a_document_without_parties_cited_on_its_date_has_no_founding_party(
    tmp_path: Path,
) -> None:
    doc = granted_at_a_summit(FOUNDERS)
    record(doc, TASHKENT)["parties"] = None
    store = InMemoryEventStore()
    assert (await import_files([write(tmp_path / "null.json", doc)], store)).problems == ()
    data = await signed(store, TASHKENT)
    assert data["parties"] is None and data["founding_parties"] == []


def two_instruments_of_the_founding_day(uzbekistan_cites: str) -> dict[str, Any]:
    """Uzbekistan's founding record cites `uzbekistan_cites`, the five others' the
    declaration; both instruments are signed by all six."""
    doc = every_kind_file()
    record(doc, "membership/UZ/2001-06-15/founding_member")["document"] = uzbekistan_cites
    return doc


async def test_founders_citing_different_instruments_of_their_founding_day(
    tmp_path: Path,
) -> None:
    """Each instrument has listed parties whose records cite the other one: waiting for
    them made a cycle. They become members that day, so they sign both as founders."""
    doc = two_instruments_of_the_founding_day("document/convention-2001")
    store = InMemoryEventStore()
    assert (await import_files([write(tmp_path / "f.json", doc)], store)).problems == ()
    for d in ("document/declaration-2001", "document/convention-2001"):
        assert (await signed(store, d))["founding_parties"] == sorted(FOUNDERS)
    # Control: a document of another day gives no founding party; its parties' records
    # come first instead.
    records = parsed(doc)
    facts = cross_facts(records.values())
    assert "document/charter-2002" not in facts.founding_parties
    assert (
        "membership/UZ/2001-06-15/founding_member"
        in facts.signatory_records["document/charter-2002"]
    )


async def test_a_membership_record_added_later_does_not_change_an_imported_document(
    tmp_path: Path,
) -> None:
    """A later file cites an imported document on its signing day for a listed party: the
    document keeps the founding parties it was recorded with, so importing every file
    again is no conflict."""
    first = every_kind_file()
    later = {**clone(first), "title": "later", "records": [
        member("KZ", "2006-06-15", "status_changed", "member",
               document_id="document/statement-2006"),
    ]}  # fmt: skip
    a, b = write(tmp_path / "a.json", first), write(tmp_path / "b.json", later)
    store = InMemoryEventStore()
    assert (await import_files([a], store)).problems == ()
    summary = await import_files([a, b], store)
    assert summary.problems == ()
    assert summary.already_imported == len(first["records"]) and summary.events_appended == 1
    assert (await signed(store, "document/statement-2006"))["founding_parties"] == []
    # Control: from the records alone, the added record would make KZ a founding party of
    # the statement: another command than the one in the log.
    both = parsed({**first, "records": first["records"] + later["records"]})
    assert cross_facts(both.values()).founding_parties["document/statement-2006"] == ("KZ",)
    kept = cross_facts(both.values(), LoggedFacts(founding={"document/statement-2006": ()}))
    assert "document/statement-2006" not in kept.founding_parties


async def test_founding_parties_do_not_depend_on_how_records_are_split_into_imports(
    tmp_path: Path,
) -> None:
    """The convention is signed on the founding day; imported in a later command than the
    founders' records, it has the same founding parties as imported with them."""
    convention = "document/convention-2001"
    whole = InMemoryEventStore()
    assert (await import_files([write(tmp_path / "all.json", every_kind_file())], whole)).ok
    first = every_kind_file()
    later = {**clone(first), "title": "later", "records": [record(first, convention)]}
    first["records"].remove(record(first, convention))
    split = InMemoryEventStore()
    assert (await import_files([write(tmp_path / "a.json", first)], split)).ok
    assert (await import_files([write(tmp_path / "b.json", later)], split)).ok
    assert await signed(split, convention) == await signed(whole, convention)
    assert (await signed(split, convention))["founding_parties"] == sorted(FOUNDERS)
    # Control: from the later file's records alone, the convention has no founding party.
    records = parsed({**first, "records": [*first["records"], record(later, convention)]})
    only = [records[convention]]
    assert convention not in cross_facts(only).founding_parties


def dissolved_then_renamed(dissolved_on: str, renamed_on: str) -> dict[str, Any]:
    doc = every_kind_file()
    doc["records"] += [
        rec("body_change/legal_experts/dissolved", "body_change",
            body="body/legal_experts", date=dissolved_on, change="dissolved"),
        rec("body_change/legal_experts/renamed", "body_change",
            body="body/legal_experts", date=renamed_on, change="renamed", name="Law Group"),
    ]  # fmt: skip
    return doc


async def test_a_body_dissolved_and_renamed_the_same_day_in_either_file_order(
    tmp_path: Path,
) -> None:
    for dissolved_on, renamed_on in (("2008-03-01", "2008-03-01"), ("2008", "2008-03-01")):
        doc = dissolved_then_renamed(dissolved_on, renamed_on)
        store = InMemoryEventStore()
        summary = await import_files([write(tmp_path / "d.json", doc)], store)
        assert summary.problems == (), (dissolved_on, summary.problems)
        types = [e.type for e in await store.read_stream("body/legal_experts")]
        assert types[-2:] == ["BodyRenamed", "BodyDissolved"]
    # Control: placed the other way round, the domain refuses the renaming.
    records = parsed(dissolved_then_renamed("2008-03-01", "2008-03-01"))
    facts = cross_facts(records.values())
    steps = [s for r in records.values() for s in steps_for("f.json", r, facts)]
    ordered, _ = order_steps(steps)
    keys = [s.key for s in ordered]
    assert keys.index("body_change/legal_experts/renamed") < keys.index(
        "body_change/legal_experts/dissolved"
    )
    store = InMemoryEventStore()
    wrong = dissolved_then_renamed("2008-03-01", "2008-03-02")
    record(wrong, "body_change/legal_experts/renamed")["date"] = "2008-03-02"
    summary = await import_files([write(tmp_path / "w.json", wrong)], store)
    assert [x.code for x in summary.problems] == ["import.rejected_by_domain"]
    assert "body.dissolved" in summary.problems[0].message
