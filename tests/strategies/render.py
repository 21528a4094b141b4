"""How one fact becomes one record of a `sco-registry-history/1` file: dates at a chosen
precision, optional fields present, absent or null, sources and confidence. Every choice is
taken from the `random.Random` given, so that a seed reproduces a file."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

Record = dict[str, Any]

# Weights of the three precisions of a partial date: day, month, year.
_PRECISIONS = (("day", 6), ("month", 2), ("year", 2))

CONFIDENCES = ("high", "medium", "low")

# The absent field and the null field are both "no value" to the format; a marker keeps the
# absent one out of the record.
ABSENT = object()


class Renderer:
    """Record-level choices. `coarse` False keeps every date at day precision."""

    def __init__(self, rng: random.Random, *, coarse: bool = True) -> None:
        self.rng = rng
        self.coarse = coarse

    def date(self, day: dt.date, *, precision: str | None = None) -> str:
        """The date as the sources give it: the day, its month or its year, never more
        precise than the truth (nothing invented)."""
        if precision is None:
            if not self.coarse:
                precision = "day"
            else:
                names, weights = zip(*_PRECISIONS, strict=True)
                precision = self.rng.choices(names, weights)[0]
        if precision == "year":
            return f"{day.year:04d}"
        if precision == "month":
            return f"{day.year:04d}-{day.month:02d}"
        return day.isoformat()

    def sources(self, what: str) -> list[dict[str, str]]:
        """One to three sources, each with a title, a URL or both."""
        out = []
        for i in range(self.rng.randint(1, 3)):
            slug = f"{what}-{i}".replace("/", "-").replace(" ", "-").lower()
            title = f"Synthetic source {i + 1} on {what}"
            url = f"https://example.org/history/{slug}"
            shape = self.rng.choice(("both", "both", "title", "url"))
            if shape == "title":
                out.append({"title": title})
            elif shape == "url":
                out.append({"url": url})
            else:
                out.append({"title": title, "url": url})
        return out

    def record(self, record_id: str, kind: str, fields: dict[str, Any]) -> Record:
        """The record with its common fields; ABSENT values are left out."""
        out: Record = {"id": record_id, "kind": kind}
        out.update({k: v for k, v in fields.items() if v is not ABSENT})
        out["sources"] = self.sources(record_id)
        out["confidence"] = self.rng.choice(CONFIDENCES)
        note = self.rng.choice(("present", "absent", "null"))
        if note == "present":
            out["note"] = f"Curator's note on {record_id}."
        elif note == "null":
            out["note"] = None
        return out

    def optional(self, value: Any) -> Any:
        """A value that may be missing: present when there is one, else absent or null."""
        if value is not None:
            return value
        return self.rng.choice((ABSENT, None))

    def defaulted(self, value: Any, default: Any) -> Any:
        """A field with a default: written out, left absent or null when it is the default."""
        if value != default:
            return value
        return self.rng.choice((value, ABSENT, None))
