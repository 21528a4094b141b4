"""Value types shared by every stream family: citations, state codes and reference checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sco_registry.domain.errors import IntegrityViolation, InvalidValue, NotFound
from sco_registry.domain.time import PartialDate

_STATE_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Citation:
    """What a fact rests on: a title and/or URL, or an article of a document.

    `article` names a provision ("Art. 8") of the document named by `title`; the declaration's
    own facts cite it so ("Declaration on the Establishment of the SCO", "Art. 8").
    """

    title: str | None = None
    url: str | None = None
    article: str | None = None

    def __post_init__(self) -> None:
        if not (self.title or self.url):
            raise InvalidValue("a citation needs a title or a URL", code="source.empty")

    def to_json(self) -> dict[str, str | None]:
        return {"title": self.title, "url": self.url, "article": self.article}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Citation:
        return cls(title=raw.get("title"), url=raw.get("url"), article=raw.get("article"))


Sources = tuple[Citation, ...]


def check_state_code(code: str) -> str:
    """An ISO 3166-1 alpha-2 code; whether the registry knows it is a separate question."""
    if not isinstance(code, str) or not _STATE_CODE.match(code):
        raise InvalidValue(
            f"malformed state code {code!r}: expected two capital letters",
            code="state.malformed_code",
            details={"value": code},
        )
    return code


def require_sources(sources: Sources) -> None:
    """Every event must cite at least one source: an auditor must be able to ask why."""
    if not sources:
        raise InvalidValue("a fact needs at least one source", code="source.missing")


def require_known_states(codes: Iterable[str], known: frozenset[str], *, field: str) -> None:
    """Refuse codes the registry has not registered (reference data comes from the files)."""
    for code in codes:
        check_state_code(code)
        if code not in known:
            raise NotFound(
                f"unknown state {code!r} in {field}",
                code="reference.unknown_state",
                details={"state": code, "field": field},
            )


def require_known(ref: str | None, known: bool, *, kind: str, field: str) -> None:
    """Refuse a reference to a record the registry does not hold (`reference.unknown_<kind>`)."""
    if ref is not None and not known:
        raise NotFound(
            f"unknown {kind} {ref!r} in {field}",
            code=f"reference.unknown_{kind}",
            details={kind: ref, "field": field},
        )


def require_order(
    start: PartialDate | None, end: PartialDate | None, *, what: str, code: str
) -> None:
    """Refuse an end that the dates prove to come before its start.

    Partial dates are intervals; only `definitely_before` breaks the rule, so "2004-06" as an
    end of something that started "2004-06-17" is accepted (it may be the same month).
    """
    if start is not None and end is not None and end.definitely_before(start):
        raise IntegrityViolation(
            f"{what}: {end} is before {start}",
            code=code,
            details={"start": str(start), "end": str(end)},
        )


def slug(record_id: str) -> str:
    """The last part of a record id: `organization/sco` -> `sco`."""
    return record_id.rsplit("/", 1)[-1]


def check_id(value: str, prefix: str) -> str:
    """A record id of one kind (`body/rats` for prefix `body/`); it doubles as a stream id."""
    if not isinstance(value, str) or not value.startswith(prefix) or len(value) <= len(prefix):
        raise InvalidValue(
            f"malformed id {value!r}: expected {prefix}<name>",
            code="id.malformed",
            details={"value": value, "prefix": prefix},
        )
    return value
