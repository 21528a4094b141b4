"""The history-file format check (importer/format.py, fields.py, kinds.py): every kind and
enumerated value accepted, every kind of problem named by file, record id and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sco_registry.domain.time import PartialDate, Precision
from sco_registry.importer import problems as p
from sco_registry.importer.format import Known, parse_path, parse_paths, parse_text
from sco_registry.importer.records import (
    KINDS,
    BodyCategory,
    BodyChangeKind,
    BodyStatus,
    Confidence,
    DocumentCategory,
    MandateRecord,
    MeetingFormat,
    MeetingStatus,
    MembershipChange,
    MembershipStatus,
    Office,
    Permanence,
)
from tests.unit.importer.importer_samples import clone, every_kind_file, record, write

SHARED = Path(__file__).parents[3] / "data"


NOTHING_KNOWN = Known()


def parse(doc: dict[str, Any], known: Known = NOTHING_KNOWN) -> Any:
    return parse_text(json.dumps(doc), "f.json", known)


def where(parsed: Any) -> set[tuple[str | None, str | None, str]]:
    return {(x.record_id, x.field, x.code) for x in parsed.problems}


def test_every_kind_and_every_enumerated_value_is_accepted() -> None:
    parsed = parse(every_kind_file())
    assert parsed.problems == ()
    records = parsed.file.records
    assert {r.kind for r in records} == set(KINDS)

    def seen(attr: str, kind: str) -> set[Any]:
        return {getattr(r, attr) for r in records if r.kind == kind}

    assert seen("category", "body") == set(BodyCategory)
    assert seen("status", "body") == set(BodyStatus)
    assert seen("permanence", "body") == {*Permanence, None}
    assert seen("change", "body_change") == set(BodyChangeKind)
    assert seen("format", "meeting") == set(MeetingFormat)
    assert seen("status", "meeting") == set(MeetingStatus)
    assert seen("category", "document") == set(DocumentCategory)
    assert seen("change", "membership") == set(MembershipChange)
    assert seen("status_after", "membership") == {*MembershipStatus, None}
    assert seen("office", "office_term") == set(Office)
    mandates = [r for r in records if isinstance(r, MandateRecord)]
    assert {(m.due_meeting is not None, m.due_date is not None) for m in mandates} == {
        (True, False),
        (False, True),
        (False, False),
    }
    doc = every_kind_file()
    for level in Confidence:
        record(doc, "body/rats")["confidence"] = level.value
        assert parse(doc).problems == ()


def test_the_bundled_files_are_valid_in_import_order() -> None:
    history, declaration = parse_paths(
        [SHARED / "sco-history-1996-2012.json", SHARED / "declaration-2001.json"]
    )
    assert history.problems == () and len(history.file.records) == 112
    assert declaration.problems == () and len(declaration.file.records) == 8


def test_the_declaration_file_alone_refers_to_records_it_does_not_hold() -> None:
    (alone,) = parse_paths([SHARED / "declaration-2001.json"])
    assert {x.code for x in alone.problems} == {p.DANGLING_REFERENCE}
    assert ("mandate/2001-06-15/charter-drafting", "due") in {
        (x.record_id, x.field) for x in alone.problems
    }


def test_partial_dates_keep_their_precision() -> None:
    records = {r.id: r for r in parse(every_kind_file()).file.records}
    assert records["body/foreign_ministers"].established == PartialDate(2002)
    assert records["body_change/rats/2003/seat_relocated"].date.precision is Precision.MONTH
    assert records["meeting/s5/1996"].start_date.precision is Precision.DAY
    assert records["mandate/2005/title"].due_date == PartialDate(2006)


def test_defaults_apply_and_do_not_change_the_fingerprint() -> None:
    doc = every_kind_file()
    del record(doc, "meeting/s5/1996")["status"]
    del record(doc, "body/rats")["organization"]
    records = {r.id: r for r in parse(doc).file.records}
    full = {r.id: r for r in parse(every_kind_file()).file.records}
    assert records["meeting/s5/1996"].status is MeetingStatus.HELD
    assert records["body/rats"].organization == "organization/sco"
    assert records["body/rats"].fingerprint == full["body/rats"].fingerprint
    record(doc, "body/rats")["note"] = "changed"
    assert {r.id: r for r in parse(doc).file.records}["body/rats"].fingerprint != (
        full["body/rats"].fingerprint
    )


def test_optional_and_nullable_fields_may_be_omitted() -> None:
    doc = every_kind_file()
    for key in ("abbreviation", "established", "parent", "permanence", "seat", "seat_state"):
        del record(doc, "body/contact_group")[key]
    for key in ("place", "meeting", "parties", "in_force_on", "amends"):
        del record(doc, "document/treaty-2007")[key]
    for key in ("ordinal", "end_date"):
        del record(doc, "meeting/heads_of_state/2017")[key]
    del record(doc, "mandate/2005/open")["due"]
    assert parse(doc).problems == ()


# One mutation per row: the record (None: the file), the field and the code it must produce.
MUTATIONS: list[tuple[str, str | None, str, Any, str]] = [
    ("meeting/s5/1996", "start_date", "start_date", "1996-13-01", p.DATE_MALFORMED),
    ("meeting/s5/1996", "start_date", "start_date", "26 April 1996", p.DATE_MALFORMED),
    ("meeting/s5/1996", "start_date", "start_date", "1996-02-30", p.DATE_MALFORMED),
    ("meeting/s5/1996", "start_date", "start_date", 1996, p.DATE_MALFORMED),
    ("meeting/s5/1996", "end_date", "end_date", "1995", p.DATES_INCONSISTENT),
    ("meeting/s5/1996", "host_state", "host_state", "XX", p.UNKNOWN_STATE),
    ("meeting/s5/1996", "host_state", "host_state", "cn", p.INVALID_VALUE),
    ("meeting/s5/1996", "format", "format", "telepathic", p.INVALID_VALUE),
    ("meeting/s5/1996", "status", "status", "rumoured", p.INVALID_VALUE),
    ("meeting/s5/1996", "ordinal", "ordinal", True, p.INVALID_VALUE),
    ("meeting/s5/1996", "ordinal", "ordinal", 0, p.NUMBER_OUT_OF_RANGE),
    ("meeting/s5/1996", "ordinal", "ordinal", -3, p.NUMBER_OUT_OF_RANGE),
    ("meeting/s5/1996", "ordinal", "ordinal", 10_000, p.NUMBER_OUT_OF_RANGE),
    ("meeting/s5/1996", "ordinal", "ordinal", 2**70, p.NUMBER_OUT_OF_RANGE),
    ("meeting/s5/1996", "ordinal", "ordinal", 3.0, p.INVALID_VALUE),
    ("meeting/s5/1996", "ordinal", "ordinal", "3", p.INVALID_VALUE),
    ("meeting/s5/1996", "body", "body", "body/nowhere", p.DANGLING_REFERENCE),
    ("meeting/s5/1996", "body", "body", "meeting/heads_of_state/2001", p.WRONG_REFERENCE_KIND),
    ("meeting/s5/1996", "city", "city", None, p.MISSING_FIELD),
    ("meeting/s5/1996", "city", "city", "", p.INVALID_VALUE),
    ("meeting/s5/1996", "venue", "venue", "Hall", p.UNKNOWN_FIELD),
    ("meeting/s5/1996", "kind", "kind", "summit", p.UNKNOWN_KIND),
    ("meeting/s5/1996", "confidence", "confidence", "certain", p.INVALID_VALUE),
    ("meeting/s5/1996", "note", "note", 7, p.INVALID_VALUE),
    ("meeting/s5/1996", "sources", "sources", [], p.MISSING_FIELD),
    ("meeting/s5/1996", "sources", "sources[0]", [{}], p.MISSING_FIELD),
    ("meeting/s5/1996", "sources", "sources[0].page", [{"title": "t", "page": 3}], p.UNKNOWN_FIELD),
    ("organization/sco", "founded_on", "founded_on", "2001-06-31", p.DATE_MALFORMED),
    ("organization/sco", "predecessor", "predecessor", "body/rats", p.WRONG_REFERENCE_KIND),
    (
        "organization/sco",
        "founding_document",
        "founding_document",
        "document/x",
        p.DANGLING_REFERENCE,
    ),
    ("organization/sco", "purposes", "purposes", "trust", p.INVALID_VALUE),
    ("organization/sco", "principles", "principles", None, p.MISSING_FIELD),
    ("body/rats", "category", "category", "club", p.INVALID_VALUE),
    ("body/rats", "status", "status", "rumoured", p.INVALID_VALUE),
    ("body/rats", "permanence", "permanence", "eternal", p.INVALID_VALUE),
    ("body/rats", "seat_state", "seat_state", "ZZ", p.UNKNOWN_STATE),
    ("body/rats", "parent", "parent", "body/rats", p.INVALID_VALUE),
    ("body/rats", "organization", "organization", "organization/un", p.DANGLING_REFERENCE),
    ("body/rats", "established", "established", "2001", p.INVALID_VALUE),
    ("body_change/rats/2002/renamed", "change", "change", "merged", p.INVALID_VALUE),
    ("body_change/rats/2002/renamed", "name", "name", None, p.MISSING_FIELD),
    ("body_change/rats/2003/seat_relocated", "seat", "seat", None, p.MISSING_FIELD),
    ("body_change/rats/2004/established", "date", "date", None, p.MISSING_FIELD),
    ("body_change/energy_experts/2007/dissolved", "seat", "seat", "Oslo", p.INVALID_VALUE),
    ("document/charter-2002", "category", "category", "bill", p.INVALID_VALUE),
    ("document/charter-2002", "parties", "parties[1]", ["CN", "QQ"], p.UNKNOWN_STATE),
    ("document/charter-2002", "parties", "parties[1]", ["CN", "CN"], p.INVALID_VALUE),
    ("document/charter-2002", "parties", "parties", "CN", p.INVALID_VALUE),
    ("document/charter-2002", "in_force_on", "in_force_on", "2001", p.DATES_INCONSISTENT),
    ("document/charter-2002", "meeting", "meeting", "meeting/none", p.DANGLING_REFERENCE),
    (
        "document/charter-protocol-2003",
        "amends",
        "amends",
        "meeting/s5/1996",
        p.WRONG_REFERENCE_KIND,
    ),
    ("document/charter-2002", "title", "title", None, p.MISSING_FIELD),
    ("membership/IN/2017-06-09/admitted", "change", "change", "joined", p.INVALID_VALUE),
    ("membership/IN/2017-06-09/admitted", "status_after", "status_after", "king", p.INVALID_VALUE),
    ("membership/IN/2017-06-09/admitted", "status_after", "status_after", None, p.MISSING_FIELD),
    (
        "membership/IN/2017-06-09/admitted",
        "status_after",
        "status_after",
        "observer",
        p.INCONSISTENT_STATUS,
    ),
    ("membership/IN/2017-06-09/admitted", "state", "state", "IND", p.INVALID_VALUE),
    (
        "membership/IN/2017-06-09/admitted",
        "organization",
        "organization",
        "body/rats",
        p.WRONG_REFERENCE_KIND,
    ),
    (
        "membership/IN/2017-06-09/admitted",
        "document",
        "document",
        "document/x",
        p.DANGLING_REFERENCE,
    ),
    ("office/rats/director", "office", "office", "president", p.INVALID_VALUE),
    ("office/rats/director", "to", "to", "2003", p.DATES_INCONSISTENT),
    ("office/rats/director", "nationality", "nationality", "XK", p.UNKNOWN_STATE),
    ("office/rats/director", "person", "person", None, p.MISSING_FIELD),
    ("mandate/2001/charter", "due", "due", "meeting/heads_of_state/2099", p.DANGLING_REFERENCE),
    ("mandate/2001/charter", "due", "due", "2002-02-30", p.DATE_MALFORMED),
    ("mandate/2001/charter", "due", "due", "2000", p.DATES_INCONSISTENT),
    ("mandate/2001/charter", "due", "due", "body/rats", p.WRONG_REFERENCE_KIND),
    ("mandate/2001/charter", "by", "by", None, p.MISSING_FIELD),
    ("mandate/2001/charter", "task", "task", ["draft"], p.INVALID_VALUE),
]


@pytest.mark.parametrize(("record_id", "key", "field", "value", "code"), MUTATIONS)
def test_each_problem_names_the_record_and_the_field(
    record_id: str, key: str, field: str, value: Any, code: str
) -> None:
    doc = every_kind_file()
    record(doc, record_id)[key] = value
    parsed = parse(doc)
    assert parsed.file is None
    assert (record_id, field, code) in where(parsed), parsed.problems
    assert all(x.file == "f.json" for x in parsed.problems)


def test_a_missing_required_field_is_named() -> None:
    doc = every_kind_file()
    del record(doc, "document/charter-2002")["signed_on"]
    assert where(parse(doc)) == {("document/charter-2002", "signed_on", p.MISSING_FIELD)}


def test_every_problem_of_a_broken_file_is_reported_not_only_the_first() -> None:
    doc = every_kind_file()
    record(doc, "meeting/s5/1996")["start_date"] = "1996-04-31"
    record(doc, "document/charter-2002")["parties"] = ["CN", "XX"]
    record(doc, "mandate/2005/open")["to"] = "body/missing"
    duplicate = clone(record(doc, "body/rats"))
    duplicate["seat"] = "Almaty"
    doc["records"].append(duplicate)
    del record(doc, "office/rats/director")["office"]
    assert where(parse(doc)) == {
        ("meeting/s5/1996", "start_date", p.DATE_MALFORMED),
        ("document/charter-2002", "parties[1]", p.UNKNOWN_STATE),
        ("mandate/2005/open", "to", p.DANGLING_REFERENCE),
        ("body/rats", "id", p.DUPLICATE_ID),
        ("office/rats/director", "office", p.MISSING_FIELD),
    }


def test_a_duplicate_id_is_refused_even_with_the_same_content() -> None:
    doc = every_kind_file()
    doc["records"].append(clone(record(doc, "body/rats")))
    (problem,) = parse(doc).problems
    assert (problem.record_id, problem.code) == ("body/rats", p.DUPLICATE_ID)
    assert "same content" in problem.message


def test_references_may_point_forward_within_a_file() -> None:
    doc = every_kind_file()
    doc["records"].reverse()
    assert parse(doc).problems == ()


def test_references_and_states_may_come_from_earlier_files() -> None:
    doc = every_kind_file()
    later = {
        "format": "sco-registry-history/1",
        "title": "later",
        "covers": {"from": "2013", "to": "2013"},
        "states": [],
        "records": [
            {
                "id": "membership/PK/2013/application_filed",
                "kind": "membership",
                "state": "IN",
                "date": "2013",
                "change": "application_filed",
                "status_after": "observer",
                "meeting": "meeting/heads_of_state/2009",
                "sources": [{"url": "https://example.org"}],
                "confidence": "low",
            }
        ],
    }
    alone = parse(later)
    assert where(alone) == {
        ("membership/PK/2013/application_filed", "state", p.UNKNOWN_STATE),
        ("membership/PK/2013/application_filed", "meeting", p.DANGLING_REFERENCE),
        ("membership/PK/2013/application_filed", "organization", p.DANGLING_REFERENCE),
    }
    first = parse(doc)
    assert parse(later, Known().with_file(first)).problems == ()


def test_file_level_problems() -> None:
    doc = every_kind_file()
    doc["format"] = "sco-registry-history/2"
    doc["extra"] = 1
    del doc["title"]
    doc["covers"] = {"from": "2010", "to": "2001"}
    doc["states"].append({"code": "CN", "name": "China again"})
    doc["states"].append({"code": "C1", "name": "Bad"})
    assert where(parse(doc)) == {
        (None, "format", p.UNSUPPORTED_FORMAT),
        (None, "extra", p.UNKNOWN_FIELD),
        (None, "title", p.MISSING_FIELD),
        (None, "covers.to", p.DATES_INCONSISTENT),
        (None, "states[10].code", p.DUPLICATE_STATE),
        (None, "states[11].code", p.INVALID_VALUE),
    }


@pytest.mark.parametrize(
    "text",
    ["{", "[]", '{"format": NaN}', '{"a": 1, "a": 2}', ""],
    ids=["truncated", "not-an-object", "nan", "duplicate-key", "empty"],
)
def test_bad_json_is_one_problem_for_the_file(text: str) -> None:
    parsed = parse_text(text, "broken.json")
    assert [(x.file, x.record_id, x.code) for x in parsed.problems] == [
        ("broken.json", None, p.BAD_JSON)
    ]


def test_records_without_id_or_object_shape_are_named_by_position() -> None:
    doc = every_kind_file()
    doc["records"].append({"kind": "body"})
    doc["records"].append("body/rats")
    found = where(parse(doc))
    assert (f"records[{len(doc['records']) - 2}]", "id", p.MISSING_FIELD) in found
    assert (f"records[{len(doc['records']) - 1}]", None, p.INVALID_VALUE) in found


def test_an_unreadable_file(tmp_path: Path) -> None:
    parsed = parse_path(tmp_path / "missing.json")
    assert [x.code for x in parsed.problems] == [p.FILE_UNREADABLE]
    (tmp_path / "latin1.json").write_bytes(b"\xff\xfe{")
    assert [x.code for x in parse_path(tmp_path / "latin1.json").problems] == [p.FILE_UNREADABLE]


def test_problems_print_as_file_record_field_code_message(tmp_path: Path) -> None:
    doc = every_kind_file()
    record(doc, "meeting/s5/1996")["host_state"] = "XX"
    path = write(tmp_path / "h.json", doc)
    (problem,) = parse_path(path).problems
    assert str(problem).startswith(f"{path}: meeting/s5/1996: host_state: [import.unknown_state] ")
