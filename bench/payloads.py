"""Deterministic, realistic event payloads shared by every subject.

Each event is a summit-registry fact: ~300-500 bytes of JSON data, a partial-date valid
time (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) and one source citation. The generator is seeded,
so every subject receives the same Python values and therefore writes the same bytes; the
encoding to JSON happens inside each subject's timed region (as a store must do it).
"""

from __future__ import annotations

import calendar
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

_CITIES = [
    ("Shanghai", "China"),
    ("Astana", "Kazakhstan"),
    ("Bishkek", "Kyrgyzstan"),
    ("Dushanbe", "Tajikistan"),
    ("Tashkent", "Uzbekistan"),
    ("Yekaterinburg", "Russia"),
    ("Ufa", "Russia"),
    ("Qingdao", "China"),
    ("Samarkand", "Uzbekistan"),
    ("New Delhi", "India"),
]
_TYPES = [
    "SummitHeld",
    "DeclarationAdopted",
    "MemberAdmitted",
    "AgreementSigned",
    "AgreementRatified",
    "MechanismEstablished",
]
_TOPICS = [
    "regional security",
    "counter-terrorism",
    "trade facilitation",
    "energy cooperation",
    "transport corridors",
    "cultural exchange",
    "customs cooperation",
    "information security",
]


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event to write, independent of any subject's API."""

    event_id: uuid.UUID
    type: str
    data: dict[str, Any]
    valid_time: str
    valid_from: str
    valid_to: str
    source_title: str
    source_url: str

    def sources_json(self) -> list[dict[str, str]]:
        return [{"title": self.source_title, "url": self.source_url}]

    def state_bytes(self) -> bytes:
        """The serialised event for stores that keep one opaque blob (eventsourcing)."""
        return json.dumps(
            {
                "data": self.data,
                "valid_time": self.valid_time,
                "sources": self.sources_json(),
            },
            separators=(",", ":"),
        ).encode("utf-8")


def _valid_time(rng: random.Random) -> tuple[str, str, str]:
    year = rng.randint(2001, 2025)
    kind = rng.random()
    if kind < 0.2:
        return f"{year:04d}", f"{year:04d}-01-01", f"{year:04d}-12-31"
    month = rng.randint(1, 12)
    last = calendar.monthrange(year, month)[1]
    if kind < 0.5:
        return (
            f"{year:04d}-{month:02d}",
            f"{year:04d}-{month:02d}-01",
            f"{year:04d}-{month:02d}-{last:02d}",
        )
    day = rng.randint(1, last)
    text = f"{year:04d}-{month:02d}-{day:02d}"
    return text, text, text


def make_event(rng: random.Random, n: int) -> EventSpec:
    """The `n`-th event of a deterministic sequence drawn from `rng`."""
    city, country = rng.choice(_CITIES)
    topics = rng.sample(_TOPICS, 3)
    valid_time, lower, upper = _valid_time(rng)
    data: dict[str, Any] = {
        "summit_id": f"sco-summit-{rng.randint(1, 40):03d}",
        "title": f"Meeting of the Council of Heads of State in {city}",
        "city": city,
        "host_country": country,
        "participants": rng.sample(
            ["CN", "RU", "KZ", "KG", "TJ", "UZ", "IN", "PK", "IR", "BY"], rng.randint(6, 10)
        ),
        "topics": topics,
        "summary": (
            f"Leaders discussed {topics[0]}, {topics[1]} and {topics[2]}; "
            f"item {n} of the record, with the chair's statement annexed."
        ),
        "document_count": rng.randint(1, 30),
    }
    return EventSpec(
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        type=rng.choice(_TYPES),
        data=data,
        valid_time=valid_time,
        valid_from=lower,
        valid_to=upper,
        source_title=f"Declaration of the {city} summit, art. {rng.randint(1, 25)}",
        source_url=f"https://eng.sectsco.org/documents/{year_of(valid_time)}/{n:06d}",
    )


def year_of(valid_time: str) -> str:
    return valid_time[:4]


def make_events(count: int, seed: int) -> list[EventSpec]:
    rng = random.Random(seed)
    return [make_event(rng, i) for i in range(count)]


def stream_ids(count: int, seed: int, prefix: str = "summit") -> list[str]:
    """Stream ids as UUID strings (eventsourcing needs UUID originator ids by default)."""
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


def payload_size_stats(events: list[EventSpec]) -> dict[str, int]:
    sizes = [len(json.dumps(e.data, separators=(",", ":")).encode()) for e in events]
    return {"min": min(sizes), "max": max(sizes), "mean": sum(sizes) // len(sizes)}
