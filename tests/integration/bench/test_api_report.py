"""The API benchmark's results land in `bench/results.json` (`machine.api`) and its section of
`docs/benchmarks.md` is generated from them: the targets judged from the figures, the
hand-written analysis and the sections after it kept. And the benchmark runs end to end (a
small SQLite run through `python -m bench.api_bench`'s main)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from bench import api_bench, api_report, report


def _side(rps: float, p99: float, saturated: bool = False) -> dict[str, Any]:
    return {
        "closed_rps": rps,
        "p50_ms": p99 / 3,
        "p99_ms": p99,
        "saturated": saturated,
        "server_cpu_ms_per_request": 1.0,
        "windows": [{"p99_ms": p99, "saturated": saturated}, {"p99_ms": p99 + 90}],
    }


def _api() -> dict[str, Any]:
    def op(g: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        return {
            "graphql": g,
            "plain": p,
            "graphql_over_plain": round(g["closed_rps"] / p["closed_rps"], 2),
        }

    return {
        "command": "python -m bench",
        "seconds": 8,
        "open_loop_windows": 2,
        "sqlite": {
            "operations": {
                "members_as_of": op(_side(60, 10), _side(100, 5)),
                "record_meeting": op(_side(90, 30), _side(100, 20)),
            }
        },
    }


def test_the_targets_are_judged_from_the_figures() -> None:
    api = _api()
    assert all(met for *_, met in api_report.targets(api))  # the control: all met
    assert "**3 of 3 targets met in this run.**" in api_report.render_section(api, "x")
    slow = copy.deepcopy(api)
    slow["sqlite"]["operations"]["members_as_of"]["graphql_over_plain"] = 0.4
    slow["sqlite"]["operations"]["record_meeting"]["graphql"]["p99_ms"] = 50.0
    assert [met for *_, met in api_report.targets(slow)] == [False, True, False]
    saturated = copy.deepcopy(api)
    members = saturated["sqlite"]["operations"]["members_as_of"]["graphql"]
    members["saturated"] = members["windows"][0]["saturated"] = True
    assert [met for *_, met in api_report.targets(saturated)] == [True, False, True]
    text = api_report.render_section(saturated, "x")
    assert "**2 of 3 targets met in this run.**" in text
    assert "10.0*, 100.0" in text  # each window's p99, a saturated one marked


def test_regenerating_keeps_the_analysis_and_the_tail(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    machine: dict[str, Any] = {"api": _api()}
    report.write_doc(doc, machine, [])
    text = doc.read_text()
    assert api_report.ANALYSIS_PLACEHOLDER in text
    text = text.replace(api_report.ANALYSIS_PLACEHOLDER, "The API's own words.")
    doc.write_text(text + "\n## The read cache (issue 11)\n\nKept as written.\n")
    machine["api"]["sqlite"]["operations"]["members_as_of"]["graphql"]["closed_rps"] = 77.0
    report.write_doc(doc, machine, [])
    again = doc.read_text()
    assert "The API's own words." in again and api_report.ANALYSIS_PLACEHOLDER not in again
    assert again.count("Kept as written.") == 1
    assert "| sqlite | members as of a date | 77.0 |" in again  # regenerated from the figures
    assert again.index(api_report.ANALYSIS_END) < again.index("## The read cache")


def test_a_small_run_end_to_end(tmp_path: Path) -> None:
    out, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    out.write_text(json.dumps({"machine": {"cpu": "kept"}, "results": []}))
    argv = [
        *("--records", "20", "--seconds", "0.4", "--windows", "2"),
        *("--operations", "members_as_of,record_meeting", "--keep", str(tmp_path)),
        *("--out", str(out), "--doc", str(doc), "--backends", "sqlite"),
    ]
    assert api_bench.main(argv) == 0
    data = json.loads(out.read_text())
    assert data["machine"]["cpu"] == "kept" and data["results"] == []
    api = data["machine"]["api"]
    ops = api["sqlite"]["operations"]
    assert set(ops) == {"members_as_of", "record_meeting"}
    for row in ops.values():
        for side in (row["graphql"], row["plain"]):
            assert len(side["windows"]) == 2 and side["closed_rps"] > 0
            assert side["p99_ms"] <= side["p99_worst_window_ms"]
    assert api["command"].startswith("python -m bench.api_bench --records 20")
    assert "| sqlite | recordMeeting (write) |" in doc.read_text()
