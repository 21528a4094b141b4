"""The event catalog: every event type under a stable name (never a module path), its schema
version, its JSON form, and the numbered upcasters that read old forms.

JSON forms: partial dates as strings with their precision ("2004-06"), enums as their
values, tuples as lists, citations as objects, UUIDs as strings. `valid_time` and `sources`
are part of every event's JSON form.
"""

from __future__ import annotations

import enum
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from sco_registry.domain import (
    bodies,
    corrections,
    documents,
    mandates,
    meetings,
    membership,
    offices,
    organization,
    states,
)
from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.events import Event
from sco_registry.domain.time import PartialDate, parse_cached
from sco_registry.domain.values import Citation

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    cls: type[Event]
    schema_version: int = 1


def _types() -> list[EventType]:
    # The names are written out, not taken from __name__: renaming a class must not rename
    # the events already in the log.
    v1 = [
        ("StateRegistered", states.StateRegistered),
        ("OrganizationFounded", organization.OrganizationFounded),
        ("FoundingDocumentRecorded", organization.FoundingDocumentRecorded),
        ("PurposesAdopted", organization.PurposesAdopted),
        ("ShanghaiSpiritAdopted", organization.ShanghaiSpiritAdopted),
        ("PrinciplesAdopted", organization.PrinciplesAdopted),
        ("OrganizationSucceeded", organization.OrganizationSucceeded),
        ("ParticipationBegan", membership.ParticipationBegan),
        ("FoundingMemberJoined", membership.FoundingMemberJoined),
        ("ApplicationFiled", membership.ApplicationFiled),
        ("AdmissionProcedureStarted", membership.AdmissionProcedureStarted),
        ("ObligationsMemorandumSigned", membership.ObligationsMemorandumSigned),
        ("MemberAdmitted", membership.MemberAdmitted),
        ("StatusGranted", membership.StatusGranted),
        ("StatusMemorandumSigned", membership.StatusMemorandumSigned),
        ("StatusChanged", membership.StatusChanged),
        ("MemberWithdrew", membership.MemberWithdrew),
        ("MembershipSuspended", membership.MembershipSuspended),
        ("MembershipEnded", membership.MembershipEnded),
        ("BodyDecided", bodies.BodyDecided),
        ("BodyEstablished", bodies.BodyEstablished),
        ("ExpertGroupFormed", bodies.ExpertGroupFormed),
        ("SeatRelocated", bodies.SeatRelocated),
        ("BodyRenamed", bodies.BodyRenamed),
        ("BodyDissolved", bodies.BodyDissolved),
        ("BodyRulesApproved", bodies.BodyRulesApproved),
        ("MeetingScheduled", meetings.MeetingScheduled),
        ("MeetingHeld", meetings.MeetingHeld),
        ("MeetingPostponed", meetings.MeetingPostponed),
        ("MeetingMoved", meetings.MeetingMoved),
        ("MeetingCancelled", meetings.MeetingCancelled),
        ("DraftingMandated", documents.DraftingMandated),
        ("DocumentDrafted", documents.DocumentDrafted),
        ("DocumentSigned", documents.DocumentSigned),
        ("DocumentRatified", documents.DocumentRatified),
        ("DocumentEnteredIntoForce", documents.DocumentEnteredIntoForce),
        ("DocumentAmended", documents.DocumentAmended),
        ("DocumentSuperseded", documents.DocumentSuperseded),
        ("OfficeTermEnded", offices.OfficeTermEnded),
        ("MandateGiven", mandates.MandateGiven),
        ("MandateFulfilled", mandates.MandateFulfilled),
        ("EventCorrected", corrections.EventCorrected),
        ("EventRetracted", corrections.EventRetracted),
    ]
    return [EventType(name, cls) for name, cls in v1] + [
        EventType("OfficeTermRecorded", offices.OfficeTermRecorded, schema_version=2),
    ]


EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _types()}
_BY_CLASS: dict[type[Event], EventType] = {t.cls: t for t in EVENT_TYPES.values()}

# --- upcasters --------------------------------------------------------------------------------

Upcaster = Callable[[JSON], JSON]


def _office_term_v1_to_v2(data: JSON) -> JSON:
    """Upcaster 1: OfficeTermRecorded v1 called the office `title` and its dates `from`/`to`."""
    out = {k: v for k, v in data.items() if k not in {"title", "from", "to"}}
    out["office"] = data["title"]
    out["from_date"] = data["from"]
    out["to_date"] = data.get("to")
    return out


