"""`export events|timeline|meetings` (and `export-events`, the older name of `export events`).

* `export events --out FILE`: the log as NDJSON, one event a line with its hash (what
  `verify --file` checks and `import`-free tools read);
* `export timeline --format json|csv --out FILE`: the timeline read model (every fact,
  correction and retraction with its valid period) as known at a position;
* `export meetings --out FILE.ics`: the meetings as an iCalendar file (RFC 5545), one
  all-day VEVENT per dated meeting.

The read-model exports catch their read models up first, then read them as known at one
position (the head then, or `--known-at N`), which the file records: an append during the
export does not change it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sco_registry.cli._base import EXIT_OK, Bar, add_command, atomic_output
from sco_registry.config import Settings
from sco_registry.domain.errors import RegistryError

TIMELINE_COLUMNS = (
    "position",
    "kind",
    "event_type",
    "entity",
    "record_id",
    "summary",
    "valid_from",
    "valid_to",
    "event_id",
    "corrects",
    "confidence",
    "note",
    "recorded_at",
    "sources",
)
PAGE = 1000
PRODID = "-//sco-registry//meetings export//EN"
# A meeting's status as an iCalendar STATUS (RFC 5545 3.8.1.11).
ICAL_STATUS = {"held": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}


def add_parsers(sub: Any) -> None:
    export = sub.add_parser(
        "export", help="write the log (NDJSON), the timeline (JSON, CSV) or meetings (iCalendar)"
    )
    what = export.add_subparsers(dest="what", required=True, metavar="{events,timeline,meetings}")
    events = add_command(
        what, "events", _events, help="the log as NDJSON, one event a line with its hash"
    )
    events.add_argument("--out", required=True, help="file to write")
    timeline = add_command(
        what, "timeline", _timeline, help="the timeline read model as JSON or CSV"
    )
    timeline.add_argument("--out", required=True, help="file to write")
    timeline.add_argument(
        "--format", choices=["json", "csv"], default="json", help="json (the default) or csv"
    )
    timeline.add_argument(
        "--known-at", type=int, metavar="N", help="as known at log position N (default: head)"
    )
    meetings = add_command(
        what, "meetings", _meetings, help="the meetings as an iCalendar (.ics) file"
    )
    meetings.add_argument("--out", required=True, help="file to write (.ics)")
    meetings.add_argument("--body", help="only this body's meetings (a body id)")
    meetings.add_argument(
        "--known-at", type=int, metavar="N", help="as known at log position N (default: head)"
    )
    legacy = add_command(
        sub, "export-events", _events, help="the log as NDJSON (the same as `export events`)"
    )
    legacy.add_argument("--out", required=True, help="file to write")


async def _events(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.store.chain import to_export_line

    out = Path(args.out)
    count = 0
    async with open_registry(settings) as registry:
        head = await registry.store.head_position()
        bar = Bar(sys.stderr, "exporting", "events")
        try:
            with atomic_output(out) as f:  # never a half-written export under the real name
                async for event in registry.store.iter_all():
                    f.write(to_export_line(event))
                    f.write("\n")
                    count += 1
                    if count % PAGE == 0:
                        bar(count, max(head, count))
        finally:
            bar.close()
    print(f"exported {count} events to {out}")
    return EXIT_OK


async def _position(registry: Any, names: list[str], known_at: int | None) -> int:
    """Catch `names` up; the position to read them at (`known_at`, checked, or the head)."""
    for name in names:
        await registry.projections.catch_up(name)
    head: int = await registry.store.head_position()
    if known_at is None:
        return head
    if not 0 <= known_at <= head:
        raise RegistryError(
            f"--known-at {known_at}: the log's positions run from 0 to {head}",
            code="export.position_out_of_range",
            details={"known_at": known_at, "head": head},
        )
    return known_at


def timeline_rows(conn: Any, position: int) -> list[dict[str, Any]]:
    """The timeline as known at `position`, each entry a flat JSON-ready dict, in the read
    model's order (`projections.timeline.timeline`, paged)."""
    from sco_registry.projections import timeline

    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = timeline.timeline(conn, known_at=position, after=after, limit=PAGE)
        for e in page:
            rows.append(
                {
                    "position": e.position,
                    "kind": e.kind,
                    "event_type": e.event_type,
                    "entity": e.entity,
                    "record_id": e.record_id,
                    "summary": e.summary,
                    "valid_from": None if e.period.start is None else str(e.period.start),
                    "valid_to": None if e.period.end is None else str(e.period.end),
                    "event_id": str(e.event_id),
                    "corrects": None if e.corrects is None else str(e.corrects),
                    "confidence": e.confidence,
                    "note": e.note,
                    "recorded_at": e.recorded_at,
                    "sources": [dict(s) for s in e.sources],
                }
            )
        if len(page) < PAGE:
            return rows
        after = page[-1].key


