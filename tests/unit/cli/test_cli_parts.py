"""Parts of the command line without a database: the progress bar (drawn on a terminal
only), the atomic output file, and the iCalendar of meetings with partial dates."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import icalendar
import pytest

from sco_registry.cli._base import Bar, atomic_output
from sco_registry.cli.export import calendar_bytes
from sco_registry.domain.time import PartialDate


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_draws_on_a_terminal_only() -> None:
    pipe, tty = io.StringIO(), Terminal()
    for stream in (pipe, tty):
        bar = Bar(stream, "replaying", "events")
        for done in range(0, 101, 25):
            bar(done, 100)
        bar.close()
    assert pipe.getvalue() == ""
    assert "replaying" in tty.getvalue() and "100/100" in tty.getvalue()
    quiet = Terminal()
    bar = Bar(quiet, "x", "events", enabled=False)
    bar(1, 2)
    bar.close()
    assert quiet.getvalue() == ""


def test_an_output_appears_only_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_output(out) as f:
        f.write("half")
        assert not out.exists()
        raise RuntimeError("stopped")
    assert sorted(tmp_path.iterdir()) == []
    with atomic_output(out) as f:
        f.write("whole")
    assert out.read_text() == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


@dataclass
class FakeMeeting:
    meeting_id: str
    start_date: PartialDate | None
    end_date: PartialDate | None = None
    body_id: str | None = "body/heads_of_state_council"
    ordinal: int | None = None
    city: str | None = None
    host_state: str | None = None
    status: str = "held"
    participants: tuple[str, ...] = field(default_factory=tuple)
    recorded_at: str = "2026-12-01T10:00:00.000000Z"


def test_partial_dates_span_every_day_they_may_stand_for() -> None:
    found = [
        FakeMeeting("meeting/a", PartialDate.parse("2001-06"), city="Shanghai", ordinal=1),
        FakeMeeting("meeting/b", PartialDate.parse("2002-06-07"), status="cancelled"),
        FakeMeeting("meeting/c", PartialDate.parse("2003"), PartialDate.parse("2004-02")),
        FakeMeeting("meeting/undated", None),
    ]
    names = {"body/heads_of_state_council": "Council of Heads of State"}
    data, undated = calendar_bytes(found, names, 7, None)
    assert undated == 1
    events = {str(e["X-SCO-MEETING"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}
    assert set(events) == {"meeting/a", "meeting/b", "meeting/c"}
    a, b, c = events["meeting/a"], events["meeting/b"], events["meeting/c"]
    assert (a.decoded("DTSTART"), a.decoded("DTEND")) == (dt.date(2001, 6, 1), dt.date(2001, 7, 1))
    assert str(a["X-SCO-DATES"]) == "2001-06"
    assert str(a["SUMMARY"]) == "Council of Heads of State (meeting 1)"
    assert str(a["STATUS"]) == "CONFIRMED" and str(b["STATUS"]) == "CANCELLED"
    assert (b.decoded("DTSTART"), b.decoded("DTEND")) == (dt.date(2002, 6, 7), dt.date(2002, 6, 8))
    assert (c.decoded("DTSTART"), c.decoded("DTEND")) == (dt.date(2003, 1, 1), dt.date(2004, 3, 1))
    assert str(c["X-SCO-DATES"]) == "2003/2004-02"
    assert a.decoded("DTSTAMP") == dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    # The same meetings give the same file (no time of export in it).
    assert calendar_bytes(found, names, 7, None)[0] == data
