"""Results: `bench/results.json` and `docs/benchmarks.md`, regenerated from one run.

The Markdown keeps the hand-written analysis between the ANALYSIS_START and ANALYSIS_END
markers across regenerations; everything else in it is generated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUBJECTS = ("sco_registry", "eventsourcing", "raw_sql")
BACKENDS = ("sqlite", "postgresql")
WORKLOADS = {
    "W1": "one event per transaction, each to a new stream",
    "W2": "batches of 100 events to one stream",
    "W3": "read the whole log in order, decoded",
    "W4": "load one stream of 1,000 events",
    "W5": "4 concurrent writers, 8 shared streams, optimistic concurrency",
    "import_1k": "import a generated history file of 1,000 records, rehearsal included",
    "import_10k": "import a generated history file of 10,000 records, rehearsal included",
}
UNITS = {
    "W1": "events/s",
    "W2": "events/s",
    "W3": "events/s",
    "W4": "ms",
    "W5": "events/s",
    "import_1k": "records/s",
    "import_10k": "records/s",
}
IMPORT_RECORDS = {"import_1k": 1_000, "import_10k": 10_000}
"""The import workloads (sco_registry only: the others have no command path)."""
IMPORT_TARGET = 2_000.0
"""records/s, for import_10k on both backends (issue 7)."""
RAW_TARGET_WORKLOADS = ("W2", "W3")
ES_TARGET = 1.0
RAW_TARGET = 0.5

ANALYSIS_START = "<!-- analysis:start (hand-written; kept when this file is regenerated) -->"
ANALYSIS_END = "<!-- analysis:end -->"
ANALYSIS_PLACEHOLDER = "_Not written yet: write the analysis of the latest full run here._"


@dataclass
class Measurement:
    """The per-run values of one (workload, backend, subject) and their median."""

    workload: str
    backend: str
    subject: str
    runs: list[float] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return UNITS[self.workload]

    @property
    def value(self) -> float:
        return median(self.runs)

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "workload": self.workload,
            "backend": self.backend,
            "subject": self.subject,
            "value": round(self.value, 3 if self.unit == "ms" else 1),
            "unit": self.unit,
        }
        if self.conflicts:
            out["conflicts"] = int(median([float(c) for c in self.conflicts]))
        return out


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ratio(ours: dict[str, Any] | None, other: dict[str, Any] | None) -> float | None:
    """ours/other for throughput, other/ours for times: above 1 means we are better."""
    if ours is None or other is None or not ours["value"] or not other["value"]:
        return None
    if ours["unit"] == "ms":
        return float(other["value"]) / float(ours["value"])
    return float(ours["value"]) / float(other["value"])


def write_results(path: Path, machine: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({"machine": machine, "results": rows}, indent=2) + "\n")


def _fmt_value(row: dict[str, Any] | None) -> str:
    if row is None:
        return "—"
    if row["unit"] == "ms":
        return f"{row['value']:,.1f} ms"
    return f"{row['value']:,.0f}"


def _fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _index(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["workload"], r["backend"], r["subject"]): r for r in rows}


def targets(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, float | None, float, bool]]:
    """(backend, workload, against, ratio, target, met) for every target of issue 2."""
    idx = _index(rows)
    out = []
    for backend in BACKENDS:
        for w in WORKLOADS:
            ours = idx.get((w, backend, "sco_registry"))
            if ours is None:
                continue
            if w in IMPORT_RECORDS:
                if w == "import_10k":
                    value = float(ours["value"])
                    out.append(
                        (backend, w, "records/s", value, IMPORT_TARGET, value >= IMPORT_TARGET)
                    )
                continue
            r = ratio(ours, idx.get((w, backend, "eventsourcing")))
            out.append(
                (backend, w, "eventsourcing", r, ES_TARGET, r is not None and r >= ES_TARGET)
            )
            if w in RAW_TARGET_WORKLOADS:
                r = ratio(ours, idx.get((w, backend, "raw_sql")))
                out.append(
                    (backend, w, "raw_sql", r, RAW_TARGET, r is not None and r >= RAW_TARGET)
                )
    return out


def results_tables(rows: list[dict[str, Any]]) -> str:
    """One Markdown table per backend: values and the two ratios."""
    idx = _index(rows)
    parts: list[str] = []
    for backend in BACKENDS:
        if not any(r["backend"] == backend for r in rows):
            continue
        parts.append(f"### {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}\n")
        parts.append(
            "| Workload | Unit | sco_registry | eventsourcing | raw_sql "
            "| sco/eventsourcing | sco/raw_sql | W5 conflicts (sco / es / raw) |"
        )
        parts.append("|---|---|--:|--:|--:|--:|--:|--|")
        for w, what in WORKLOADS.items():
            cells = [idx.get((w, backend, s)) for s in SUBJECTS]
            if not any(cells):
                continue
            ours = cells[0]
            conflicts = (
                " / ".join(str(c["conflicts"]) if c and "conflicts" in c else "—" for c in cells)
                if w == "W5"
                else ""
            )
            parts.append(
                f"| {w}: {what} | {UNITS[w]} | "
                + " | ".join(_fmt_value(c) for c in cells)
                + f" | {_fmt_ratio(ratio(ours, cells[1]))} | {_fmt_ratio(ratio(ours, cells[2]))}"
                + f" | {conflicts} |"
            )
        parts.append("")
    parts.append(
        "Ratios are sco_registry over the other subject for events/s, and the other subject "
        "over sco_registry for milliseconds (W4): above 1.00x, this store is faster.\n"
    )
    return "\n".join(parts)


def targets_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| Backend | Workload | Against | Ratio | Target | Verdict |",
        "|---|---|---|--:|--:|---|",
    ]
    for backend, w, against, r, target, met in targets(rows):
        verdict = "met" if met else ("**not met**" if r is not None else "not measured")
        if against == "records/s":  # an absolute target, not a ratio
            shown = "—" if r is None else f"{r:,.0f}"
            lines.append(f"| {backend} | {w} | — | {shown} | >= {target:,.0f}/s | {verdict} |")
            continue
        lines.append(
            f"| {backend} | {w} | {against} | {_fmt_ratio(r)} | >= {target:.1f}x | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def _settings_section(machine: dict[str, Any]) -> str:
    lines = []
    m = machine
    lines.append(
        f"- Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('platform')}; "
        f"load average {m.get('loadavg_at_start')} at start, {m.get('loadavg_at_end')} at the "
        "end (a machine shared with other work: expect noise)."
    )
    lines.append(
        f"- Python {m.get('python')}; packages: "
        + ", ".join(f"{k} {v}" for k, v in sorted(m.get("packages", {}).items()))
        + "."
    )
    g = m.get("git", {})
    lines.append(
        f"- Code: commit {g.get('commit')}; the store's last change: "
        f"{g.get('store_last_commit')}"
        + (" (with uncommitted changes)" if g.get("store_uncommitted_changes") else "")
        + "."
    )
    run = m.get("run", {})
    sizes = run.get("payload_bytes", {})
    lines.append(
        f"- Run: {run.get('events')} events per workload, median of {run.get('runs')} run(s), "
        f"seed {run.get('seed')}, started {run.get('started')}, took {run.get('duration_s')} s; "
        f"event data JSON {sizes.get('min')}-{sizes.get('max')} bytes "
        f"(mean {sizes.get('mean')}) plus valid time and one source."
    )
    sq = m.get("sqlite")
    if sq:
        lines.append(
            f"- SQLite {sq.get('version')}: a temporary file per subject and run. "
            "Per subject, as read back from its own connections:"
        )
        for subject, settings in sq.get("subjects", {}).items():
            lines.append(
                f"  - {subject}: " + ", ".join(_sqlite_setting(k, v) for k, v in settings.items())
            )
    pg = m.get("postgresql")
    if pg:
        server = pg.get("server", {})
        lines.append(
            f"- PostgreSQL {server.get('server_version')} on {pg.get('host')} "
            "(a fresh database per subject and run): "
            + ", ".join(f"{k}={v}" for k, v in server.items() if k != "server_version")
            + "."
        )
        for subject, settings in pg.get("subjects", {}).items():
            lines.append(f"  - {subject}: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    return "\n".join(lines) + "\n"


_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _sqlite_setting(name: str, value: Any) -> str:
    if name == "synchronous" and value in _SYNCHRONOUS:
        return f"synchronous={value} ({_SYNCHRONOUS[value]})"
    return f"{name}={value}"


def read_marked(doc: Path, start: str, end: str, placeholder: str) -> str:
    """The hand-written text between the markers `start` and `end` in `doc` (kept when the
    file is regenerated), or `placeholder` where there is none yet."""
    if not doc.is_file():
        return placeholder
    m = re.search(re.escape(start) + r"\n(.*?)\n?" + re.escape(end), doc.read_text(), re.S)
    return m.group(1).strip() if m else placeholder


def read_analysis(doc: Path) -> str:
    return read_marked(doc, ANALYSIS_START, ANALYSIS_END, ANALYSIS_PLACEHOLDER)


HOW_TO_RUN = """\
```sh
make bench                          # = .venv/bin/python -m bench (20,000 events, 3 runs)
make bench BENCH_ARGS="--quick"     # smoke: 1,000 events, 1 run, no read side or API, no files
make bench BENCH_ARGS="--no-api"    # all but the API's benchmark (its last results are kept)
make bench-api                      # the API's benchmark alone (below)
.venv/bin/python -m bench --events 5000 --runs 1 --backends sqlite
.venv/bin/python -m bench --help
```

