"""One fault injected into a valid history: each fault breaks one rule of FORMAT.md or one
integrity rule of the domain, and says which problem the import must report (its code, the
file and the record id, and for a domain refusal the domain's code).

`inject(name, files, rng)` changes `files` (a list of file dicts, in import order) in place and
returns the expected problem, or None when the history offers no record the fault applies
to (the property then draws another history)."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sco_registry.importer import problems as p
from tests.strategies.coverage import ENUMS
from tests.strategies.history import STATE_POOL

Files = list[dict[str, Any]]


@dataclass(frozen=True)
class Fault:
    """The problem an injected fault must produce: in file `file` (its index), on record
    `record_id`, with `code`; `field` when the validator names one, `domain_code` when
    the domain refuses (it is in the message)."""

    code: str
    file: int
    record_id: str
    field: str | None = None
    domain_code: str | None = None


DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "organization": ("founded_on",),
    "body": ("established",),
    "body_change": ("date",),
    "meeting": ("start_date", "end_date"),
    "document": ("signed_on", "in_force_on"),
    "membership": ("date",),
    "office_term": ("from", "to"),
    "mandate": ("date",),
}
STATE_FIELDS = ("state", "host_state", "seat_state", "nationality")
# Reference fields and the kinds they may name.
REFERENCES: dict[str, dict[str, str]] = {
    "organization": {"founding_document": "document", "predecessor": "organization"},
    "body": {"organization": "organization", "parent": "body"},
    "body_change": {"body": "body"},
    "meeting": {"body": "body"},
    "document": {"meeting": "meeting", "amends": "document"},
    "membership": {"organization": "organization", "meeting": "meeting", "document": "document"},
    "office_term": {"body": "body"},
    "mandate": {"by": "body", "to": "body", "document": "document"},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "organization": ("name", "founded_on", "purposes", "principles"),
    "body": ("name", "category", "status"),
    "body_change": ("body", "date", "change"),
    "meeting": ("body", "start_date", "city", "host_state", "format"),
    "document": ("title", "category", "signed_on"),
    "membership": ("state", "date", "change"),
    "office_term": ("body", "office", "person", "from"),
    "mandate": ("by", "to", "date", "task"),
}
TEXT_FIELDS = ("name", "title", "city", "person", "task", "note")
MALFORMED_DATES = ("2005-13-01", "2005-02-30", "05/06/2005", "2005-6-1", "", "June 2005", "20050")


def _candidates(
    files: Files, test: Callable[[dict[str, Any]], list[str]]
) -> list[tuple[int, int, str]]:
    """(file index, record index, field) for every field of every record `test` names."""
    return [
        (i, j, name)
        for i, f in enumerate(files)
        for j, r in enumerate(f["records"])
        for name in test(r)
    ]


def _pick(
    files: Files, rng: random.Random, test: Callable[[dict[str, Any]], list[str]]
) -> tuple[int, dict[str, Any], str] | None:
    found = _candidates(files, test)
    if not found:
        return None
    i, j, name = rng.choice(found)
    return i, files[i]["records"][j], name


def malformed_date(files: Files, rng: random.Random) -> Fault | None:
    hit = _pick(files, rng, lambda r: [n for n in DATE_FIELDS[r["kind"]] if r.get(n)])
    if hit is None:
        return None
    i, r, name = hit
    r[name] = rng.choice(MALFORMED_DATES)
    return Fault(p.DATE_MALFORMED, i, r["id"], name)


def unknown_state(files: Files, rng: random.Random) -> Fault | None:
    hit = _pick(files, rng, lambda r: [n for n in STATE_FIELDS if isinstance(r.get(n), str)])
    if hit is None:
        return None
    i, r, name = hit
    r[name] = rng.choice([c for c in ("XA", "QZ", "ZZ", "XK") if c not in STATE_POOL])
    return Fault(p.UNKNOWN_STATE, i, r["id"], name)


def dangling_reference(files: Files, rng: random.Random) -> Fault | None:
    hit = _pick(files, rng, lambda r: list(REFERENCES[r["kind"]]))
    if hit is None:
        return None
    i, r, name = hit
    r[name] = f"{REFERENCES[r['kind']][name]}/no-such-record"
    return Fault(p.DANGLING_REFERENCE, i, r["id"], name)


def reference_to_later_file(files: Files, rng: random.Random) -> Fault | None:
    """A record of a file refers to a record of a later file (FORMAT.md: only to the same
    file or one imported earlier). Within one file a forward reference is valid."""
    later: dict[str, list[str]] = {}
    pairs = []
    for i in range(len(files) - 1, -1, -1):
        for r in files[i]["records"]:
            for name, kind in REFERENCES[r["kind"]].items():
                pairs += [(i, r, name, t) for t in later.get(kind, ()) if t != r["id"]]
        for r in files[i]["records"]:
            later.setdefault(r["kind"], []).append(r["id"])
    if not pairs:
        return None
    i, r, name, target = rng.choice(pairs)
    r[name] = target
    return Fault(p.DANGLING_REFERENCE, i, r["id"], name)


def duplicate_id(files: Files, rng: random.Random) -> Fault | None:
    hit = _pick(files, rng, lambda r: ["id"])
    if hit is None:
        return None
    i, r, _ = hit
    twin = copy.deepcopy(r)
    twin["note"] = f"{r.get('note') or ''} Told differently.".strip()
    records = files[i]["records"]
    records.insert(rng.randint(0, len(records)), twin)
    return Fault(p.DUPLICATE_ID, i, r["id"], "id")


def enum_outside(files: Files, rng: random.Random) -> Fault | None:
    def names(r: dict[str, Any]) -> list[str]:
        return [n for (k, n) in ENUMS if k in ("*", r["kind"]) and isinstance(r.get(n), str)]

    hit = _pick(files, rng, names)
    if hit is None:
        return None
    i, r, name = hit
    r[name] = rng.choice(("rumoured", "unknown", r[name].upper(), f"{r[name]}_x"))
    return Fault(p.INVALID_VALUE, i, r["id"], name)


def missing_required(files: Files, rng: random.Random) -> Fault | None:
    hit = _pick(files, rng, lambda r: [*REQUIRED[r["kind"]], "sources", "confidence"])
    if hit is None:
        return None
    i, r, name = hit
    if rng.random() < 0.5:
        del r[name]
    else:
        r[name] = None
    return Fault(p.MISSING_FIELD, i, r["id"], name)


def wrong_type(files: Files, rng: random.Random) -> Fault | None:
    def names(r: dict[str, Any]) -> list[str]:
        out = [n for n in TEXT_FIELDS if isinstance(r.get(n), str)]
        out += [n for n in ("purposes", "principles", "parties") if isinstance(r.get(n), list)]
        out += [n for n in REFERENCES[r["kind"]] if isinstance(r.get(n), str)]
        return out + (["ordinal"] if isinstance(r.get("ordinal"), int) else [])

    hit = _pick(files, rng, names)
    if hit is None:
        return None
    i, r, name = hit
    value = r[name]
    if isinstance(value, list):
        r[name] = rng.choice(("a text, not a list", 3, {"0": value}))
    elif isinstance(value, int):
        r[name] = rng.choice((str(value), float(value), True, [value]))
    else:
        r[name] = rng.choice((42, 4.5, True, [value], {"value": value}))
    return Fault(p.INVALID_VALUE, i, r["id"], name)


def number_out_of_range(files: Files, rng: random.Random) -> Fault | None:
    hit = _pick(files, rng, lambda r: ["ordinal"] if r["kind"] == "meeting" else [])
    if hit is None:
        return None
    i, r, name = hit
    r[name] = rng.choice((2**70, 10**6, 10_000, 0, -1, -(2**40)))
    return Fault(p.NUMBER_OUT_OF_RANGE, i, r["id"], name)


def in_force_before_signed(files: Files, rng: random.Random) -> Fault | None:
    hit = _pick(files, rng, lambda r: ["in_force_on"] if r["kind"] == "document" else [])
    if hit is None:
        return None
    i, r, name = hit
    year = int(r["signed_on"][:4])
    r[name] = rng.choice((f"{year - 1:04d}", f"{year - 3:04d}-05", f"{year - 1:04d}-12-31"))
    return Fault(p.DATES_INCONSISTENT, i, r["id"], name)


_LEAVES = {
    "participation_began": "shanghai_five_participant",
    "founding_member": "founding_member",
    "admitted": "member",
    "status_granted": "observer",
}


def status_inconsistent_with_change(files: Files, rng: random.Random) -> Fault | None:
    """`admitted` leaving an observer, `status_granted` leaving a member...: the format says
    `status_after` is the status the change leaves, so the validator refuses it."""
    hit = _pick(files, rng, lambda r: ["status_after"] if r.get("change") in _LEAVES else [])
    if hit is None:
        return None
    i, r, name = hit
    wrong = [s for s in ("member", "observer", "founding_member") if s != _LEAVES[r["change"]]]
    if r["change"] == "status_granted":
        wrong = ["member", "founding_member", "shanghai_five_participant"]
    r[name] = rng.choice(wrong)
    return Fault(p.INCONSISTENT_STATUS, i, r["id"], name)


def meeting_of_dissolved_body(files: Files, rng: random.Random) -> Fault | None:
    """A body established, dissolved, and then meeting: valid by the format, refused by the
    domain (a dissolved body holds no meeting)."""
    i = rng.randrange(len(files))
    f = files[i]
    known = [s["code"] for g in files[: i + 1] for s in g["states"]]
    if not known:
        return None
    year = int(f["covers"]["from"])
    start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 200))
    body, meeting = "body/dissolved-then-met", "meeting/dissolved-then-met/1"
    source = [{"title": "Injected fault"}]
    records = [
        {"id": body, "kind": "body", "name": "Dissolved then met", "category": "mechanism",
         "status": "established", "established": start.isoformat(), "sources": source,
         "confidence": "low"},
        {"id": "body_change/dissolved-then-met", "kind": "body_change", "body": body,
         "date": (start + dt.timedelta(days=30)).isoformat(), "change": "dissolved",
         "sources": source, "confidence": "low"},
        {"id": meeting, "kind": "meeting", "body": body,
         "start_date": (start + dt.timedelta(days=rng.randint(31, 400))).isoformat(),
         "city": "Nowhere", "host_state": rng.choice(known), "format": "in_person",
         "sources": source, "confidence": "low"},
    ]  # fmt: skip
    if not any(r["id"] == "organization/sco" for g in files[: i + 1] for r in g["records"]):
        return None
    for r in records:
        f["records"].insert(rng.randint(0, len(f["records"])), r)
    return Fault(p.REJECTED_BY_DOMAIN, i, meeting, domain_code="meeting.body_dissolved")


FAULTS: dict[str, Callable[[Files, random.Random], Fault | None]] = {
    f.__name__: f
    for f in (
        malformed_date,
        unknown_state,
        dangling_reference,
        reference_to_later_file,
        duplicate_id,
        enum_outside,
        missing_required,
        wrong_type,
        number_out_of_range,
        in_force_before_signed,
        meeting_of_dissolved_body,
        status_inconsistent_with_change,
    )
}


def inject(name: str, files: Files, rng: random.Random) -> Fault | None:
    return FAULTS[name](files, rng)
