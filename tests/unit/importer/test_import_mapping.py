"""Records to commands (importer/mapping.py) and their order (importer/order.py)."""

from __future__ import annotations

import json
from typing import Any

from sco_registry.domain import bodies, documents, membership
from sco_registry.domain.values import Citation
from sco_registry.importer import problems as p
from sco_registry.importer.format import parse_text
from sco_registry.importer.mapping import citations, cross_facts, steps_for
from sco_registry.importer.order import order_steps
from sco_registry.importer.records import AnyRecord
from tests.unit.importer.importer_samples import every_kind_file, record


def parsed(doc: dict[str, Any]) -> dict[str, AnyRecord]:
    f = parse_text(json.dumps(doc), "f.json").file
    assert f is not None
    return {r.id: r for r in f.records}


def test_an_article_in_a_source_title_becomes_the_citation_article() -> None:
    doc = every_kind_file()
    title = "Declaration on the Establishment of the SCO (15 June 2001)"
    record(doc, "body/rats")["sources"] = [
        {"title": f"{title}, Art. 8"},
        {"title": "Some news, 2003", "url": "https://example.org"},
    ]
    assert citations(parsed(doc)["body/rats"]) == (
        Citation(
            title="Declaration on the Establishment of the SCO (15 June 2001)", article="Art. 8"
        ),
        Citation(title="Some news, 2003", url="https://example.org"),
    )


def test_keys_are_the_record_id_then_numbered() -> None:
    doc = every_kind_file()
    record(doc, "body_change/rats/2004/established")["name"] = "RATS"
    records = parsed(doc)
    facts = cross_facts(records.values())
    steps = steps_for("f.json", records["body_change/rats/2004/established"], facts)
    assert [s.key for s in steps] == [
        "body_change/rats/2004/established",
        "body_change/rats/2004/established#2",
    ]
    assert isinstance(steps[0].command, bodies.EstablishBody)
    assert isinstance(steps[1].command, bodies.RenameBody)
    org = steps_for("f.json", records["organization/sco"], facts)
    assert [s.key for s in org] == ["organization/sco", "organization/sco#2"]
    assert org[1].after == {"document/declaration-2001"}


def test_founding_parties_and_signatories_come_from_membership_records() -> None:
    records = parsed(every_kind_file())
    facts = cross_facts(records.values())
    assert facts.founding_parties["document/declaration-2001"] == (
        "CN", "KG", "KZ", "RU", "TJ", "UZ",
    )  # fmt: skip
    # Signed the same day by the same states, who became members that day by the declaration.
    (step,) = steps_for("f.json", records["document/convention-2001"], facts)
    assert isinstance(step.command, documents.RecordDocument)
    assert step.command.founding_parties == facts.founding_parties["document/declaration-2001"]
    # Signed a year later: its parties' founding records come first.
    (step,) = steps_for("f.json", records["document/charter-2002"], facts)
    assert isinstance(step.command, documents.RecordDocument)
    assert step.command.founding_parties == ()
    assert "membership/UZ/2001-06-15/founding_member" in step.after
    (withdrew,) = steps_for("f.json", records["membership/TR/2026/withdrew"], facts)
    assert isinstance(withdrew.command, membership.RecordMembershipChange)
    assert withdrew.command.status_after is None


def test_order_follows_references_then_dates() -> None:
    doc = every_kind_file()
    doc["records"].reverse()
    records = parsed(doc)
    facts = cross_facts(records.values())
    steps = [s for r in records.values() for s in steps_for("f.json", r, facts)]
    ordered, problems = order_steps(steps)
    assert problems == [] and len(ordered) == len(steps)
    position = {s.key: i for i, s in enumerate(ordered)}
    for s in ordered:
        for ref in s.after:
            assert position[ref] < position[s.key], (ref, s.key)
    meetings = [s.key for s in ordered if s.record.kind == "meeting"]
    dates = [records[k].valid_time for k in meetings]
    assert dates == sorted(dates)  # type: ignore[type-var]


def test_a_cycle_names_only_its_members() -> None:
    doc = every_kind_file()
    record(doc, "body/rats")["parent"] = "body/secretariat"
    record(doc, "body/secretariat")["parent"] = "body/rats"
    records = parsed(doc)
    facts = cross_facts(records.values())
    steps = [s for r in records.values() for s in steps_for("f.json", r, facts)]
    _, problems = order_steps(steps)
    assert {(x.record_id, x.code) for x in problems} == {
        ("body/rats", p.REFERENCE_CYCLE),
        ("body/secretariat", p.REFERENCE_CYCLE),
    }
