"""Parsing and validating `sco-registry-history/1` files (FORMAT.md) into typed records.

Pure: no store, no clock. Every problem is collected, none stops the check. A file is checked
against what is known from files imported before it (`Known`): their record ids (with kinds)
and their states. References within a file are order-independent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.time import PartialDate
from sco_registry.importer import problems as p
from sco_registry.importer.fields import STATE_CODE, FieldReader, PendingReference
from sco_registry.importer.kinds import read_record
from sco_registry.importer.problems import ImportProblem
from sco_registry.importer.records import FORMAT_TAG, KINDS, AnyRecord, HistoryFile

_TOP_LEVEL = ("format", "title", "covers", "states", "records")


@dataclass(frozen=True, slots=True)
class Known:
    """What earlier files (or the store) already hold: record id -> kind, and state codes."""

    ids: Mapping[str, str] = field(default_factory=dict)
    states: frozenset[str] = frozenset()

    def with_file(self, parsed: ParsedFile) -> Known:
        return Known({**self.ids, **parsed.ids}, self.states | frozenset(parsed.states))


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """The outcome of checking one file. `file` is None when a problem was found; `ids` and
    `states` hold what the file declares even then (so later files are checked sensibly)."""

    path: str
    file: HistoryFile | None
    problems: tuple[ImportProblem, ...]
    ids: Mapping[str, str]
    states: Mapping[str, str]
    count: int = 0  # records in the file, valid or not


class _Duplicate(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON allows a key twice and keeps the last; in a history file that hides a fact.
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(f"the key {k!r} appears twice in one object")
        out[k] = v
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_path(path: str | Path, known: Known = Known()) -> ParsedFile:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problem = ImportProblem(name, None, None, p.FILE_UNREADABLE, f"cannot read: {e}")
        return ParsedFile(name, None, (problem,), {}, {})
    return parse_text(text, name, known)


def parse_text(text: str, path: str, known: Known = Known()) -> ParsedFile:
    try:
        raw = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant
        )
    except (ValueError, _Duplicate) as e:
        problem = ImportProblem(path, None, None, p.BAD_JSON, f"not valid JSON: {e}")
        return ParsedFile(path, None, (problem,), {}, {})
    except RecursionError:
        # Valid JSON, but nested deeper than the parser can follow (Python's recursion limit,
        # about a thousand levels); no history file comes close to that.
        problem = ImportProblem(
            path, None, None, p.FILE_UNREADABLE, "cannot read: JSON nested too deeply to parse"
        )
        return ParsedFile(path, None, (problem,), {}, {})
    return _FileCheck(path, known).run(raw)


def parse_paths(paths: Iterable[str | Path], known: Known = Known()) -> list[ParsedFile]:
    """Check files in import order: each may refer to the records of those before it."""
    out: list[ParsedFile] = []
    for path in paths:
        parsed = parse_path(path, known)
        out.append(parsed)
        known = known.with_file(parsed)
    return out


class _FileCheck:
    def __init__(self, path: str, known: Known) -> None:
        self.path = path
        self.known = known
        self.problems: list[ImportProblem] = []
        self.states: dict[str, str] = {}

    def report(self, problem: ImportProblem) -> None:
        self.problems.append(problem)

    def file_problem(self, field: str | None, code: str, message: str) -> None:
        self.report(ImportProblem(self.path, None, field, code, message))

    def run(self, raw: Any) -> ParsedFile:
        if not isinstance(raw, dict):
            self.file_problem(None, p.BAD_JSON, "a history file is a JSON object")
            return ParsedFile(self.path, None, tuple(self.problems), {}, {})
        for key in raw:
            if key not in _TOP_LEVEL:
                self.file_problem(key, p.UNKNOWN_FIELD, f"{key} is not a field of a history file")
        for key in _TOP_LEVEL:
            if raw.get(key) is None:
                self.file_problem(key, p.MISSING_FIELD, f"{key} is required")
        fmt = raw.get("format")
        if fmt is not None and fmt != FORMAT_TAG:
            self.file_problem(
                "format",
                p.UNSUPPORTED_FORMAT,
                f"format is {fmt!r}; this importer reads {FORMAT_TAG}",
            )
        title = raw.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            self.file_problem("title", p.INVALID_VALUE, "title must be a non-empty string")
        covers = self.covers(raw.get("covers"))
        self.read_states(raw.get("states"))
        records, ids = self.read_records(raw.get("records"))
        ok = not self.problems and covers is not None and isinstance(title, str)
        history = (
            HistoryFile(self.path, title, covers[0], covers[1], dict(self.states), tuple(records))
            if ok and covers is not None and isinstance(title, str)
            else None
        )
        count = len(raw["records"]) if isinstance(raw.get("records"), list) else 0
        return ParsedFile(self.path, history, tuple(self.problems), ids, dict(self.states), count)

    def covers(self, raw: Any) -> tuple[PartialDate, PartialDate] | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.file_problem("covers", p.INVALID_VALUE, 'covers is {"from": date, "to": date}')
            return None
        for key in raw:
            if key not in ("from", "to"):
                self.file_problem(f"covers.{key}", p.UNKNOWN_FIELD, f"{key} is not a covers field")
        dates: list[PartialDate] = []
        for key in ("from", "to"):
            try:
                dates.append(PartialDate.parse(raw.get(key)))  # type: ignore[arg-type]
            except InvalidValue as e:
                self.file_problem(f"covers.{key}", p.DATE_MALFORMED, e.message)
        if len(dates) != 2:
            return None
        if dates[1].definitely_before(dates[0]):
            self.file_problem("covers.to", p.DATES_INCONSISTENT, "covers ends before it begins")
            return None
        return dates[0], dates[1]

    def read_states(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            self.file_problem("states", p.INVALID_VALUE, "states is a list of {code, name}")
            return
        for i, item in enumerate(raw):
            field = f"states[{i}]"
            if not isinstance(item, dict):
                self.file_problem(field, p.INVALID_VALUE, "a state is an object {code, name}")
                continue
            for key in item:
                if key not in ("code", "name"):
                    self.file_problem(
                        f"{field}.{key}", p.UNKNOWN_FIELD, f"{key} is not a state field"
                    )
            code, name = item.get("code"), item.get("name")
            if not isinstance(name, str) or not name.strip():
                self.file_problem(f"{field}.name", p.INVALID_VALUE, "a state needs a name")
            if not isinstance(code, str) or not STATE_CODE.match(code):
                self.file_problem(
                    f"{field}.code", p.INVALID_VALUE, f"{code!r} is not an ISO 3166-1 alpha-2 code"
                )
                continue
            if code in self.states:
                self.file_problem(f"{field}.code", p.DUPLICATE_STATE, f"{code} is listed twice")
                continue
            self.states[code] = name if isinstance(name, str) else code

    def is_state(self, code: str) -> bool:
        return code in self.states or code in self.known.states

    def read_records(self, raw: Any) -> tuple[list[AnyRecord], dict[str, str]]:
        if raw is None:
            return [], {}
        if not isinstance(raw, list):
            self.file_problem("records", p.INVALID_VALUE, "records is a list of objects")
            return [], {}
        records: list[AnyRecord] = []
        ids: dict[str, str] = {}
        fingerprints: dict[str, str | None] = {}
        references: list[PendingReference] = []
        for index, item in enumerate(raw):
            where = f"records[{index}]"
            if not isinstance(item, dict):
                self.report(ImportProblem(self.path, where, None, p.INVALID_VALUE, "not an object"))
                continue
            record_id = item.get("id")
            if not isinstance(record_id, str) or not record_id.strip():
                self.report(
                    ImportProblem(self.path, where, "id", p.MISSING_FIELD, "id must be a string")
                )
                record_id = where
            kind = item.get("kind")
            if kind not in KINDS:
                allowed = ", ".join(KINDS)
                self.report(
                    ImportProblem(
                        self.path,
                        record_id,
                        "kind",
                        p.UNKNOWN_KIND,
                        f"kind is {kind!r}; expected one of: {allowed}",
                    )
                )
                ids.setdefault(record_id, "")
                continue
            reader = FieldReader(
                file=self.path,
                record_id=record_id,
                raw=item,
                states=self.is_state,
                report=self.report,
            )
            record = read_record(reader, kind)
            if record_id in ids:
                self.duplicate(record_id, kind, ids[record_id], fingerprints.get(record_id), record)
                continue
            ids[record_id] = kind
            fingerprints[record_id] = None if record is None else record.fingerprint
            references.extend(reader.references)
            if record is not None:
                records.append(record)
        self.check_references(references, ids)
        return records, ids

    def duplicate(
        self,
        record_id: str,
        kind: str,
        first_kind: str,
        first: str | None,
        record: AnyRecord | None,
    ) -> None:
        same = record is not None and first == record.fingerprint and kind == first_kind
        message = (
            "the id appears twice in this file (with the same content)"
            if same
            else "the id appears twice in this file with other content"
        )
        self.report(ImportProblem(self.path, record_id, "id", p.DUPLICATE_ID, message))

    def check_references(
        self, references: Sequence[PendingReference], ids: Mapping[str, str]
    ) -> None:
        for ref in references:
            kind = ids.get(ref.target, self.known.ids.get(ref.target))
            if kind is None:
                self.report(
                    ImportProblem(
                        self.path,
                        ref.record_id,
                        ref.field,
                        p.DANGLING_REFERENCE,
                        f"{ref.target!r} is no record of this file nor of one imported before",
                    )
                )
            elif kind and kind not in ref.kinds:
                self.report(
                    ImportProblem(
                        self.path,
                        ref.record_id,
                        ref.field,
                        p.WRONG_REFERENCE_KIND,
                        f"{ref.target!r} is a {kind}; expected a {' or '.join(ref.kinds)}",
                    )
                )
