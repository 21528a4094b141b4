"""Partial dates of history (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`), kept with the precision given.

A partial date stands for one day of an interval, not known which: "2004-06" is some day
from 2004-06-01 (`lower`) to 2004-06-30 (`upper`). It is never filled in with an invented
day. The text is the whole of it, in ASCII digits, and parses back to itself (`str`).
Comparisons follow these rules:

* ``a.definitely_before(b)``: every day of ``a`` is before every day of ``b``
  (``a.upper < b.lower``). "2004-05" is definitely before "2004-06-17"; "2004-06" is not.
* ``a.possibly_before(b)``: some day of ``a`` is before some day of ``b`` (``a.lower < b.upper``).
* ``a.overlaps(b)``: they may be the same day (the intervals share one). "2004-06" overlaps
  "2004-06-17".
* ``a.sort_key``: (lower, upper, precision); a total order for listing (coarser first on ties).

An integrity rule such as "ratification after signature" is broken only when the dates
*prove* it broken (``ratified.definitely_before(signed)``); an overlap is accepted.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering

from sco_registry.domain.errors import InvalidValue

# ASCII digits only, and the whole text: `\d` would take other scripts' digits ("２００４") and
# `$` a trailing newline, and neither gives back the text it was parsed from.
_PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


class Precision(enum.Enum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


_RANK = {Precision.YEAR: 0, Precision.MONTH: 1, Precision.DAY: 2}


@total_ordering
@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date with year, month or day precision. Build it with :meth:`parse`."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise InvalidValue(f"year out of range: {self.year}", code="date.malformed")
        if self.day is not None and self.month is None:
            raise InvalidValue("a day needs a month", code="date.malformed")
        if self.month is not None and not 1 <= self.month <= 12:
            raise InvalidValue(f"month out of range: {self.month}", code="date.malformed")
        if self.day is not None:
            assert self.month is not None
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise InvalidValue(
                    f"day out of range: {self.year:04d}-{self.month:02d}-{self.day:02d}",
                    code="date.malformed",
                )

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        if not isinstance(text, str):
            raise InvalidValue(
                f"a date must be a string, not {type(text).__name__}", code="date.malformed"
            )
        m = _PATTERN.fullmatch(text)
        if m is None:
            raise InvalidValue(
                f"malformed date {text!r}: expected YYYY, YYYY-MM or YYYY-MM-DD",
                code="date.malformed",
                details={"value": text},
            )
        y, mo, d = m.groups()
        try:
            return cls(int(y), int(mo) if mo else None, int(d) if d else None)
        except InvalidValue as e:
            raise InvalidValue(
                f"malformed date {text!r}: {e.message}",
                code="date.malformed",
                details={"value": text},
            ) from None

    @classmethod
    def of(cls, day: dt.date) -> PartialDate:
        return cls(day.year, day.month, day.day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    @property
    def lower(self) -> dt.date:
        """The first day this date may stand for."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def upper(self) -> dt.date:
        """The last day this date may stand for (inclusive)."""
        if self.day is not None:
            assert self.month is not None
            return dt.date(self.year, self.month, self.day)
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def sort_key(self) -> tuple[dt.date, dt.date, int]:
        return (self.lower, self.upper, _RANK[self.precision])

    def definitely_before(self, other: PartialDate) -> bool:
        return self.upper < other.lower

    def possibly_before(self, other: PartialDate) -> bool:
        return self.lower < other.upper

    def overlaps(self, other: PartialDate) -> bool:
        return self.lower <= other.upper and other.lower <= self.upper

    def contains(self, day: dt.date) -> bool:
        return self.lower <= day <= self.upper

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.sort_key < other.sort_key

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __repr__(self) -> str:
        return f"PartialDate({str(self)!r})"


@lru_cache(maxsize=1 << 16)
def parse_cached(text: str) -> PartialDate:
    """`PartialDate.parse(text)`, made once per text: a `PartialDate` is immutable, and the
    hot paths (decoding the log, applying and reading the read models) parse the same few
    thousand dates over and over. A refused text raises each time (exceptions are not
    cached); the argument must be hashable (callers with untrusted values check `str`)."""
    return PartialDate.parse(text)
