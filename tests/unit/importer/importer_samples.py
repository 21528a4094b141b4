"""Synthetic history files for the importer's tests: one that uses every kind and every
enumerated value of FORMAT.md in a coherent (if invented) history, and helpers to break it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SOURCE = [{"title": "Synthetic test source", "url": "https://example.org/source"}]
FOUNDERS = ["CN", "KG", "KZ", "RU", "TJ", "UZ"]
STATES = {
    "CN": "China",
    "KG": "Kyrgyzstan",
    "KZ": "Kazakhstan",
    "RU": "Russia",
    "TJ": "Tajikistan",
    "UZ": "Uzbekistan",
    "IN": "India",
    "MN": "Mongolia",
    "BY": "Belarus",
    "TR": "Turkey",
}


def rec(id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "kind": kind, **fields, "sources": SOURCE, "confidence": "high"}


def body(
    id: str,
    category: str,
    *,
    status: str = "established",
    established: str | None = "2001-06-15",
    organization: str = "organization/sco",
    permanence: str | None = None,
    seat: str | None = None,
    seat_state: str | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    return rec(
        id,
        "body",
        name=id.split("/")[1].replace("_", " ").title(),
        abbreviation=None,
        category=category,
        organization=organization,
        status=status,
        established=established,
        parent=parent,
        permanence=permanence,
        seat=seat,
        seat_state=seat_state,
    )


def meeting(
    id: str,
    body_id: str,
    start: str,
    *,
    host: str = "CN",
    city: str = "Beijing",
    format: str = "in_person",
    status: str = "held",
) -> dict[str, Any]:
    return rec(
        id,
        "meeting",
        body=body_id,
        ordinal=None,
        start_date=start,
        end_date=start,
        city=city,
        host_state=host,
        format=format,
        status=status,
    )


def document(
    id: str,
    category: str,
    signed_on: str,
    *,
    meeting_id: str | None = None,
    parties: list[str] | None = None,
    amends: str | None = None,
    in_force_on: str | None = None,
) -> dict[str, Any]:
    return rec(
        id,
        "document",
        title=id.split("/")[1],
        category=category,
        signed_on=signed_on,
        place=None,
        meeting=meeting_id,
        parties=parties,
        in_force_on=in_force_on,
        amends=amends,
    )


def member(
    state: str,
    date: str,
    change: str,
    status_after: str | None,
    *,
    organization: str = "organization/sco",
    meeting_id: str | None = None,
    document_id: str | None = None,
) -> dict[str, Any]:
    return rec(
        f"membership/{state}/{date}/{change}",
        "membership",
        state=state,
        organization=organization,
        date=date,
        change=change,
        status_after=status_after,
        meeting=meeting_id,
        document=document_id,
    )


def every_kind_file() -> dict[str, Any]:
    """A coherent synthetic history using every kind and every enumerated value."""
    s5, sco = "organization/shanghai-five", "organization/sco"
    chs = "body/heads_of_state_council"
    records: list[dict[str, Any]] = [
        rec(
            s5,
            "organization",
            name="Shanghai Five",
            abbreviation=None,
            founded_on="1996-04-26",
            founded_at="Shanghai",
            founding_document="document/s5-agreement-1996",
            predecessor=None,
            purposes=[],
            principles=[],
        ),
        rec(
            sco,
            "organization",
            name="SCO",
            abbreviation="SCO",
            founded_on="2001-06-15",
            founded_at="Shanghai",
            founding_document="document/declaration-2001",
            predecessor=s5,
            purposes=["mutual trust"],
            principles=["non-alignment"],
        ),
        body("body/s5_summit", "process", organization=s5, established="1996-04-26"),
        meeting("meeting/s5/1996", "body/s5_summit", "1996-04-26", city="Shanghai"),
        document(
            "document/s5-agreement-1996",
            "agreement",
            "1996-04-26",
            meeting_id="meeting/s5/1996",
            parties=FOUNDERS[:5],
        ),
        *[
            member(
                s,
                "1996-04-26",
                "participation_began",
                "shanghai_five_participant",
                organization=s5,
                meeting_id="meeting/s5/1996",
                document_id="document/s5-agreement-1996",
            )
            for s in FOUNDERS[:5]
        ],
        body(chs, "council"),
        meeting("meeting/heads_of_state/2001", chs, "2001-06-15", city="Shanghai"),
        document(
            "document/declaration-2001",
            "declaration",
            "2001-06-15",
            meeting_id="meeting/heads_of_state/2001",
            parties=FOUNDERS,
        ),
        *[
            member(
                s,
                "2001-06-15",
                "founding_member",
                "founding_member",
                meeting_id="meeting/heads_of_state/2001",
                document_id="document/declaration-2001",
            )
            for s in FOUNDERS
        ],
        body("body/foreign_ministers", "ministerial_meeting", established="2002"),
        body(
            "body/secretariat",
            "permanent_body",
            status="decided",
            established=None,
            permanence="permanent",
            seat="Beijing",
            seat_state="CN",
        ),
        body(
            "body/rats",
            "permanent_body",
            status="decided",
            established=None,
            permanence="permanent",
            seat="Bishkek",
            seat_state="KG",
        ),
        body(
            "body/energy_experts",
            "expert_group",
            established="2005",
            permanence="temporary",
            parent=chs,
        ),
        body("body/legal_experts", "expert_group", established="2005", permanence="permanent"),
        body("body/contact_group", "mechanism", established="2005-11-04"),
        body(
            "body/business_council",
            "affiliated",
            established="2006-06-14",
            seat="Moscow",
            seat_state="RU",
        ),
        rec(
            "body_change/rats/2002/renamed",
            "body_change",
            body="body/rats",
            date="2002-06-07",
            change="renamed",
            name="Regional Anti-Terrorist Structure",
        ),
        rec(
            "body_change/rats/2003/seat_relocated",
            "body_change",
            body="body/rats",
            date="2003-09",
            change="seat_relocated",
            seat="Tashkent",
            seat_state="UZ",
        ),
        rec(
            "body_change/rats/2004/established",
            "body_change",
            body="body/rats",
            date="2004-06-17",
            change="established",
        ),
        rec(
            "body_change/secretariat/2004/established",
            "body_change",
            body="body/secretariat",
            date="2004-01-15",
            change="established",
            seat="Beijing",
            seat_state="CN",
        ),
        rec(
            "body_change/energy_experts/2007/dissolved",
            "body_change",
            body="body/energy_experts",
            date="2007",
            change="dissolved",
        ),
        meeting("meeting/heads_of_state/2002", chs, "2002-06-07", host="RU", city="St. Petersburg"),
        meeting("meeting/heads_of_state/2004", chs, "2004-06-17", host="UZ", city="Tashkent"),
        meeting("meeting/heads_of_state/2005", chs, "2005-07-05", host="KZ", city="Astana"),
        meeting("meeting/heads_of_state/2009", chs, "2009-06-15", host="RU", city="Yekaterinburg"),
        meeting("meeting/heads_of_state/2017", chs, "2017-06-09", host="KZ", city="Astana"),
        meeting(
            "meeting/heads_of_state/2020",
            chs,
            "2020-11-10",
            host="RU",
            city="Moscow",
            format="virtual",
        ),
        meeting(
            "meeting/heads_of_state/2021",
            chs,
            "2021-09-17",
            host="TJ",
            city="Dushanbe",
            format="hybrid",
        ),
        meeting(
            "meeting/foreign_ministers/2020-03",
            "body/foreign_ministers",
            "2020-03",
            host="RU",
            city="Moscow",
            status="postponed",
        ),
        meeting(
            "meeting/foreign_ministers/2020-04",
            "body/foreign_ministers",
            "2020-04",
            host="RU",
            city="Moscow",
            status="cancelled",
        ),
        document(
            "document/charter-2002",
            "charter",
            "2002-06-07",
            meeting_id="meeting/heads_of_state/2002",
            parties=FOUNDERS,
            in_force_on="2003-09-19",
        ),
        document(
            "document/convention-2001",
            "convention",
            "2001-06-15",
            meeting_id="meeting/heads_of_state/2001",
            parties=FOUNDERS,
        ),
        document("document/treaty-2007", "treaty", "2007-08-16", parties=FOUNDERS),
        document(
            "document/observer-regulation-2004",
            "regulation",
            "2004-06-17",
            meeting_id="meeting/heads_of_state/2004",
            parties=None,
        ),
        document("document/memorandum-2001", "memorandum", "2001-09-14", parties=None),
        document("document/programme-2003", "programme", "2003-09-23", parties=None),
        document("document/strategy-2015", "strategy", "2015-07", parties=None),
        document("document/statement-2006", "joint_statement", "2006-06-15", parties=FOUNDERS),
        document(
            "document/charter-protocol-2003",
            "protocol",
            "2003-09-05",
            parties=FOUNDERS,
            amends="document/charter-2002",
        ),
        document(
            "document/decision-2005",
            "decision",
            "2005-07-05",
            meeting_id="meeting/heads_of_state/2005",
            parties=None,
        ),
        member(
            "MN",
            "2004-06-17",
            "status_granted",
            "observer",
            meeting_id="meeting/heads_of_state/2004",
        ),
        member(
            "IN",
            "2005-07-05",
            "status_granted",
            "observer",
            meeting_id="meeting/heads_of_state/2005",
        ),
        member("IN", "2014-09", "application_filed", "observer"),
        member("IN", "2015-07-10", "admission_procedure_started", "observer"),
        member("IN", "2016-06-24", "obligations_memorandum_signed", "observer"),
        member("IN", "2017-06-09", "admitted", "member", meeting_id="meeting/heads_of_state/2017"),
        member(
            "BY",
            "2009-06-16",
            "status_granted",
            "dialogue_partner",
            meeting_id="meeting/heads_of_state/2009",
        ),
        member("BY", "2010-04", "status_memorandum_signed", "dialogue_partner"),
        member("BY", "2015-07-10", "status_changed", "observer"),
        member("TR", "2012-06-07", "status_granted", "dialogue_partner"),
        member("TR", "2025", "status_changed", "partner"),
        member("MN", "2020", "suspended", "observer"),
        member("TR", "2026", "withdrew", None),
        rec(
            "office/secretariat/first",
            "office_term",
            body="body/secretariat",
            office="executive_secretary",
            person="First Head",
            nationality="CN",
            **{"from": "2004-01", "to": "2006"},
        ),
        rec(
            "office/secretariat/second",
            "office_term",
            body="body/secretariat",
            office="secretary_general",
            person="Second Head",
            nationality=None,
            **{"from": "2007", "to": None},
        ),
        rec(
            "office/rats/director",
            "office_term",
            body="body/rats",
            office="director",
            person="A Director",
            nationality="UZ",
            **{"from": "2004", "to": "2006"},
        ),
        rec(
            "mandate/2001/charter",
            "mandate",
            by=chs,
            to="body/foreign_ministers",
            date="2001-06-15",
            task="Draft the Charter",
            document="document/declaration-2001",
            due="meeting/heads_of_state/2002",
        ),
        rec(
            "mandate/2005/title",
            "mandate",
            by=chs,
            to="body/secretariat",
            date="2005-07-05",
            task="Propose a new title",
            document=None,
            due="2006",
        ),
        rec(
            "mandate/2005/open",
            "mandate",
            by=chs,
            to="body/legal_experts",
            date="2005-07-05",
            task="Study proposals",
            document=None,
            due=None,
        ),
    ]
    records[-3]["note"] = "A curator's note."
    return {
        "format": "sco-registry-history/1",
        "title": "Synthetic history using every kind and every enumerated value",
        "covers": {"from": "1996", "to": "2026"},
        "states": [{"code": c, "name": n} for c, n in STATES.items()],
        "records": records,
    }


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def record(doc: dict[str, Any], record_id: str) -> dict[str, Any]:
    return next(r for r in doc["records"] if r["id"] == record_id)


def clone(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)
