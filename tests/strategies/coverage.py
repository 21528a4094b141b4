"""What a set of generated history files covers, as a set of named features: kinds, every
enumerated value of FORMAT.md, every optional field present, absent and null, every date
precision, both organizations, and the shapes of real history the generator is meant to
produce. A test asserts that the generator's first seeds cover all of `expected()`."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any

from sco_registry.domain.time import PartialDate
from sco_registry.importer import records as fmt
from tests.strategies.split import references

Feature = tuple[str, ...]

ENUMS: dict[tuple[str, str], type[enum.Enum]] = {
    ("*", "confidence"): fmt.Confidence,
    ("body", "category"): fmt.BodyCategory,
    ("body", "status"): fmt.BodyStatus,
    ("body", "permanence"): fmt.Permanence,
    ("body_change", "change"): fmt.BodyChangeKind,
    ("meeting", "format"): fmt.MeetingFormat,
    ("meeting", "status"): fmt.MeetingStatus,
    ("document", "category"): fmt.DocumentCategory,
    ("membership", "change"): fmt.MembershipChange,
    ("membership", "status_after"): fmt.MembershipStatus,
    ("office_term", "office"): fmt.Office,
}

# Fields a record may leave out or set to null (FORMAT.md: optional, "or null", defaulted).
OPTIONAL: dict[str, tuple[str, ...]] = {
    "*": ("note",),
    "organization": ("abbreviation", "founded_at", "founding_document", "predecessor"),
    "body": (
        "abbreviation", "organization", "established", "parent", "permanence", "seat",
        "seat_state",
    ),
    "body_change": ("seat", "seat_state", "name"),
    "meeting": ("ordinal", "end_date", "status"),
    "document": ("place", "meeting", "parties", "in_force_on", "amends"),
    "membership": ("organization", "status_after", "meeting", "document"),
    "office_term": ("nationality", "to"),
    "mandate": ("document", "due"),
}  # fmt: skip

SHAPES = (
    "status granted at a meeting citing a document the state did not sign",
    "admitted with a decision document",
    "admitted without a decision document",
    "observer or dialogue partner becomes partner",
    "document with parties null amended by a later document",
    "body recorded without a date, then established",
    "body relocated",
    "body renamed",
    "body dissolved",
    "temporary expert group",
    "meeting with an ordinal",
    "meeting without an ordinal",
    "office term closed",
    "office term open",
    "mandate due at a meeting",
    "mandate due at a date",
    "reference forward within a file",
    "reference to a record of an earlier file",
    "status granted and ended within one coarse date",
    "withdrawal followed by re-admission",
    "re-admission dated by a year that begins before the withdrawal",
)

DATE_FIELDS = (
    "founded_on", "established", "date", "start_date", "end_date", "signed_on", "in_force_on",
    "from", "to",
)  # fmt: skip


def expected() -> set[Feature]:
    out: set[Feature] = {("kind", k) for k in fmt.KINDS}
    for (kind, name), values in ENUMS.items():
        out |= {("enum", kind, name, str(v.value)) for v in values}
    for kind, names in OPTIONAL.items():
        for name in names:
            out |= {("optional", kind, name, how) for how in ("present", "absent", "null")}
    out |= {("precision", p) for p in ("year", "month", "day")}
    out |= {("organization", fmt.SCO_ID), ("organization", "organization/shanghai-five")}
    out |= {("shape", s) for s in SHAPES}
    return out


def _precision(value: str) -> str | None:
    """The precision of a date, or None for a value that is no date (a mandate's `to`)."""
    if "/" in value:
        return None
    return {4: "year", 7: "month", 10: "day"}.get(len(value))


def covered(histories: Iterable[Sequence[dict[str, Any]]]) -> set[Feature]:
    """The features of some histories, each a list of files in import order."""
    out: set[Feature] = set()
    for files in histories:
        out |= _history(files)
    return out


def _history(files: Sequence[dict[str, Any]]) -> set[Feature]:
    out: set[Feature] = set()
    by_id: dict[str, dict[str, Any]] = {}
    file_of: dict[str, int] = {}
    for i, f in enumerate(files):
        for r in f["records"]:
            by_id[r["id"]] = r
            file_of[r["id"]] = i
    out |= _streams(by_id.values())
    for i, f in enumerate(files):
        position = {r["id"]: j for j, r in enumerate(f["records"])}
        for j, r in enumerate(f["records"]):
            out |= _record(r, by_id)
            for target in references(r):
                if target not in file_of:
                    continue
                if file_of[target] < i:
                    out.add(("shape", "reference to a record of an earlier file"))
                elif file_of[target] == i and position[target] > j:
                    out.add(("shape", "reference forward within a file"))
    return out


_BEGINNINGS = ("participation_began", "founding_member", "admitted", "status_granted")


def _streams(records: Iterable[dict[str, Any]]) -> set[Feature]:
    """Shapes of one state's changes in one organization whose dates overlap: the import's
    order by earliest date alone put them in an order the domain refused."""
    streams: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        if r["kind"] == "membership":
            key = (r["state"], r.get("organization") or fmt.SCO_ID)
            streams.setdefault(key, []).append(r)
    out: set[str] = set()
    for changes in streams.values():
        begins = [PartialDate.parse(r["date"]) for r in changes if r["change"] in _BEGINNINGS]
        ends = [PartialDate.parse(r["date"]) for r in changes if r["change"] == "withdrew"]
        for end in ends:
            for begin in begins:
                if end.overlaps(begin) and end.lower < begin.lower:
                    out.add("status granted and ended within one coarse date")
        if ends and len(begins) > 1:
            out.add("withdrawal followed by re-admission")
            # A re-admission whose year begins before the withdrawal, after an earlier grant.
            first = min(begins)
            if any(b.overlaps(e) and b.lower < e.lower and first.definitely_before(e)
                   for b in begins for e in ends):  # fmt: skip
                out.add("re-admission dated by a year that begins before the withdrawal")
    return {("shape", s) for s in out}


def _record(r: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> set[Feature]:
    kind = r["kind"]
    out: set[Feature] = {("kind", kind)}
    for (k, name), _ in ENUMS.items():
        if k in ("*", kind) and isinstance(r.get(name), str):
            out.add(("enum", k, name, r[name]))
    for k in ("*", kind):
        for name in OPTIONAL.get(k, ()):
            how = "absent" if name not in r else "null" if r[name] is None else "present"
            out.add(("optional", k, name, how))
    for name in DATE_FIELDS:
        precision = _precision(r[name]) if isinstance(r.get(name), str) else None
        if precision is not None:
            out.add(("precision", precision))
    if kind in ("body", "membership"):
        out.add(("organization", r.get("organization") or fmt.SCO_ID))
    return out | _shapes(r, by_id)


def _shapes(r: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> set[Feature]:
    kind, out = r["kind"], set()
    doc = by_id.get(r.get("document") or "")
    if kind == "membership":
        granted = r["change"] == "status_granted" and r.get("meeting") and doc
        if granted and r["state"] not in (doc.get("parties") or ()):
            out.add("status granted at a meeting citing a document the state did not sign")
        if r["change"] == "admitted":
            out.add(f"admitted with{'' if doc else 'out'} a decision document")
        if r["change"] == "status_changed" and r.get("status_after") == "partner":
            out.add("observer or dialogue partner becomes partner")
    amended = by_id.get(r.get("amends") or "")
    if kind == "document" and amended is not None and amended.get("parties") is None:
        out.add("document with parties null amended by a later document")
    if kind == "body_change":
        body = by_id.get(r["body"], {})
        if r["change"] == "established" and body.get("established") is None:
            out.add("body recorded without a date, then established")
        names = {"seat_relocated": "relocated", "renamed": "renamed", "dissolved": "dissolved"}
        if r["change"] in names:
            out.add(f"body {names[r['change']]}")
    if kind == "body" and r["category"] == "expert_group" and r.get("permanence") == "temporary":
        out.add("temporary expert group")
    if kind == "meeting":
        out.add(f"meeting with{'' if r.get('ordinal') else 'out'} an ordinal")
    if kind == "office_term":
        out.add(f"office term {'closed' if r.get('to') else 'open'}")
    if kind == "mandate" and r.get("due"):
        out.add(f"mandate due at a {'meeting' if '/' in r['due'] else 'date'}")
    return {("shape", s) for s in out}
