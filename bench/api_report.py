"""The API benchmark's section of `docs/benchmarks.md` (issue 9), generated from
`bench/results.json`'s `machine.api` (`bench/api_bench.py` measures it, alone or as part of
`python -m bench`): the results, the targets met or not, and the hand-written analysis, which
is kept when the file is regenerated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ANALYSIS_START = "<!-- api-analysis:start (hand-written; kept when regenerated) -->"
ANALYSIS_END = "<!-- api-analysis:end -->"
ANALYSIS_PLACEHOLDER = "_Not written yet: write the analysis of the latest API run here._"
HEADING = "## The API (issue 9): GraphQL against a plain endpoint"

OPERATION_LABELS = {
    "members_as_of": "members as of a date",
    "meeting_page_100": "page of 100 meetings, nested",
    "timeline_page": "timeline page",
    "audit_log_page": "audit log page",
    "record_meeting": "recordMeeting (write)",
}
WRITES = {"record_meeting"}
RATIO_TARGET = 0.5  # GraphQL reads at least this share of the plain endpoint's throughput
P99_TARGET_MS = 50.0  # at 100 requests/s offered

HOW = """\
`make bench` measures it after the log's and the read side's benchmarks (`--no-api` skips
it; `--api-seconds`, `--api-windows`, `--api-events`, `--api-operations`), on a fresh copy of
the cached synthetic log (SQLite) and a fresh PostgreSQL database loaded from it, every read
model rebuilt. Alone, on prepared databases it can keep between runs:
`python -m bench.api_bench --keep DIR --pg postgresql+asyncpg://.../EMPTY_DB` (see `--help`);
it merges its results into `bench/results.json` and regenerates this file.

The server is the registry's app under uvicorn on uvloop (`bench/api_server.py`), with plain
FastAPI JSON endpoints beside `/graphql` that return the same data from the same read
functions (the ceiling; the write: the same application `handle`). The load generator is an
asyncio client on uvloop that speaks HTTP/1.1 itself (`bench/api_client.py`), in its own
process, on the same 2 cores as the server (and PostgreSQL). Per operation and kind (GraphQL,
plain):
- **closed loop**: 50 concurrent clients (the write 10), in two halves, GraphQL and plain
  alternated (G P G P); requests per second;
- **open loop**: 100 requests/s offered, each timed from its scheduled start (the client's
  own lateness counts), in windows of the same length, GraphQL and plain alternated; the
  median window's p50 and p99 are the figures, each window's p99 is listed ("saturated"
  once 20 requests are in flight). A slow spell of the shared machine then spoils a window,
  which shows beside its neighbours and the plain endpoint's, not the verdict.
"""


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _load(value: Any) -> str:
    return "?" if value is None else f"{value:.2f}"


def _windows(side: dict[str, Any]) -> str:
    found = side.get("windows")
    if not found:
        return "-"
    return ", ".join(_ms(w["p99_ms"]) + ("*" if w.get("saturated") else "") for w in found)


def _latency(side: dict[str, Any]) -> str:
    text = f"{_ms(side.get('p50_ms'))} / {_ms(side.get('p99_ms'))}"
    return text + (" (saturated)" if side.get("saturated") else "")


def targets(api: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    """(backend, operation, target, measured, met) for every operation measured."""
    out = []
    for backend in ("sqlite", "postgresql"):
        for name, row in ((api.get(backend) or {}).get("operations") or {}).items():
            label = OPERATION_LABELS.get(name, name)
            g = row["graphql"]
            if name not in WRITES:
                ratio = row["graphql_over_plain"]
                out.append(
                    (
                        backend,
                        label,
                        f">= {RATIO_TARGET:.1f}x plain",
                        f"{ratio:.2f}x",
                        ratio >= RATIO_TARGET,
                    )
                )
            p99 = g["p99_ms"]
            met = p99 < P99_TARGET_MS and not g["saturated"]
            measured = f"{p99:.1f} ms" + (" (saturated)" if g["saturated"] else "")
            out.append((backend, label, f"p99 < {P99_TARGET_MS:.0f} ms", measured, met))
    return out


def render_section(api: dict[str, Any] | None, analysis: str) -> str:
    out = [HEADING, "", "<!-- Generated from bench/results.json (bench/api_report.py). -->", ""]
    out += ["### How it runs", "", HOW]
    if not api:
        out += ["_No API run recorded in bench/results.json yet._", ""]
    else:
        out += [
            "### Results",
            "",
            f"`{api.get('command') or 'python -m bench'}`, started {api.get('started', '?')}: "
            f"{api.get('log', '?')}; {api.get('seconds')} s per closed loop and per open-loop "
            f"window, {api.get('open_loop_windows', 1)} window(s) per kind; load average "
            f"{_load(api.get('load_before'))} before, {_load(api.get('load_after'))} after.",
            "",
            "| backend | operation | GraphQL req/s | plain req/s | GraphQL / plain "
            "| GraphQL p50 / p99 (ms) | its p99 per window | plain p50 / p99 (ms) "
            "| its p99 per window | server CPU ms/request, GraphQL / plain |",
            "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |",
        ]
        for backend in ("sqlite", "postgresql"):
            for name, row in ((api.get(backend) or {}).get("operations") or {}).items():
                g, p = row["graphql"], row["plain"]
                cpu = "-"
                if "server_cpu_ms_per_request" in g:
                    cpu = (
                        f"{g['server_cpu_ms_per_request']:.2f} / "
                        f"{p['server_cpu_ms_per_request']:.2f}"
                    )
                out.append(
                    f"| {backend} | {OPERATION_LABELS.get(name, name)} | {g['closed_rps']:.1f} "
                    f"| {p['closed_rps']:.1f} | {row['graphql_over_plain']:.2f}x "
                    f"| {_latency(g)} | {_windows(g)} | {_latency(p)} | {_windows(p)} | {cpu} |"
                )
        found = targets(api)
        missed = [t for t in found if not t[4]]
        out += [
            "",
            "### Targets",
            "",
            f"GraphQL reads at least {RATIO_TARGET}x the plain endpoint's throughput (closed "
            f"loop); p99 under {P99_TARGET_MS:.0f} ms at 100 requests/s offered (the median "
            "window; not saturated).",
            "",
            "| backend | operation | target | measured | met |",
            "| --- | --- | --- | --: | --- |",
            *(
                f"| {b} | {op} | {target} | {measured} | {'yes' if met else '**no**'} |"
                for b, op, target, measured, met in found
            ),
            "",
            f"**{len(found) - len(missed)} of {len(found)} targets met in this run.**",
            "",
        ]
    out += ["### Analysis", "", ANALYSIS_START, analysis, ANALYSIS_END, ""]
    return "\n".join(out)


def read_analysis(doc: Path) -> str:
    from bench.report import read_marked

    return read_marked(doc, ANALYSIS_START, ANALYSIS_END, ANALYSIS_PLACEHOLDER)
