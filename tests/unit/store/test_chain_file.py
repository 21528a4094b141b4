"""Tamper evidence in an exported NDJSON file, checked with no database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from sco_registry.cli import main, verify_file
from sco_registry.domain.time import PartialDate
from sco_registry.store.base import NewEvent, Source
from sco_registry.store.chain import chain_hash, to_export_line
from sco_registry.store.memory import InMemoryEventStore


async def exported_lines(n: int = 6) -> list[str]:
    store = InMemoryEventStore()
    for i in range(1, n + 1):
        await store.append(
            f"stream-{i % 2}",
            [
                NewEvent(
                    type="Recorded",
                    data={"n": i, "text": f"fact {i}"},
                    valid_time=PartialDate.parse("2001-06"),
                    sources=(Source(title="Declaration, Art. 3"),),
                )
            ],
        )
    return [to_export_line(e) for e in await store.read_all()]


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


async def test_untampered_export_verifies(tmp_path: Path) -> None:
    # The control for every test below: the same file, untouched, is intact.
    report = verify_file(write(tmp_path, await exported_lines()))
    assert report.ok and report.checked == 6 and report.broken_at is None


async def test_changed_payload_is_caught_at_its_position(tmp_path: Path) -> None:
    lines = await exported_lines()
    rec = json.loads(lines[2])
    rec["data"]["text"] = "a rewritten fact"
    lines[2] = json.dumps(rec)
    report = verify_file(write(tmp_path, lines))
    assert not report.ok and report.broken_at == 3 and report.checked == 2


async def test_deleted_event_is_caught(tmp_path: Path) -> None:
    lines = await exported_lines()
    del lines[3]
    report = verify_file(write(tmp_path, lines))
    assert not report.ok and report.broken_at == 4


async def test_deleted_and_renumbered_event_is_caught(tmp_path: Path) -> None:
    lines = await exported_lines()
    del lines[3]
    for i in range(3, len(lines)):
        rec = json.loads(lines[i])
        rec["position"] -= 1
        lines[i] = json.dumps(rec)
    report = verify_file(write(tmp_path, lines))
    assert not report.ok and report.broken_at == 4


async def test_swapped_events_are_caught_at_the_first(tmp_path: Path) -> None:
    lines = await exported_lines()
    lines[1], lines[2] = lines[2], lines[1]
    report = verify_file(write(tmp_path, lines))
    assert not report.ok and report.broken_at == 2


async def test_swapped_contents_keeping_positions_are_caught(tmp_path: Path) -> None:
    lines = await exported_lines()
    a, b = json.loads(lines[1]), json.loads(lines[2])
    a["position"], b["position"] = 3, 2
    lines[1], lines[2] = json.dumps(b), json.dumps(a)
    report = verify_file(write(tmp_path, lines))
    assert not report.ok and report.broken_at == 2


async def test_inserted_event_is_caught_at_its_position(tmp_path: Path) -> None:
    lines = await exported_lines()
    forged = json.loads(lines[2])
    forged["data"] = {"n": 99, "text": "never happened"}
    forged["event_id"] = "00000000-0000-4000-8000-000000000099"
    # Even with a hash correctly chained to its predecessor, the event after it breaks.
    prev_hash = json.loads(lines[1])["hash"]
    env = {k: v for k, v in forged.items() if k != "hash"}
    forged["hash"] = chain_hash(prev_hash, env)
    shifted = []
    for line in lines[2:]:
        rec = json.loads(line)
        rec["position"] += 1
        shifted.append(json.dumps(rec))
    report = verify_file(write(tmp_path, [*lines[:2], json.dumps(forged), *shifted]))
    assert not report.ok and report.broken_at == 4

    naive = dict(forged, hash="f" * 64)  # a forger who does not compute the hash
    report = verify_file(write(tmp_path, [*lines[:2], json.dumps(naive), *shifted]))
    assert not report.ok and report.broken_at == 3


async def test_recomputed_chain_is_only_caught_by_the_head_anchor(tmp_path: Path) -> None:
    lines = await exported_lines()
    true_head = json.loads(lines[-1])["hash"]
    prev = json.loads(lines[1])["hash"]
    forged_lines = lines[:2]
    for i, line in enumerate(lines[2:], start=2):
        rec = json.loads(line)
        if i == 2:
            rec["data"]["text"] = "rewritten"
        env = {k: v for k, v in rec.items() if k != "hash"}
        rec["hash"] = prev = chain_hash(prev, env)
        forged_lines.append(json.dumps(rec))
    path = write(tmp_path, forged_lines)
    assert verify_file(path).ok  # a full rewrite is consistent in itself...
    report = verify_file(path, expected_head=true_head)  # ...but not with the kept head
    assert not report.ok


async def test_unreadable_line_breaks_the_chain(tmp_path: Path) -> None:
    lines = await exported_lines()
    lines[4] = lines[4][: len(lines[4]) // 2]
    report = verify_file(write(tmp_path, lines))
    assert not report.ok and report.broken_at == 5


def test_cli_verify_file_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = asyncio.run(exported_lines())
    path = write(tmp_path, lines)
    assert main(["verify", "--file", str(path)]) == 0
    rec = json.loads(lines[0])
    rec["actor"] = "someone else"
    lines[0] = json.dumps(rec)
    path = write(tmp_path, lines)
    assert main(["verify", "--file", str(path)]) == 1
    assert "first broken position 1" in capsys.readouterr().err
