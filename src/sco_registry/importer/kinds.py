"""The fields of each kind of record, as FORMAT.md defines them, and the building of typed
records from raw ones.

The rule for absent fields: a field the format marks optional, "or null", or with a default
may be omitted (it is then null, or its default); every other field is required and must
not be null. Fields the format does not define for a kind are rejected (`import.unknown_field`):
a misspelt optional field would otherwise be lost without a word.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sco_registry.domain.time import PartialDate
from sco_registry.importer import problems as p
from sco_registry.importer.fields import DATE_SHAPE, FieldReader
from sco_registry.importer.records import (
    SCO_ID,
    AnyRecord,
    BodyCategory,
    BodyChangeKind,
    BodyChangeRecord,
    BodyRecord,
    BodyStatus,
    Citation,
    Confidence,
    DocumentCategory,
    DocumentRecord,
    MandateRecord,
    MeetingFormat,
    MeetingRecord,
    MeetingStatus,
    MembershipChange,
    MembershipRecord,
    MembershipStatus,
    Office,
    OfficeTermRecord,
    OrganizationRecord,
    Permanence,
)

ORG = ("organization",)
BODY = ("body",)
MEETING = ("meeting",)
DOCUMENT = ("document",)


def _organization(r: FieldReader) -> None:
    r.text("name")
    r.text("abbreviation", required=False)
    r.date("founded_on")
    r.text("founded_at", required=False)
    r.ref("founding_document", DOCUMENT, required=False)
    r.ref("predecessor", ORG, required=False)
    r.texts("purposes")
    r.texts("principles")


def _body(r: FieldReader) -> None:
    r.text("name")
    r.text("abbreviation", required=False)
    r.choice("category", BodyCategory)
    r.ref("organization", ORG, default=SCO_ID)
    r.choice("status", BodyStatus)
    r.date("established", required=False)
    r.ref("parent", BODY, required=False)
    r.choice("permanence", Permanence, required=False)
    r.text("seat", required=False)
    r.state("seat_state", required=False)
    if r.values.get("status") is BodyStatus.DECIDED and r.values.get("established") is not None:
        r.problem(
            "established",
            p.INVALID_VALUE,
            "a body with status `decided` is not established yet; record its establishment "
            "as a body_change",
        )


# Which of the new values each change sets: required, allowed, or neither (forbidden).
_CHANGE_FIELDS: dict[BodyChangeKind, tuple[frozenset[str], frozenset[str]]] = {
    BodyChangeKind.ESTABLISHED: (frozenset(), frozenset({"seat", "seat_state", "name"})),
    BodyChangeKind.SEAT_RELOCATED: (frozenset({"seat"}), frozenset({"seat_state"})),
    BodyChangeKind.RENAMED: (frozenset({"name"}), frozenset()),
    BodyChangeKind.DISSOLVED: (frozenset(), frozenset()),
}


def _body_change(r: FieldReader) -> None:
    r.ref("body", BODY)
    r.date("date")
    r.choice("change", BodyChangeKind)
    change = r.values.get("change")
    if not isinstance(change, BodyChangeKind):
        for name in ("seat", "seat_state", "name"):
            r.used.add(name)
        return
    required, allowed = _CHANGE_FIELDS[change]
    for name in ("seat", "seat_state", "name"):
        if name in required or name in allowed:
            if name == "seat_state":
                r.state(name, required=name in required)
            else:
                r.text(name, required=name in required)
        else:
            r.forbid(name, f"for change {change.value}")


def _meeting(r: FieldReader) -> None:
    r.ref("body", BODY)
    r.integer("ordinal", required=False)
    r.date("start_date")
    r.date("end_date", required=False)
    r.text("city")
    r.state("host_state")
    r.choice("format", MeetingFormat)
    r.choice("status", MeetingStatus, default=MeetingStatus.HELD)
    r.order("start_date", "end_date", what="a meeting ends after it starts")


def _document(r: FieldReader) -> None:
    r.text("title")
    r.choice("category", DocumentCategory)
    r.date("signed_on")
    r.text("place", required=False)
    r.ref("meeting", MEETING, required=False)
    r.states("parties")
    r.date("in_force_on", required=False)
    r.ref("amends", DOCUMENT, required=False)
    r.order("signed_on", "in_force_on", what="a document enters into force after signature")


def _membership(r: FieldReader) -> None:
    r.state("state")
    r.ref("organization", ORG, default=SCO_ID)
    r.date("date")
    r.choice("change", MembershipChange)
    # After a withdrawal a state holds none of the statuses the format lists; null says so.
    withdrew = r.values.get("change") is MembershipChange.WITHDREW
    r.choice("status_after", MembershipStatus, required=not withdrew)
    r.ref("meeting", MEETING, required=False)
    r.ref("document", DOCUMENT, required=False)
    change, after = r.values.get("change"), r.values.get("status_after")
    allowed = _STATUS_AFTER.get(change) if isinstance(change, MembershipChange) else None
    if allowed is not None and isinstance(after, MembershipStatus) and after not in allowed:
        assert isinstance(change, MembershipChange)
        r.problem(
            "status_after",
            p.INCONSISTENT_STATUS,
            f"{change.value} leaves the status "
            f"{' or '.join(sorted(a.value for a in allowed))}, not {after.value}",
        )


# The status a change leaves by its meaning in FORMAT.md ("the status the state holds after
# the change"): participation in the Five, founding membership, admission as a member, a
# status granted. Steps of a procedure, changes, withdrawals and suspensions keep any.
_STATUS_AFTER: dict[MembershipChange, frozenset[MembershipStatus]] = {
    MembershipChange.PARTICIPATION_BEGAN: frozenset({MembershipStatus.SHANGHAI_FIVE_PARTICIPANT}),
    MembershipChange.FOUNDING_MEMBER: frozenset({MembershipStatus.FOUNDING_MEMBER}),
    MembershipChange.ADMITTED: frozenset({MembershipStatus.MEMBER}),
    MembershipChange.STATUS_GRANTED: frozenset(
        {MembershipStatus.OBSERVER, MembershipStatus.DIALOGUE_PARTNER, MembershipStatus.PARTNER}
    ),
}


def _office_term(r: FieldReader) -> None:
    r.ref("body", BODY)
    r.choice("office", Office)
    r.text("person")
    r.state("nationality", required=False)
    r.date("from")
    r.date("to", required=False)
    r.order("from", "to", what="a term ends after it begins")


def _mandate(r: FieldReader) -> None:
    r.ref("by", BODY)
    r.ref("to", BODY)
    r.date("date")
    r.text("task")
    r.ref("document", DOCUMENT, required=False)
    r.used.add("due")
    due = r.raw.get("due")
    r.values["due"] = None
    if isinstance(due, str) and DATE_SHAPE.match(due):
        r.values["due"] = r.date_value("due", due)
        r.order("date", "due", what="a mandate is due after it is given")
    elif due is not None:
        r.values["due"] = r.ref_value("due", due, MEETING)


READERS: dict[str, Callable[[FieldReader], None]] = {
    "organization": _organization,
    "body": _body,
    "body_change": _body_change,
    "meeting": _meeting,
    "document": _document,
    "membership": _membership,
    "office_term": _office_term,
    "mandate": _mandate,
}


def read_record(r: FieldReader, kind: str) -> AnyRecord | None:
    """Read the common and the kind's fields; the typed record, or None if anything was wrong."""
    r.sources()
    r.choice("confidence", Confidence)
    r.text("note", required=False)
    READERS[kind](r)
    r.finish()
    if not r.ok:
        return None
    return build(r.record_id, kind, r.values)


