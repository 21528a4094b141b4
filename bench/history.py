"""A seeded synthetic history file (`sco-registry-history/1`) of N records, for `import_10k`.

It continues the bundled history (`data/sco-history-1996-2012.json`, imported first and not
timed): it refers to its states, the SCO's record and its councils. The mix repeats in
blocks of 20 records, the shape of the real history: a new expert group (body), eight
meetings (of that group and of the Council of Heads of Government), a document signed at
each meeting by some of the six founding members, the group's renaming (body change), an
office term in it and a mandate given to it by the Council of Heads of State. Every record
has one or two sources, a confidence and sometimes a note. Deterministic for a seed.

`documents=False` leaves the documents out (blocks of 12 records: the body, its eight
meetings, the renaming, the office term and a mandate given by no document), so that 1,000
meetings take 1,500 records instead of 2,500 (`bench/page.py --no-documents`): each meeting
or document appended re-evaluates the declaration's norms over every meeting recorded
(sco_registry/projections/compliance.py), which makes the import's time grow with the
square of the meetings and documents it holds.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "sco-history-1996-2012.json"

BLOCK = 20
BLOCK_WITHOUT_DOCUMENTS = 12
MEMBERS = ("CN", "KG", "KZ", "RU", "TJ", "UZ")
CITIES = {
    "CN": "Beijing",
    "KG": "Bishkek",
    "KZ": "Astana",
    "RU": "Moscow",
    "TJ": "Dushanbe",
    "UZ": "Tashkent",
}
DOCUMENT_CATEGORIES = ("agreement", "joint_statement", "protocol", "memorandum", "decision")
SUBJECTS = ("customs", "energy", "transport", "education", "health", "culture", "tourism")


def _date(rng: random.Random, start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


def _sources(rng: random.Random, record_id: str) -> list[dict[str, Any]]:
    sources = [{"title": f"Synthetic archive, file {record_id}", "url": None}]
    if rng.random() < 0.5:
        slug = record_id.replace("/", "-")
        sources.append({"title": "Synthetic press release", "url": f"https://example.org/{slug}"})
    return sources


def _common(rng: random.Random, record_id: str, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record_id, "kind": kind}
    out["sources"] = _sources(rng, record_id)
    out["confidence"] = rng.choice(("high", "high", "medium", "low"))
    if rng.random() < 0.2:
        out["note"] = f"Generated record {record_id}."
    return out


def _block(rng: random.Random, k: int, documents_too: bool = True) -> list[dict[str, Any]]:
    """The 20 records of block `k` (12 without documents)."""
    body_id = f"body/synthetic-group-{k}"
    established = _date(rng, dt.date(2002, 1, 1), 4 * 365)
    body = _common(rng, body_id, "body") | {
        "name": f"Expert group {k} on {rng.choice(SUBJECTS)}",
        "abbreviation": None,
        "category": "expert_group",
        "organization": "organization/sco",
        "status": "established",
        "established": established.isoformat(),
        "parent": "body/heads_of_government_council",
        "permanence": None,
        "seat": None,
        "seat_state": None,
    }
    records = [body]
    documents: list[str] = []
    for j in range(8):
        host = rng.choice(MEMBERS)
        start = _date(rng, dt.date(2006, 1, 1), 6 * 365)
        end = start + dt.timedelta(days=rng.choice((0, 1, 2)))
        on_group = j % 2 == 0
        meeting_id = f"meeting/synthetic-{k}-{j}"
        records.append(
            _common(rng, meeting_id, "meeting")
            | {
                "body": body_id if on_group else "body/heads_of_government_council",
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "city": CITIES[host],
                "host_state": host,
                "format": rng.choice(("in_person", "in_person", "virtual", "hybrid")),
                "status": "held",
            }
        )
        document_id = f"document/synthetic-{k}-{j}"
        documents.append(document_id)
        parties = sorted(rng.sample(MEMBERS, rng.randrange(2, len(MEMBERS) + 1)))
        if not documents_too:
            continue
        records.append(
            _common(rng, document_id, "document")
            | {
                "title": f"Synthetic {rng.choice(SUBJECTS)} instrument {k}-{j}",
                "category": rng.choice(DOCUMENT_CATEGORIES),
                "signed_on": start.isoformat(),
                "place": CITIES[host],
                "meeting": meeting_id,
                "parties": parties,
                "in_force_on": None,
                "amends": None,
            }
        )
    renamed = _date(rng, dt.date(2006, 1, 1), 6 * 365)
    records.append(
        _common(
            rng, f"body_change/synthetic-group-{k}/{renamed.isoformat()}/renamed", "body_change"
        )
        | {
            "body": body_id,
            "date": renamed.isoformat(),
            "change": "renamed",
            "name": f"Working group {k}",
        }
    )
    term_from = _date(rng, dt.date(2006, 1, 1), 3 * 365)
    records.append(
        _common(rng, f"office/synthetic-group-{k}/director", "office_term")
        | {
            "body": body_id,
            "office": "director",
            "person": f"Person {k}",
            "nationality": rng.choice(MEMBERS),
            "from": term_from.isoformat(),
            "to": (term_from + dt.timedelta(days=3 * 365)).isoformat()[:4],
        }
    )
    records.append(
        _common(rng, f"mandate/synthetic-{k}", "mandate")
        | {
            "by": "body/heads_of_state_council",
            "to": body_id,
            "date": renamed.isoformat(),
            "task": f"Report on {rng.choice(SUBJECTS)} cooperation",
            "document": rng.choice(documents) if documents_too else None,
            "due": None,
        }
    )
    assert len(records) == (BLOCK if documents_too else BLOCK_WITHOUT_DOCUMENTS)
    return records


def build_history(records: int, seed: int = 2001, *, documents: bool = True) -> dict[str, Any]:
    """A history file of `records` records (a multiple of 20, or of 12 without documents, or
    cut short at `records`)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    k = 0
    while len(out) < records:
        out.extend(_block(rng, k, documents))
        k += 1
    bundled = json.loads(BUNDLED.read_text(encoding="utf-8"))
    return {
        "format": "sco-registry-history/1",
        "title": f"Synthetic history, {records} records (seed {seed})",
        "covers": {"from": "2002", "to": "2012"},
        "states": bundled["states"],
        "records": out[:records],
    }


def write_history(path: Path, records: int, seed: int = 2001, *, documents: bool = True) -> Path:
    history = build_history(records, seed, documents=documents)
    path.write_text(json.dumps(history, indent=1), encoding="utf-8")
    return path
