"""Cutting one list of records into several history files that import in order.

A cut is allowed where no record before it needs one after it: a reference (FORMAT.md: "only
to a record of the same file or of a file imported earlier"), and, for a document, the
membership records that make its listed parties members or participants by its date (the
domain's signatory rule reads them when the document is recorded).

That includes its founders' records (a listed party's record citing it, or another
instrument of its day, on its date). The importer counts such records of an earlier import
too, so a document may come in a later file than its founders' records; but those records
cite the document, so they can only come after it, and a document imported before them has
no founding party and is refused (`document.signatory_not_member`: tried, property (b)
fails). So the rule stays: a cut never parts a document from its founders' records.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any

from sco_registry.domain.time import PartialDate

Record = dict[str, Any]

# The fields of each kind that refer to another record by id.
REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "organization": ("founding_document", "predecessor"),
    "body": ("organization", "parent"),
    "body_change": ("body",),
    "meeting": ("body",),
    "document": ("meeting", "amends"),
    "membership": ("organization", "meeting", "document"),
    "office_term": ("body",),
    "mandate": ("by", "to", "document", "due"),
}


def references(record: Record) -> set[str]:
    """The ids a record refers to (a `due` date is not an id: ids hold a slash)."""
    out = set()
    for name in REFERENCE_FIELDS[record["kind"]]:
        value = record.get(name)
        if isinstance(value, str) and "/" in value:
            out.add(value)
    if record["kind"] in ("body", "membership") and record.get("organization") is None:
        out.add("organization/sco")
    return out


def _needs(records: Sequence[Record]) -> list[set[int]]:
    """For each record, the positions of the records it must not be parted from by a cut
    placed before them."""
    position = {r["id"]: i for i, r in enumerate(records)}
    needs = [{position[t] for t in references(r) if t in position} for r in records]
    changes = [(i, r) for i, r in enumerate(records) if r["kind"] == "membership"]
    for i, r in enumerate(records):
        if r["kind"] != "document" or not r.get("parties"):
            continue
        signed = PartialDate.parse(r["signed_on"])
        for j, m in changes:
            if m["state"] in r["parties"] and not signed.definitely_before(
                PartialDate.parse(m["date"])
            ):
                needs[i].add(j)
    return needs


def allowed_cuts(records: Sequence[Record]) -> list[int]:
    """Positions k (0 < k < len) where records[:k] and records[k:] may be two files."""
    needs = _needs(records)
    reach = -1
    cuts = []
    for k in range(len(records) - 1):
        reach = max(reach, k, *needs[k]) if needs[k] else max(reach, k)
        # Backward needs (to a record already before the cut) are fine; forward ones block.
        if reach <= k:
            cuts.append(k + 1)
    return cuts


def split_records(records: Sequence[Record], files: int, rng: random.Random) -> list[list[Record]]:
    """At most `files` consecutive parts, cut at allowed positions chosen at random."""
    cuts = allowed_cuts(records)
    chosen = sorted(rng.sample(cuts, min(files - 1, len(cuts)))) if files > 1 else []
    bounds = [0, *chosen, len(records)]
    return [list(records[a:b]) for a, b in itertools.pairwise(bounds)]