# Numbered in the order they were written; each lifts one type from one version to the next.
UPCASTERS: dict[tuple[str, int], tuple[int, Upcaster]] = {
    ("OfficeTermRecorded", 1): (1, _office_term_v1_to_v2),
}


def upcast(type_name: str, schema_version: int, data: Mapping[str, Any]) -> JSON:
    """The JSON form of `data` lifted to the current schema version of its type."""
    current = schema_version_of(type_name)
    out = dict(data)
    version = schema_version
    while version < current:
        step = UPCASTERS.get((type_name, version))
        if step is None:
            raise InvalidValue(
                f"no upcaster for {type_name} v{version}",
                code="event.no_upcaster",
                details={"type": type_name, "schema_version": version},
            )
        out = step[1](out)
        version += 1
    if version > current:
        raise InvalidValue(
            f"{type_name} v{schema_version} is newer than this code (v{current})",
            code="event.unknown_schema_version",
            details={"type": type_name, "schema_version": schema_version},
        )
    return out


# --- JSON -------------------------------------------------------------------------------------


def type_name(event: Event) -> str:
    return _BY_CLASS[type(event)].name


def schema_version_of(type_name: str) -> int:
    return _lookup(type_name).schema_version


def _lookup(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise InvalidValue(
            f"unknown event type {name!r}", code="event.unknown_type", details={"type": name}
        ) from None


def to_json(event: Event) -> JSON:
    return {f.name: encode(getattr(event, f.name)) for f in fields(event)}


def from_json(
    type_name: str,
    data: Mapping[str, Any],
    schema_version: int | None = None,
    *,
    sources: bool = True,
) -> Event:
    """The event of `type_name` from its JSON form (upcast first when a version is given).
    `sources=False`: an event's `sources` field decoded as `()`, for a reader that reads
    none (the citations are most of a decoding's cost)."""
    entry = _lookup(type_name)
    if schema_version is not None:
        data = upcast(type_name, schema_version, data)
    decoders = _decoders(entry.cls) if sources else _decoders_sourceless(entry.cls)
    return entry.cls(**{name: decode(data[name]) for name, decode in decoders})


Decoder = Callable[[Any], Any]


def _parse_date(raw: Any) -> PartialDate:
    # Once per text (`parse_cached`); what is not a string goes to `parse` as it is, to
    # fail there as it would uncached.
    return parse_cached(raw) if type(raw) is str else PartialDate.parse(raw)


_DECODERS: dict[type[Event], tuple[tuple[str, Decoder], ...]] = {}


def _decoders(cls: type[Event]) -> tuple[tuple[str, Decoder], ...]:
    """Each field of `cls` with the function that decodes its JSON form, worked out from the
    type hints once per class (resolving the hints costs far more than decoding an event)."""
    found = _DECODERS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _DECODERS[cls] = tuple((f.name, _decoder(hints[f.name])) for f in fields(cls))
    return found


_SOURCELESS: dict[type[Event], tuple[tuple[str, Decoder], ...]] = {}


def _no_sources(raw: Any) -> tuple[()]:
    return ()


def _decoders_sourceless(cls: type[Event]) -> tuple[tuple[str, Decoder], ...]:
    """`_decoders(cls)`, the `sources` field's decoder giving `()`."""
    found = _SOURCELESS.get(cls)
    if found is None:
        found = _SOURCELESS[cls] = tuple(
            (name, _no_sources if name == "sources" else decode) for name, decode in _decoders(cls)
        )
    return found


def encode(value: Any) -> Any:
    """The JSON form of one value of an event or command field."""
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Citation):
        return value.to_json()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def _decoder(hint: Any) -> Decoder:
    """The function from the JSON form of a value of type `hint` to the value."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _decoder(args[0])
        return lambda raw: None if raw is None else inner(raw)
    if origin is tuple:
        (item, *_) = typing.get_args(hint)
        each = _decoder(item)
        return lambda raw: tuple(each(r) for r in raw)
    if origin in (Mapping, dict) or hint is Any:
        return lambda raw: dict(raw) if isinstance(raw, Mapping) else raw
    if hint is PartialDate:
        return _parse_date
    if hint is Citation:
        return Citation.from_json
    if hint is uuid.UUID:
        return uuid.UUID
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if hint in (str, int, bool):

        def checked(raw: Any, hint: type = hint) -> Any:
            if not isinstance(raw, hint):
                raise InvalidValue(f"expected {hint.__name__}, got {raw!r}", code="event.malformed")
            return raw

        return checked
    return _identity


def _identity(raw: Any) -> Any:
    return raw