PostgreSQL comes from `--pg-url`, else `SCO_REGISTRY_BENCH_PG_URL`, else
`SCO_REGISTRY_TEST_PG_URL`, else `postgresql://postgres@127.0.0.1:5432/test`; the benchmark
creates one database per subject and run on that server and drops it afterwards. A full run
writes `bench/results.json` and regenerates this file (except the analysis).
"""

METHOD = """\
Three subjects, side by side in the same process and the same run, each on a fresh database
(runs are interleaved: run 1 of every subject, then run 2, with the subject order rotated):

- **sco_registry**: this project's `SqlEventStore` on an engine from
  `sco_registry.db.create_engine` (SQLAlchemy 2 async Core; aiosqlite / asyncpg), under
  asyncio, through its public API: hash chain, expected-version checks, full envelope.
  W5: 4 asyncio tasks sharing one store, each operation taking a connection the way the
  store does in production (the engine's pool; on SQLite, the store's writer and reader
  threads).
- **eventsourcing** 9.5.x: its persistence layer directly (`SQLiteApplicationRecorder`,
  `PostgresApplicationRecorder`, `StoredEvent`; `insert_events`, `select_events`,
  `select_notifications`). It is synchronous and runs so: plain calls; W5 uses 4 threads
  sharing one datastore. The event state is the same JSON (data, valid time, sources).
