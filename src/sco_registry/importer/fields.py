"""Reading one record's fields: types, enums, dates, state codes and references, collecting
every problem instead of stopping at the first."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.time import PartialDate
from sco_registry.importer import problems as p
from sco_registry.importer.problems import ImportProblem

E = TypeVar("E", bound=enum.Enum)

STATE_CODE = re.compile(r"^[A-Z]{2}$")
# The shape of a date; whether it is a real date is PartialDate.parse's job. Used to tell a
# `due` date from a `due` meeting id (ids always hold a slash).
DATE_SHAPE = re.compile(r"^\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?$")
# The bound of an ordinal (the only number of the format): counted from 1, and no body of the
# SCO meets ten thousand times; 2**70 is a typing slip, not a meeting, and would overflow the
# read models' integer columns.
MAX_ORDINAL = 9999


@dataclass(frozen=True, slots=True)
class PendingReference:
    """A reference to check once every record of the file is known (references are
    order-independent within a file)."""

    record_id: str
    field: str
    target: str
    kinds: tuple[str, ...]


class FieldReader:
    """Reads the fields of one raw record into `values` (keyed by the file's field names, with
    defaults applied) and notes every problem. `ok` is False once anything was wrong."""

    def __init__(
        self,
        *,
        file: str,
        record_id: str,
        raw: Mapping[str, Any],
        states: Callable[[str], bool],
        report: Callable[[ImportProblem], None],
    ) -> None:
        self.file = file
        self.record_id = record_id
        self.raw = raw
        self._is_state = states
        self._report = report
        self.values: dict[str, Any] = {}
        self.references: list[PendingReference] = []
        self.used: set[str] = {"id", "kind"}
        self.ok = True

    def problem(self, field: str | None, code: str, message: str) -> None:
        self.ok = False
        self._report(ImportProblem(self.file, self.record_id, field, code, message))

    def _get(self, name: str, required: bool) -> tuple[bool, Any]:
        """(present, value). A missing key and a null are the same for optional fields."""
        self.used.add(name)
        value = self.raw.get(name)
        if value is None:
            if required:
                if name in self.raw:
                    self.problem(name, p.MISSING_FIELD, f"{name} must not be null")
                else:
                    self.problem(name, p.MISSING_FIELD, f"{name} is required")
            self.values[name] = None
            return False, None
        return True, value

    def text(self, name: str, *, required: bool = True) -> None:
        present, value = self._get(name, required)
        if present:
            self.values[name] = self._text_value(name, value)

    def _text_value(self, field: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(field, p.INVALID_VALUE, f"{field} must be a non-empty string")
            return None
        return value

    def texts(self, name: str) -> None:
        """A list of text, present (it may be empty)."""
        present, value = self._get(name, True)
        if not present:
            return
        if not isinstance(value, list):
            self.problem(name, p.INVALID_VALUE, f"{name} must be a list of strings")
            return
        self.values[name] = tuple(self._text_value(f"{name}[{i}]", v) for i, v in enumerate(value))

    def integer(
        self, name: str, *, required: bool = True, minimum: int = 1, maximum: int = MAX_ORDINAL
    ) -> None:
        present, value = self._get(name, required)
        if not present:
            return
        # bool is an int in Python; `true` is not an ordinal. Nor is 3.0.
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, p.INVALID_VALUE, f"{name} must be an integer")
            return
        if not minimum <= value <= maximum:
            shown = str(value) if abs(value) < 10**12 else f"a number of {len(str(value))} digits"
            self.problem(
                name,
                p.NUMBER_OUT_OF_RANGE,
                f"{name} is {shown}; expected an integer from {minimum} to {maximum}",
            )
            return
        self.values[name] = value

    def date(self, name: str, *, required: bool = True) -> None:
        present, value = self._get(name, required)
        if present:
            self.values[name] = self.date_value(name, value)

    def date_value(self, field: str, value: Any) -> PartialDate | None:
        try:
            return PartialDate.parse(value)
        except InvalidValue as e:
            self.problem(field, p.DATE_MALFORMED, e.message)
            return None

    def choice(
        self, name: str, enum_type: type[E], *, required: bool = True, default: E | None = None
    ) -> None:
        present, value = self._get(name, required and default is None)
        if not present:
            self.values[name] = default
            return
        try:
            self.values[name] = enum_type(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum_type)
            self.problem(name, p.INVALID_VALUE, f"{name} is {value!r}; expected one of: {allowed}")

    def state(self, name: str, *, required: bool = True) -> None:
        present, value = self._get(name, required)
        if present:
            self.values[name] = self.state_value(name, value)

    def state_value(self, field: str, value: Any) -> str | None:
        if not isinstance(value, str) or not STATE_CODE.match(value):
            self.problem(
                field,
                p.INVALID_VALUE,
                f"{value!r} is not an ISO 3166-1 alpha-2 code (two capitals)",
            )
            return None
        if not self._is_state(value):
            self.problem(
                field,
                p.UNKNOWN_STATE,
                f"state {value!r} is not in the file's `states` nor known from an earlier file",
            )
            return None
        return value

    def states(self, name: str) -> None:
        """A list of state codes, or null where the sources do not list them."""
        present, value = self._get(name, False)
        if not present:
            return
        if not isinstance(value, list) or not value:
            self.problem(name, p.INVALID_VALUE, f"{name} must be a non-empty list of codes or null")
            return
        codes = [self.state_value(f"{name}[{i}]", v) for i, v in enumerate(value)]
        seen: set[str] = set()
        for i, code in enumerate(codes):
            if code is not None and code in seen:
                self.problem(f"{name}[{i}]", p.INVALID_VALUE, f"{code} is listed twice")
            seen.add(code or "")
        self.values[name] = tuple(c for c in codes if c is not None)

    def ref(
        self,
        name: str,
        kinds: tuple[str, ...],
        *,
        required: bool = True,
        default: str | None = None,
    ) -> None:
        present, value = self._get(name, required and default is None)
        if not present:
            self.values[name] = default
            if default is not None:
                self.references.append(PendingReference(self.record_id, name, default, kinds))
            return
        self.values[name] = self.ref_value(name, value, kinds)

    def ref_value(self, field: str, value: Any, kinds: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(field, p.INVALID_VALUE, f"{field} must be a record id (a string)")
            return None
        if value == self.record_id:
            self.problem(field, p.INVALID_VALUE, f"{field} refers to the record itself")
            return None
        self.references.append(PendingReference(self.record_id, field, value, kinds))
        return value

    def order(self, first: str, second: str, *, what: str) -> None:
        """Dates that must not be in the wrong order: broken only when the dates *prove* it
        (a partial date that overlaps is accepted, as in the domain's rules)."""
        a, b = self.values.get(first), self.values.get(second)
        if isinstance(a, PartialDate) and isinstance(b, PartialDate) and b.definitely_before(a):
            self.problem(
                second, p.DATES_INCONSISTENT, f"{second} {b} is before {first} {a}: {what}"
            )

    def forbid(self, name: str, reason: str) -> None:
        self.used.add(name)
        if self.raw.get(name) is not None:
            self.problem(name, p.INVALID_VALUE, f"{name} must be absent or null {reason}")
        self.values[name] = None

    def finish(self) -> None:
        for name in self.raw:
            if name not in self.used:
                self.problem(name, p.UNKNOWN_FIELD, f"{name} is not a field of this kind")

    def sources(self) -> None:
        """At least one source, each with a title or a URL (or both)."""
        present, value = self._get("sources", True)
        if not present:
            return
        if not isinstance(value, list) or not value:
            self.problem("sources", p.MISSING_FIELD, "sources must list at least one source")
            return
        cited: list[tuple[str | None, str | None]] = []
        for i, item in enumerate(value):
            field = f"sources[{i}]"
            if not isinstance(item, dict):
                self.problem(field, p.INVALID_VALUE, "a source must be an object {title, url}")
                continue
            for key in item:
                if key not in ("title", "url"):
                    self.problem(f"{field}.{key}", p.UNKNOWN_FIELD, f"{key} is not a source field")
            title, url = item.get("title"), item.get("url")
            if title is None and url is None:
                self.problem(field, p.MISSING_FIELD, "a source needs a title or a url")
                continue
            title = None if title is None else self._text_value(f"{field}.title", title)
            url = None if url is None else self._text_value(f"{field}.url", url)
            cited.append((title, url))
        self.values["sources"] = tuple(cited)