async def _timeline(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.projections.timeline import TimelineProjection

    out = Path(args.out)
    async with open_registry(settings) as registry:
        position = await _position(registry, [TimelineProjection.name], args.known_at)
        rows = await registry.projections.read(lambda conn: timeline_rows(conn, position))
    with atomic_output(out) as f:
        if args.format == "json":
            json.dump({"known_at": position, "entries": rows}, f, ensure_ascii=False, indent=1)
            f.write("\n")
        else:
            writer = csv.DictWriter(f, fieldnames=TIMELINE_COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow(_csv_row(row))
    print(f"exported {len(rows)} timeline entries as known at position {position} to {out}")
    return EXIT_OK


def _csv_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as CSV cells: None as an empty cell, the sources as JSON text."""
    cells = {k: ("" if v is None else v) for k, v in row.items()}
    cells["sources"] = json.dumps(row["sources"], ensure_ascii=False, sort_keys=True)
    return cells


def calendar_bytes(
    found: list[Any], names: Mapping[str, str], position: int, body: str | None
) -> tuple[bytes, int]:
    """The meetings as an iCalendar file, and how many undated ones were left out.

    A meeting's dates may be partial (`2001-06`): its all-day event then spans every day
    the dates may stand for, and its DESCRIPTION and X-SCO-DATES say the dates as given."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    title = names.get(body, body) if body else "SCO meetings"
    cal.add("x-wr-calname", f"{title} (as known at log position {position})")
    cal.add("x-sco-known-at", str(position))
    undated = 0
    for m in found:
        if m.start_date is None:
            undated += 1
            continue
        last = m.end_date or m.start_date
        single = m.end_date is None or m.end_date == m.start_date
        given = str(m.start_date) if single else f"{m.start_date}/{m.end_date}"
        name = names.get(m.body_id or "", m.body_id or "meeting")
        event = icalendar.Event()
        event.add("uid", f"{m.meeting_id}@sco-registry")
        summary = name if m.ordinal is None else f"{name} (meeting {m.ordinal})"
        event.add("summary", summary)
        event.add("dtstart", m.start_date.lower)
        event.add("dtend", last.upper + dt.timedelta(days=1))  # exclusive (RFC 5545 3.6.1)
        event.add("dtstamp", _stamp(m.recorded_at))
        where = ", ".join(p for p in (m.city, m.host_state) if p)
        if where:
            event.add("location", where)
        event.add("status", ICAL_STATUS.get(m.status, "TENTATIVE"))
        if m.body_id:
            event.add("categories", [m.body_id])
        description = [f"Dates as recorded: {given}.", f"Status: {m.status}."]
        if m.participants:
            description.append(f"Participants: {', '.join(m.participants)}.")
        event.add("description", " ".join(description))
        event.add("x-sco-meeting", m.meeting_id)
        event.add("x-sco-body", m.body_id or "")
        event.add("x-sco-dates", given)
        cal.add_component(event)
    return cal.to_ical(), undated


def _stamp(recorded_at: str) -> dt.datetime:
    """The record time of the meeting's facts (so an export of the same log is the same
    file), as a UTC datetime."""
    stamp = dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


async def _meetings(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.projections import bodies, meetings
    from sco_registry.projections.bodies import BodiesProjection
    from sco_registry.projections.meetings import MeetingsProjection

    out = Path(args.out)
    async with open_registry(settings) as registry:
        names_needed = [MeetingsProjection.name, BodiesProjection.name]
        position = await _position(registry, names_needed, args.known_at)

        def read(conn: Any) -> tuple[list[Any], dict[str, str]]:
            found = meetings.meetings(conn, body=args.body, known_at=position)
            names = {b.body.body_id: b.body.name for b in bodies.bodies(conn, known_at=position)}
            return found, names

        found, names = await registry.projections.read(read)
    if args.body is not None and args.body not in names:
        raise RegistryError(
            f"--body {args.body!r}: no such body is recorded (as known at position {position})",
            code="export.unknown_body",
            details={"body": args.body},
        )
    data, undated = calendar_bytes(found, names, position, args.body)
    with atomic_output(out, binary=True) as f:
        f.write(data)
    left = f" ({undated} undated meetings left out)" if undated else ""
    print(
        f"exported {len(found) - undated} meetings as known at position {position} to {out}{left}"
    )
    return EXIT_OK
