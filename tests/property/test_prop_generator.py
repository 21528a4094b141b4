"""The generator of valid histories itself: it covers what issue 6 asks of it (every kind,
enumerated value, optional field present / absent / null, date precision, both
organizations, the shapes of real history), it is deterministic by seed, and every file it
makes passes the format check (cheap: no import)."""

from __future__ import annotations

import json

from sco_registry.importer.format import Known, parse_text
from tests.strategies.coverage import covered, expected
from tests.strategies.history import build_history, build_history_of_size

SEEDS = range(40)


def test_the_first_seeds_cover_every_feature() -> None:
    histories = [build_history(s, years=2, files=1 + s % 3) for s in SEEDS]
    assert expected() - covered(histories) == set()


def test_a_missing_feature_is_noticed() -> None:
    """Negative control: without mandates, their kind and their shapes are missing."""
    histories = [build_history(s, years=2, files=1 + s % 3) for s in SEEDS]
    for files in histories:
        for f in files:
            f["records"] = [r for r in f["records"] if r["kind"] != "mandate"]
    missing = expected() - covered(histories)
    assert ("kind", "mandate") in missing
    assert ("shape", "mandate due at a meeting") in missing


def test_a_seed_gives_the_same_history() -> None:
    assert json.dumps(build_history(5, years=3, files=2)) == json.dumps(
        build_history(5, years=3, files=2)
    )
    assert build_history(5, years=3) != build_history(6, years=3)


def test_every_generated_file_passes_the_format_check() -> None:
    for seed in range(60):
        known = Known()
        for i, f in enumerate(build_history(seed, years=1 + seed % 6, files=1 + seed % 4)):
            parsed = parse_text(json.dumps(f), f"{seed}-{i}.json", known)
            assert parsed.problems == (), [str(x) for x in parsed.problems]
            known = known.with_file(parsed)


def test_a_history_of_a_given_size() -> None:
    """What a benchmark asks for: about that many records, valid by the format."""
    files = build_history_of_size(3, records=2000, files=3)
    count = sum(len(f["records"]) for f in files)
    assert 1000 <= count <= 4000
    known = Known()
    for i, f in enumerate(files):
        parsed = parse_text(json.dumps(f), f"big-{i}.json", known)
        assert parsed.problems == (), [str(x) for x in parsed.problems][:5]
        known = known.with_file(parsed)