def fingerprint(record_id: str, kind: str, values: dict[str, Any]) -> str:
    """A hash of the normalized record: every field read, the common ones (sources,
    confidence, note) included, with defaults applied, so that a record written with and
    without a defaulted field (`"organization": "organization/sco"`) is the same fact, and a
    record whose only change is a note or a confidence is not.

    Stored in the log (each event's `record.fingerprint` metadata) and compared on every
    re-import: a change to this normalization makes every imported record a conflict."""
    normal = {"id": record_id, "kind": kind, **{k: _plain(v) for k, v in values.items()}}
    text = json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "value"):  # an enum member
        return value.value
    return value


def build(record_id: str, kind: str, values: dict[str, Any]) -> AnyRecord:
    common: dict[str, Any] = {
        "id": record_id,
        "sources": tuple(Citation(t, u) for t, u in values["sources"]),
        "confidence": values["confidence"],
        "note": values.get("note"),
        "fingerprint": fingerprint(record_id, kind, values),
    }
    fields = {k: v for k, v in values.items() if k not in ("sources", "confidence", "note")}
    if kind == "organization":
        return OrganizationRecord(**common, **fields)
    if kind == "body":
        return BodyRecord(**common, **fields)
    if kind == "body_change":
        return BodyChangeRecord(**common, **fields)
    if kind == "meeting":
        return MeetingRecord(**common, **fields)
    if kind == "document":
        return DocumentRecord(**common, **fields)
    if kind == "membership":
        return MembershipRecord(**common, **fields)
    if kind == "office_term":
        fields["from_"] = fields.pop("from")
        return OfficeTermRecord(**common, **fields)
    due = fields.pop("due")
    return MandateRecord(
        **common,
        **fields,
        due_meeting=due if isinstance(due, str) else None,
        due_date=due if isinstance(due, PartialDate) else None,
    )
