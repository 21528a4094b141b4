"""The history files the project ships under data/: the 1996-2012 file copied unchanged, and
the declaration's own facts, referring to the first file rather than repeating it."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from sco_registry.importer.bundled import bundled_files, load_bundled
from sco_registry.importer.load import import_files
from sco_registry.store.memory import InMemoryEventStore

ROOT = Path(__file__).parents[3]
HISTORY = ROOT / "data" / "sco-history-1996-2012.json"
DECLARATION = ROOT / "data" / "declaration-2001.json"
SHARED = ROOT.parent / "shared" / "data" / "sco-history-1996-2012.json"
DECLARATION_TITLE = (
    "Declaration on the Establishment of the Shanghai Cooperation Organization (15 June 2001), "
)


def records(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["records"])


def test_the_history_file_is_the_shared_one_byte_for_byte() -> None:
    if not SHARED.exists():
        pytest.skip(f"no shared copy at {SHARED} to compare with")
    digest = hashlib.sha256(HISTORY.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(SHARED.read_bytes()).hexdigest()


def test_every_declaration_fact_cites_an_article_of_the_declaration() -> None:
    for r in records(DECLARATION):
        assert r["sources"], r["id"]
        for source in r["sources"]:
            assert source["title"].startswith(DECLARATION_TITLE), r["id"]
            assert re.search(r"(Art\. \d+|final paragraphs)", source["title"]), r["id"]


def test_the_declaration_file_refers_to_the_history_file_instead_of_repeating_it() -> None:
    history = {r["id"] for r in records(HISTORY)}
    mine = records(DECLARATION)
    assert not {r["id"] for r in mine} & history
    referenced = {
        r[key]
        for r in mine
        for key in ("organization", "by", "to", "document", "due", "parent")
        if isinstance(r.get(key), str) and "/" in r[key]
    }
    outside = referenced - {r["id"] for r in mine}
    assert outside == {
        "organization/sco",
        "body/heads_of_state_council",
        "body/national_coordinators_council",
        "body/foreign_ministers_council",
        "document/establishment-declaration-2001",
        "meeting/heads_of_state/2002",
    }
    assert outside <= history
    # The anti-terrorist center and the coordinators' council are in the history file.
    names = " ".join(r.get("name", "") for r in mine).lower()
    assert "anti-terrorist" not in names and "coordinators" not in names


async def test_the_charter_drafting_mandate_is_due_at_the_2002_summit() -> None:
    store = InMemoryEventStore()
    assert (await import_files([HISTORY, DECLARATION], store)).ok
    (event,) = await store.read_stream("mandate/2001-06-15/charter-drafting")
    assert "meeting/heads_of_state/2002" in json.dumps(event.data)
    assert event.sources[0].title is not None and "Art. 11" in event.sources[0].title


async def test_the_bundled_files_load_once() -> None:
    assert bundled_files() == [HISTORY, DECLARATION]
    store = InMemoryEventStore()
    first = await load_bundled(store)
    assert first.ok and first.events_appended > 0
    again = await load_bundled(store)
    assert again.ok and again.events_appended == 0 and again.already_imported == 120