- **raw_sql**: the ceiling. The same `events` table (created from `store/schema.py`, no
  triggers), plain INSERTs (`executemany` on SQLite, one multi-row INSERT on PostgreSQL,
  the faster of the two on each), no hashing, no checks; stdlib `sqlite3` and
  `asyncpg`. Positions from the rowid / an identity column. W5: 4 connections, the unique
  (stream_id, stream_version) constraint detects conflicts.

Workloads (N events each, default 20,000; every subject writes the same events, same ids
and payload bytes: ~300-500 bytes of JSON data, a partial-date valid time, one source):

- **W1** N appends of one event, each to a new stream ("no stream" expected). events/s.
- **W2** N events to one stream in appends of 100 (exact expected version). events/s.
- **W3** the whole log (2N + 1,000 events by then) read in position order and decoded:
  `iter_all` pages of 1,000 / `select_notifications` pages of 1,000 + `json.loads` / one
  SELECT + `json.loads` of the JSON columns. events/s.
- **W4** one stream of 1,000 events (written untimed, between W2 and W3) loaded and
  decoded; median of 5 loads per run. ms, lower is better.
- **W5** 4 concurrent writers, N events in total, one event per append to one of 8 shared
  streams (chosen by a seeded RNG): read the stream's version, append with it as the
  expected version, on a conflict count it and retry. events/s, and the conflicts.
