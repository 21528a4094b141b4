"""A test-only mapping of the bundled history file onto domain commands, to prove that real
history passes every integrity rule (the importer has its own, complete mapping)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sco_registry.domain import commands as c
from sco_registry.domain.bodies import BodyCategory, BodyStatus, Permanence
from sco_registry.domain.documents import DocumentCategory
from sco_registry.domain.meetings import MeetingFormat, MeetingStatus
from sco_registry.domain.membership import MembershipChange, MembershipStatus
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation

HISTORY = Path("/work/shared/data/sco-history-1996-2012.json")
_KIND_ORDER = [
    "organization",
    "body",
    "body_change",
    "meeting",
    "document",
    "membership",
    "office_term",
    "mandate",
]


def _d(raw: str | None) -> PartialDate | None:
    return None if raw is None else PartialDate.parse(raw)


def _date(r: dict[str, Any]) -> PartialDate | None:
    for key in ("date", "signed_on", "start_date", "founded_on", "established", "from"):
        if r.get(key):
            return PartialDate.parse(r[key])
    return None


def load_history() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(HISTORY.read_text())
    return data


def commands_for(data: dict[str, Any]) -> list[tuple[str, c.Command]]:
    """(idempotency key, command) in an order that satisfies the references: by date, then
    by kind; organizations without their founding document, recorded at the end."""
    out: list[tuple[str, c.Command]] = [
        (f"state/{s['code']}", c.RegisterState(code=s["code"], name=s["name"]))
        for s in data["states"]
    ]
    records = data["records"]
    constituting: dict[str, set[str]] = {}
    for r in records:
        if (
            r["kind"] == "membership"
            and r["document"]
            and r["change"]
            in (
                "participation_began",
                "founding_member",
                "admitted",
            )
        ):
            constituting.setdefault(r["document"], set()).add(r["state"])

    by_id = {r["id"]: r for r in records}
    floor = PartialDate(1).lower

    def when(r: dict[str, Any]) -> Any:
        # Not before anything it refers to: "2009-06" signed at a meeting of 15 June 2009.
        d = _date(r)
        own = d.lower if d else floor
        refs = [r.get(k) for k in ("body", "meeting", "document", "parent", "by", "to", "amends")]
        return max([own, *(when(by_id[x]) for x in refs if isinstance(x, str) and x in by_id)])

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        # Organizations first: every body refers to one.
        return (r["kind"] != "organization", when(r), _KIND_ORDER.index(r["kind"]))

    tail: list[tuple[str, c.Command]] = []
    for r in sorted(records, key=key):
        src = tuple(Citation(title=s.get("title"), url=s.get("url")) for s in r["sources"])
        rid, kind = r["id"], r["kind"]
        cmd: c.Command
        if kind == "organization":
            cmd = c.FoundOrganization(
                organization_id=rid,
                name=r["name"],
                abbreviation=r.get("abbreviation"),
                founded_on=PartialDate.parse(r["founded_on"]),
                founded_at=r["founded_at"],
                predecessor=r["predecessor"],
                purposes=tuple(r["purposes"]),
                principles=tuple(r["principles"]),
                sources=src,
                record_id=rid,
            )
            if r["founding_document"]:
                tail.append(
                    (
                        f"{rid}#2",
                        c.RecordFoundingDocument(
                            organization_id=rid,
                            document_id=r["founding_document"],
                            sources=src,
                            record_id=rid,
                        ),
                    )
                )
        elif kind == "body":
            decided = r["status"] == "decided"
            cmd = c.RecordBody(
                body_id=rid,
                name=r["name"],
                abbreviation=r.get("abbreviation"),
                category=BodyCategory(r["category"]),
                organization_id=r.get("organization") or "organization/sco",
                status=BodyStatus(r["status"]),
                established_on=None if decided else _d(r["established"]),
                parent=r["parent"],
                permanence=Permanence(r["permanence"]) if r["permanence"] else None,
                seat=r["seat"],
                seat_state=r["seat_state"],
                sources=src,
                record_id=rid,
            )
        elif kind == "body_change":
            date = PartialDate.parse(r["date"])
            common: dict[str, Any] = {"body_id": r["body"], "date": date, "sources": src}
            if r["change"] == "established":
                cmd = c.EstablishBody(**common, seat=r.get("seat"), seat_state=r.get("seat_state"))
            elif r["change"] == "seat_relocated":
                cmd = c.RelocateSeat(**common, seat=r["seat"], seat_state=r.get("seat_state"))
            elif r["change"] == "renamed":
                cmd = c.RenameBody(**common, name=r["name"])
            else:
                cmd = c.DissolveBody(**common)
        elif kind == "meeting":
            cmd = c.RecordMeeting(
                meeting_id=rid,
                body_id=r["body"],
                ordinal=r.get("ordinal"),
                start_date=PartialDate.parse(r["start_date"]),
                end_date=_d(r.get("end_date")),
                city=r["city"],
                host_state=r["host_state"],
                format=MeetingFormat(r["format"]),
                status=MeetingStatus(r.get("status") or "held"),
                sources=src,
                record_id=rid,
            )
        elif kind == "document":
            parties = None if r["parties"] is None else tuple(r["parties"])
            cmd = c.RecordDocument(
                document_id=rid,
                title=r["title"],
                category=DocumentCategory(r["category"]),
                signed_on=PartialDate.parse(r["signed_on"]),
                place=r["place"],
                meeting=r["meeting"],
                parties=parties,
                founding_parties=tuple(sorted(constituting.get(rid, set()) & set(parties or ()))),
                in_force_on=_d(r["in_force_on"]),
                amends=r["amends"],
                sources=src,
                record_id=rid,
            )
        elif kind == "membership":
            cmd = c.RecordMembershipChange(
                organization_id=r.get("organization") or "organization/sco",
                state=r["state"],
                date=PartialDate.parse(r["date"]),
                change=MembershipChange(r["change"]),
                status_after=MembershipStatus(r["status_after"]) if r["status_after"] else None,
                meeting=r["meeting"],
                document=r["document"],
                sources=src,
                record_id=rid,
            )
        elif kind == "office_term":
            cmd = c.RecordOfficeTerm(
                term_id=rid,
                body_id=r["body"],
                office=r["office"],
                person=r["person"],
                nationality=r["nationality"],
                from_date=PartialDate.parse(r["from"]),
                to_date=_d(r["to"]),
                sources=src,
                record_id=rid,
            )
        else:
            due = r["due"]
            is_meeting = bool(due) and due.startswith("meeting/")
            cmd = c.RecordMandate(
                mandate_id=rid,
                by_body=r["by"],
                to_body=r["to"],
                date=PartialDate.parse(r["date"]),
                task=r["task"],
                document=r["document"],
                due_meeting=due if is_meeting else None,
                due_date=_d(due) if due and not is_meeting else None,
                sources=src,
                record_id=rid,
            )
        out.append((rid, cmd))
    return out + tail
