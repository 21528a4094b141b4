"""Which stream each command and event belongs to: the domain's one routing table.

A command's stream is its own: where its first event goes, and where a re-run looks for
the outcome of its idempotency key. An event's stream is the aggregate it changes; a
command may write events to other streams too (an organization's succession goes to the
predecessor, a document's amendment to the amended document). Corrections go to the stream
of the event they name. Every type is listed: a type without a route raises `TypeError`
(and the catalog's test fails), rather than being routed by whatever field it happens to
have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sco_registry.domain import (
    bodies,
    corrections,
    documents,
    ids,
    mandates,
    meetings,
    membership,
    offices,
    organization,
    states,
)
from sco_registry.domain.commands import Command
from sco_registry.domain.events import Event

Route = Callable[[Any], str]


def _states(_: Any) -> str:
    return ids.STATES_STREAM


def _membership(message: Any) -> str:
    return ids.membership_stream(message.state)


def _field(name: str) -> Route:
    def route(message: Any) -> str:
        value = getattr(message, name)
        if not isinstance(value, str):
            raise TypeError(f"{type(message).__name__}.{name} is not a stream id: {value!r}")
        return value

    route.__name__ = f"by_{name}"
    return route


# Per family: its commands and events, and the field (or rule) that names their stream.
_FAMILIES: tuple[tuple[Route, tuple[type[Any], ...]], ...] = (
    (_states, (states.RegisterState, states.StateRegistered)),
    (
        _field("organization_id"),
        (
            organization.FoundOrganization,
            organization.RecordFoundingDocument,
            organization.AdoptPrinciples,
            organization.OrganizationFounded,
            organization.FoundingDocumentRecorded,
            organization.PurposesAdopted,
            organization.ShanghaiSpiritAdopted,
            organization.PrinciplesAdopted,
            organization.OrganizationSucceeded,
        ),
    ),
    (
        _membership,
        (
            membership.RecordMembershipChange,
            membership.AdmitMember,
            *membership.EVENT_FOR_CHANGE.values(),
        ),
    ),
    (
        _field("body_id"),
        (
            bodies.RecordBody,
            bodies.EstablishBody,
            bodies.RelocateSeat,
            bodies.RenameBody,
            bodies.DissolveBody,
            bodies.ApproveBodyRules,
            bodies.BodyDecided,
            bodies.BodyEstablished,
            bodies.ExpertGroupFormed,
            bodies.SeatRelocated,
            bodies.BodyRenamed,
            bodies.BodyDissolved,
            bodies.BodyRulesApproved,
        ),
    ),
    (
        _field("meeting_id"),
        (
            meetings.RecordMeeting,
            meetings.ScheduleMeeting,
            meetings.HoldMeeting,
            meetings.PostponeMeeting,
            meetings.MoveMeeting,
            meetings.CancelMeeting,
            meetings.MeetingScheduled,
            meetings.MeetingHeld,
            meetings.MeetingPostponed,
            meetings.MeetingMoved,
            meetings.MeetingCancelled,
        ),
    ),
    (
        _field("document_id"),
        (
            documents.MandateDrafting,
            documents.RecordDraft,
            documents.RecordDocument,
            documents.RatifyDocument,
            documents.BringDocumentIntoForce,
            documents.SupersedeDocument,
            documents.DraftingMandated,
            documents.DocumentDrafted,
            documents.DocumentSigned,
            documents.DocumentRatified,
            documents.DocumentEnteredIntoForce,
            documents.DocumentAmended,
            documents.DocumentSuperseded,
        ),
    ),
    (
        _field("term_id"),
        (
            offices.RecordOfficeTerm,
            offices.EndOfficeTerm,
            offices.OfficeTermRecorded,
            offices.OfficeTermEnded,
        ),
    ),
    (
        _field("mandate_id"),
        (
            mandates.RecordMandate,
            mandates.FulfilMandate,
            mandates.MandateGiven,
            mandates.MandateFulfilled,
        ),
    ),
    (
        _field("stream_id"),
        (
            corrections.CorrectEvent,
            corrections.RetractEvent,
            corrections.EventCorrected,
            corrections.EventRetracted,
        ),
    ),
)

ROUTES: dict[type[Any], Route] = {cls: route for route, types in _FAMILIES for cls in types}


def stream_of(message: Command | Event) -> str:
    """The stream a command or an event belongs to (see the module's docstring)."""
    try:
        route = ROUTES[type(message)]
    except KeyError:
        raise TypeError(f"no stream for {type(message).__name__}") from None
    return route(message)