- **import_1k**, **import_10k** (sco_registry only; the others have no command path): on a
  fresh database holding the bundled history (imported untimed), `import_files` of a
  seeded synthetic history file of 1,000 / 10,000 records (`bench/history.py`: per 20
  records a new expert group, 8 meetings, a document signed at each by 2-6 founding
  members, a renaming, an office term and a mandate), rehearsal included. records/s; the
  two sizes show whether the cost is linear in the file.

The harness's prepared events are frozen out of the garbage collector (`gc.freeze()`), so
that collections a subject triggers do not also walk the harness's ~0.4M objects (without
it, the subject that allocates most per event was measured up to 2x slower on reads).
Each workload's value is the median over the runs. Every run checks the counts (W3 reads
every event, W4 all 1,000, the final log holds 3N + 1,000), so no subject can win by
dropping work. SQLite runs in WAL mode for every subject, with the `synchronous` level
this store uses applied to the other two as well (equal durability; listed below).
"""


def render_doc(
    machine: dict[str, Any],
    rows: list[dict[str, Any]],
    analysis: str,
    readside_analysis: str | None = None,
    api_analysis: str | None = None,
) -> str:
    from bench import (
        api_report,  # the API's section (issue 9): bench/api_report.py
        readside,  # the read side's section (issue 8): bench/readside.py
    )

    return "\n".join(
        [
            "# Benchmarks: the event log against `eventsourcing` and raw SQL",
            "",
            "<!-- Generated by `python -m bench` (bench/report.py); edit only the analysis. -->",
            "",
            "## How to run",
            "",
            HOW_TO_RUN,
            "## Method",
            "",
            METHOD,
            "## Settings and versions",
            "",
            _settings_section(machine),
            "## Results",
            "",
            results_tables(rows),
            "## Targets",
            "",
            "This store at least 1.0x `eventsourcing` on every workload on both backends, and at "
            "least 0.5x the raw-SQL ceiling on W2 and W3 (issue 2); importing a generated "
            "10,000-record file at 2,000 records/s or more on both backends (issue 7).",
            "",
            targets_table(rows),
            "## Analysis",
            "",
            ANALYSIS_START,
            analysis,
            ANALYSIS_END,
            "",
            readside.render_section(
                machine, rows, readside_analysis or readside.ANALYSIS_PLACEHOLDER
            ),
            api_report.render_section(
                machine.get("api"), api_analysis or api_report.ANALYSIS_PLACEHOLDER
            ),
        ]
    )


def write_doc(doc: Path, machine: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    from bench import api_report, readside

    analysis = read_analysis(doc)
    tail = read_tail(doc)
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = render_doc(
        machine, rows, analysis, readside.read_analysis(doc), api_report.read_analysis(doc)
    )
    doc.write_text(text + ("\n" + tail if tail else ""))


def read_tail(doc: Path) -> str:
    """The hand-written sections after the API's (the read cache's: its benchmark is another
    command), kept as they are when this file is regenerated."""
    from bench import api_report

    if not doc.is_file():
        return ""
    text = doc.read_text()
    at = text.find(api_report.ANALYSIS_END)
    tail = text[at + len(api_report.ANALYSIS_END) :].strip() if at >= 0 else ""
    return tail + "\n" if tail else ""
