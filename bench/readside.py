"""The read side's benchmark (issue 8): rebuilding every read model from synthetic logs of
100,000 and 1,000,000 events, and the as-of / known-at latency of the read functions.

`python -m bench.readside` (also part of `python -m bench`, `make bench`; `--help`):

* **Logs**: `bench/synthetic.py`'s seeded histories, generated once and cached as SQLite
  files under `bench/.cache/`; a run works on a copy (SQLite) or on a fresh PostgreSQL
  database filled from the cache (same events, ids and data).
* **Rebuild** (`rebuild_<size>`, events/s): `ProjectionRunner.rebuild()` of all ten read
  models, in a child process (`--child`), so that its peak RSS (`rebuild_<size>_peak_rss`,
  MB, `getrusage`) is the rebuild's alone. The child stops at the time budget (`--budget`):
  a rebuild that did not reach the head is reported with the position it reached, its rate
  over that prefix, and `finished: false`, never as a finished one. The child also reports
  each model's apply time (the runner's `apply_seconds`): where a rebuild's time goes.
* **Ceiling** (`raw_scan_<size>`, events/s): in the same run, a plain SQL scan of the same
  log in position order with the JSON columns decoded (stdlib `sqlite3`; `asyncpg`), and
  each rebuild's ratio to it.
* **Latency** (`asof_<read>_p50` / `_p99`, `knownat_<read>_p50` / `_p99`, ms): on the
  latency log (`--latency-events`, 1,000,000 by default), the read models the four reads
  need are rebuilt (membership, meetings, documents, timeline, audit; within the budget),
  then each read function runs on a synchronous connection, 200 seeded random questions
  each, asked as of now and as known at a position half-way through the log: the members
  of the SCO on a date, one meeting with its documents, a page of 100 of the timeline from
  a date, an entity's audit. `<read>_overhead` is the read function's median time over the
  median time of the bare SQL it ran (captured from the connection and re-run on the DBAPI
  cursor): what building the answer costs on top of the database.

Benchmarks are never tests: nothing here is collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from bench import synthetic
from bench.targets import PgServer, default_pg_url, plain_pg_url

SUBJECT = "sco_registry"
LATENCY_MODELS = ("membership", "meetings", "documents", "timeline", "audit")
READS = ("members", "meeting", "timeline", "audit")
SAMPLES = 200
DEFAULT_BUDGET = 600.0
"""Seconds a rebuild may take before it is stopped and reported as not finished."""

REBUILD_TARGET = 25_000.0  # events/s on SQLite
RAW_RATIO_TARGET = 0.25  # of the raw scan, on SQLite
RSS_TARGET_MB = 300.0  # at 1,000,000 events
ASOF_P99_TARGET_MS = 20.0

ANALYSIS_START = "<!-- readside-analysis:start (hand-written; kept when regenerated) -->"
ANALYSIS_END = "<!-- readside-analysis:end -->"
ANALYSIS_PLACEHOLDER = "_Not written yet: write the analysis of the latest read-side run here._"


def size_label(events: int) -> str:
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}m"
    if events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def is_readside(workload: str) -> bool:
    return workload.startswith(("rebuild_", "raw_scan_", "asof_", "knownat_"))


# --- targets: a copy of the cached log --------------------------------------------------------


@contextmanager
def sqlite_copy(events: int) -> Iterator[str]:
    """A throw-away copy of the cached SQLite log, migrated to the code's newest revision
    (a log cached under an older one lacks the read models' later indexes); yields its
    aiosqlite URL."""
    from sco_registry.db import migrate

    source = synthetic.cached_sqlite(events, log=log)
    folder = Path(tempfile.mkdtemp(prefix="bench-readside-"))
    try:
        shutil.copyfile(source, folder / "log.db")
        url = f"sqlite+aiosqlite:///{folder / 'log.db'}"
        asyncio.run(migrate(url))
        yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _copy_log(source_url: str, target_url: str) -> int:
    """The cached log's events, as they are (ids, data, metadata), into the migrated,
    empty log at `target_url`, in `append_batch` calls of APPEND_EVENTS."""
    from sco_registry.db import create_engine, migrate
    from sco_registry.store.base import AppendUnit, NewEvent, StreamAppend, StreamState
    from sco_registry.store.sql import SqlEventStore

    await migrate(target_url)
    source = SqlEventStore(create_engine(source_url))
    target = SqlEventStore(create_engine(target_url), clock=synthetic.simulated_clock())
    head = 0
    try:
        while True:
            page = await source.read_all(after=head, limit=synthetic.APPEND_EVENTS)
            if not page:
                return head
            # Log order kept: one batch per run of a stream's events, a new unit whenever a
            # stream comes back (a unit names each stream once).
            units: list[AppendUnit] = []
            batches: list[StreamAppend] = []
            named: set[str] = set()
            for e in page:
                new = NewEvent(
                    type=e.type, data=e.data, valid_time=e.valid_time,
                    schema_version=e.schema_version, metadata=e.metadata, sources=e.sources,
                    actor=e.actor, correlation_id=e.correlation_id, causation_id=e.causation_id,
                    event_id=e.event_id,
                )  # fmt: skip
                if batches and batches[-1].stream_id == e.stream_id:
                    cast(list[NewEvent], batches[-1].events).append(new)
                    continue
                if e.stream_id in named:
                    units.append(AppendUnit(batches))
                    batches, named = [], set()
                named.add(e.stream_id)
                batches.append(StreamAppend(e.stream_id, [new], StreamState.ANY))
            units.append(AppendUnit(batches))
            head = (await target.append_batch(units, expected_head=head))[-1].last_position
    finally:
        await source.close()
        await target.close()


@contextmanager
def pg_copy(events: int, pg: PgServer) -> Iterator[str]:
    """A fresh PostgreSQL database holding the cached log; yields its asyncpg URL."""
    source = synthetic.cached_sqlite(events, log=log)
    with pg.fresh_database("readside") as target:
        assert target.pg_url is not None
        url = target.pg_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        started = time.perf_counter()
        head = asyncio.run(_copy_log(f"sqlite+aiosqlite:///{source}", url))
        assert head == events, (head, events)
        log(f"  filled PostgreSQL with {head:,} events in {time.perf_counter() - started:.0f} s")
        yield url


# --- the ceiling: a raw scan of the log -------------------------------------------------------


def raw_scan(url: str) -> tuple[int, float]:
    """Every event in position order with its JSON columns decoded: (events, seconds)."""
    columns = (
        "position, event_id, stream_id, stream_version, event_type, schema_version, data, "
        "metadata, valid_time, recorded_at, actor, sources, correlation_id, causation_id, hash"
    )
    started = time.perf_counter()
    n = 0
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split(":///", 1)[1]) as conn:
            cursor = conn.execute(f"SELECT {columns} FROM events ORDER BY position")
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    json.loads(row[6])
                    json.loads(row[7])
                    json.loads(row[11])
                n += len(rows)
    else:
        n = asyncio.run(_pg_scan(plain_pg_url(url.replace("+asyncpg", "")), columns))
    return n, time.perf_counter() - started


async def _pg_scan(url: str, columns: str) -> int:
    import asyncpg

    n = 0
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():  # a cursor: pages of 2000, not the whole log at once
            query = f"SELECT {columns} FROM events ORDER BY position"
            async for row in conn.cursor(query, prefetch=2000):
                json.loads(row[6])
                json.loads(row[7])
                json.loads(row[11])
                n += 1
    finally:
        await conn.close()
    return n


# --- the rebuild, in a child process ----------------------------------------------------------


class _OutOfTime(Exception):
    pass


async def _child_rebuild(url: str, names: list[str] | None, budget: float) -> dict[str, Any]:
    from sco_registry.db import create_engine
    from sco_registry.projections.runner import ProjectionRunner, default_projections
    from sco_registry.store.sql import SqlEventStore

    store = SqlEventStore(create_engine(url))
    projections = [p for p in default_projections() if names is None or p.name in names]
    head = await store.head_position()
    started = time.perf_counter()
    # (position, seconds) at the last page committed: what a stopped rebuild reached.
    committed: list[tuple[int, float, dict[str, float]]] = [(0, 0.0, {})]

    class Budgeted(ProjectionRunner):
        """Stops the rebuild at the budget, before the next apply (the page's transaction
        is rolled back; the pages committed before it are what it reached)."""

        def _apply_timed(self, *args: Any, **kwargs: Any) -> None:
            if time.perf_counter() - started > budget:
                raise _OutOfTime()
            super()._apply_timed(*args, **kwargs)

    runner = Budgeted(store, projections)

    def progress(name: str, done: int, total: int) -> None:
        committed[0] = (done, time.perf_counter() - started, dict(runner.apply_seconds))

    finished = True
    try:
        await runner.rebuild(progress=progress)
        committed[0] = (head, time.perf_counter() - started, dict(runner.apply_seconds))
    except _OutOfTime:
        finished = False
    reached, elapsed, apply_seconds = committed[0]
    await store.close()
    return {
        "head": head,
        "reached": reached,
        "finished": finished,
        "seconds": round(elapsed, 2),
        "stopped_after_s": round(time.perf_counter() - started, 2),
        "batch_size": runner.batch_size,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "apply_seconds": {k: round(v, 2) for k, v in apply_seconds.items()},
    }


def rebuild_in_child(url: str, names: list[str] | None, budget: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.readside", "--child", url, "--budget", str(budget)]
    if names is not None:
        command += ["--models", ",".join(names)]
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=budget + 900, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"rebuild child failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- latency ----------------------------------------------------------------------------------


def _sync_engine(url: str) -> Any:
    import sqlalchemy as sa

    from sco_registry.db import create_engine, sqlite_sync_engine

    if url.startswith("sqlite"):
        return sqlite_sync_engine(create_engine(url))
    from sco_registry.db import _loads_json

    return sa.create_engine(url.replace("+asyncpg", "+psycopg"), json_deserializer=_loads_json)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(url: str, seed: int = synthetic.SEED) -> dict[str, dict[str, float]]:
    """Per read and time (`asof`: as known now, `knownat`: as known half-way through the
    log), p50 / p99 in ms and the overhead over the bare SQL."""
    import sqlalchemy as sa

    from sco_registry.domain.time import PartialDate
    from sco_registry.projections import audit, membership, timeline

    engine = _sync_engine(url)
    rng = random.Random(seed)
    captured: list[tuple[str, Any]] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def capture(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        captured.append((statement, params))

    out: dict[str, dict[str, float]] = {}
    with engine.connect() as conn:
        head = int(conn.execute(sa.text("SELECT max(position) FROM events")).scalar() or 0)
        meeting_ids = list(
            conn.execute(sa.text("SELECT DISTINCT record_id FROM meetings_rows")).scalars()
        )
        entities = list(
            conn.execute(sa.text("SELECT DISTINCT stream_id FROM audit_events")).scalars()
        )
        years = [
            int(y[:4])
            for y in conn.execute(
                sa.text("SELECT valid_from FROM meetings_rows WHERE valid_from IS NOT NULL")
            ).scalars()
        ]
        first, last = min(years), max(years)
        half = head // 2
        reads: dict[str, Callable[[int | None], Any]] = {
            "members": lambda k: membership.members_on(
                conn,
                synthetic.SCO,
                PartialDate.parse(f"{rng.randint(first, last):04d}-{rng.randint(1, 12):02d}-15"),
                k,
            ),
            "meeting": lambda k: _meeting(conn, rng.choice(meeting_ids), k),
            "timeline": lambda k: timeline.timeline(
                conn, from_=PartialDate.parse(f"{rng.randint(first, last):04d}"), known_at=k
            ),
            "audit": lambda k: audit.audit(conn, rng.choice(entities), k),
        }
        raw = conn.connection.driver_connection
        for read, function in reads.items():
            for when, known_at in (("asof", None), ("knownat", half)):
                times: list[float] = []
                bare: list[float] = []
                for i in range(SAMPLES + 10):
                    captured.clear()
                    started = time.perf_counter()
                    function(known_at)
                    took = time.perf_counter() - started
                    statements = list(captured)
                    started = time.perf_counter()
                    for statement, params in statements:
                        cursor = raw.cursor()
                        cursor.execute(statement, params)
                        cursor.fetchall()
                        cursor.close()
                    bare_took = time.perf_counter() - started
                    if i >= 10:  # the first ten warm the caches
                        times.append(took * 1000)
                        bare.append(bare_took * 1000)
                out[f"{when}_{read}"] = {
                    "p50": round(_percentile(times, 0.5), 3),
                    "p99": round(_percentile(times, 0.99), 3),
                    "bare_p50": round(_percentile(bare, 0.5), 3),
                    "overhead": round(statistics.median(times) / statistics.median(bare), 2),
                }
    engine.dispose()
    return out


def _meeting(conn: Any, meeting_id: str, known_at: int | None) -> Any:
    from sco_registry.projections import meetings

    return meetings.meeting(conn, meeting_id, known_at), meetings.documents_of_meeting(
        conn, meeting_id, known_at
    )


# --- one run ----------------------------------------------------------------------------------


def row(workload: str, backend: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "workload": workload,
        "backend": backend,
        "subject": SUBJECT,
        "value": round(value, 3 if unit == "ms" else 1),
        "unit": unit,
        **extra,
    }


def run(
    sizes: list[int],
    backends: list[str],
    latency_events: int | None,
    budget: float,
    pg_url: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The read-side workloads; returns (rows, settings for the machine section)."""
    rows: list[dict[str, Any]] = []
    info: dict[str, Any] = {
        "backends": backends,
        "sizes": sizes,
        "latency_events": latency_events,
        "budget_s": budget,
        "seed": synthetic.SEED,
        "generator_version": synthetic.GENERATOR_VERSION,
        "failures": [],
        "not_measured": [],
    }
    pg = PgServer(pg_url) if "postgresql" in backends else None
    for backend in backends:
        for events in sizes:
            label = size_label(events)
            log(f"read side, {backend}: rebuild of {events:,} events (budget {budget:.0f} s)")
            try:
                copy = sqlite_copy(events) if backend == "sqlite" else pg_copy(events, pg)  # type: ignore[arg-type]
                with copy as url:
                    n, seconds = raw_scan(url)
                    assert n == events, (n, events)
                    scan = n / seconds
                    rows.append(row(f"raw_scan_{label}", backend, scan, "events/s"))
                    result = rebuild_in_child(url, None, budget)
            except Exception as e:
                info["failures"].append(f"{backend}/rebuild_{label}: {e!r}")
                log(f"  FAILED: {e!r}")
                continue
            rate = result["reached"] / result["seconds"] if result["seconds"] else 0.0
            rows.append(
                row(
                    f"rebuild_{label}",
                    backend,
                    rate,
                    "events/s",
                    ratio_to_raw_scan=round(rate / scan, 4),
                    **result,
                )
            )
            rows.append(row(f"rebuild_{label}_peak_rss", backend, result["peak_rss_mb"], "MB"))
            log(
                f"  raw scan {scan:,.0f}/s; rebuild {rate:,.1f}/s "
                f"({'finished' if result['finished'] else 'NOT finished'}: "
                f"{result['reached']:,} of {events:,} in {result['seconds']:.0f} s), "
                f"peak RSS {result['peak_rss_mb']} MB; apply s {result['apply_seconds']}"
            )
        if latency_events:
            label = size_label(latency_events)
            log(f"read side, {backend}: latency on {latency_events:,} events")
            try:
                copy = (
                    sqlite_copy(latency_events)
                    if backend == "sqlite"
                    else pg_copy(latency_events, pg)  # type: ignore[arg-type]
                )
                with copy as url:
                    built = rebuild_in_child(url, list(LATENCY_MODELS), budget)
                    info.setdefault("latency_build", {})[backend] = built
                    found = latency(url) if built["finished"] else None
            except Exception as e:
                info["failures"].append(f"{backend}/latency_{label}: {e!r}")
                log(f"  FAILED: {e!r}")
                continue
            if found is None:  # not a failure of the harness: a measurement out of reach
                info["not_measured"].append(
                    f"{backend}/latency_{label}: the read models of the {label} log were not "
                    f"built within the budget of {budget:.0f} s ({built['reached']:,} events "
                    "reached)"
                )
                log(f"  not measured: {info['not_measured'][-1]}")
                continue
            for name, m in found.items():
                for q in ("p50", "p99"):
                    rows.append(row(f"{name}_{q}", backend, m[q], "ms", log_events=latency_events))
                rows.append(
                    row(
                        f"{name}_overhead",
                        backend,
                        m["overhead"],
                        "x",
                        bare_sql_p50_ms=m["bare_p50"],
                        log_events=latency_events,
                    )
                )
            log(
                "  "
                + ", ".join(f"{k} p99 {v['p99']} ms (x{v['overhead']})" for k, v in found.items())
            )
    return rows, info


# --- the report section -----------------------------------------------------------------------


def _index(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["workload"], r["backend"]): r for r in rows if is_readside(r["workload"])}


def _sizes(rows: list[dict[str, Any]]) -> list[int]:
    """The log sizes rebuilt, from the rebuild rows."""
    return sorted(
        {int(r["head"]) for r in rows if r["workload"].startswith("rebuild_") and "head" in r}
    )


def _targets(rows: list[dict[str, Any]]) -> list[str]:
    idx = _index(rows)
    lines = ["| Target | Measured | Verdict |", "|---|--:|---|"]

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "**not met**")

    for events in _sizes(rows):
        label = size_label(events)
        r = idx.get((f"rebuild_{label}", "sqlite"))
        ok = None if r is None else r["finished"] and r["value"] >= REBUILD_TARGET
        shown = (
            "—"
            if r is None
            else f"{r['value']:,.0f}/s" + ("" if r["finished"] else " (not finished)")
        )
        lines.append(
            f"| rebuild_{label}, SQLite >= {REBUILD_TARGET:,.0f} events/s | {shown} "
            f"| {verdict(ok)} |"
        )
        ok = None if r is None else r["finished"] and r["ratio_to_raw_scan"] >= RAW_RATIO_TARGET
        shown = "—" if r is None else f"{r['ratio_to_raw_scan']:.4f}x"
        lines.append(
            f"| rebuild_{label}, SQLite >= {RAW_RATIO_TARGET}x raw scan | {shown} | {verdict(ok)} |"
        )
    r = idx.get(("rebuild_1m_peak_rss", "sqlite"))
    ok = (
        None
        if r is None
        else (idx[("rebuild_1m", "sqlite")]["finished"] and r["value"] < RSS_TARGET_MB)
    )
    shown = "—" if r is None else f"{r['value']:,.0f} MB"
    lines.append(f"| rebuild_1m_peak_rss < {RSS_TARGET_MB:.0f} MB | {shown} | {verdict(ok)} |")
    for read in READS:
        for backend in ("sqlite", "postgresql"):
            r = idx.get((f"asof_{read}_p99", backend))
            ok = None if r is None else r["value"] < ASOF_P99_TARGET_MS
            size = "" if r is None else f" ({size_label(r['log_events'])} log)"
            shown = "—" if r is None else f"{r['value']:,.2f} ms{size}"
            lines.append(
                f"| asof_{read}_p99, {backend} < {ASOF_P99_TARGET_MS:.0f} ms | {shown} "
                f"| {verdict(ok)} |"
            )
    return lines


def render_section(machine: dict[str, Any], rows: list[dict[str, Any]], analysis: str) -> str:
    """The read side's section of docs/benchmarks.md (generated, but for the analysis)."""
    runs: list[dict[str, Any]] = (machine.get("readside") or {}).get("runs", [])
    idx = _index(rows)
    out = ["## The read side (issue 8)", ""]
    out.append(
        "`python -m bench.readside` (part of `make bench`; see its `--help` and "
        "`bench/readside.py`). Logs: `bench/synthetic.py` (seeded; the smaller log is a prefix "
        "of the larger); each rebuild in a child process, stopped at its time budget (then "
        "reported as not finished, with the rate over the prefix it reached). Runs:"
    )
    out.append("")
    for info in runs:
        out.append(
            f"- {', '.join(info.get('backends', []))}: `{info.get('command')}` (seed "
            f"{info.get('seed')}, generator version {info.get('generator_version')}, budget "
            f"{info.get('budget_s')} s, started {info.get('started')}, load average "
            f"{info.get('loadavg')})"
        )
    out.append("")
    if not runs:
        out += ["_Not run yet._", ""]
        return "\n".join(out)
    out += [
        "### Rebuild of all ten read models",
        "",
        "| Backend | Log | Raw scan (events/s) | Rebuild (events/s) | Ratio | Reached | Time (s) "
        "| Peak RSS (MB) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for backend in ("sqlite", "postgresql"):
        for events in _sizes(rows):
            label = size_label(events)
            r = idx.get((f"rebuild_{label}", backend))
            scan = idx.get((f"raw_scan_{label}", backend))
            if r is None:
                continue
            reached = f"{r['reached']:,} of {r['head']:,}" + ("" if r["finished"] else " (stopped)")
            out.append(
                f"| {backend} | {events:,} | {scan['value'] if scan else 0:,.0f} "
                f"| {r['value']:,.1f} "
                f"| {r['ratio_to_raw_scan']:.4f}x | {reached} | {r['seconds']:,.0f} "
                f"| {r['peak_rss_mb']:,.0f} |"
            )
    out.append("")
    out += [
        "Where the rebuild's time goes (each model's apply time in that rebuild; its events/s "
        "is the events reached over it):",
        "",
        "| Backend | Log | " + " | ".join(_model_names(rows)) + " |",
        "|---|--:|" + "--:|" * len(_model_names(rows)),
    ]
    for backend in ("sqlite", "postgresql"):
        for events in _sizes(rows):
            r = idx.get((f"rebuild_{size_label(events)}", backend))
            if r is None:
                continue
            cells = []
            for name in _model_names(rows):
                s = r["apply_seconds"].get(name)
                cells.append("—" if not s else f"{s:,.0f} s ({r['reached'] / s:,.0f}/s)")
            out.append(f"| {backend} | {events:,} | " + " | ".join(cells) + " |")
    out.append("")
    out += [
        "### Read latency",
        "",
        "| Backend | Log | Read | as of now p50 / p99 (ms) | known at half-way p50 / p99 (ms) "
        "| Overhead over its bare SQL (now / known-at) |",
        "|---|--:|---|--:|--:|--:|",
    ]
    for backend in ("sqlite", "postgresql"):
        for read in READS:
            a50, a99 = (
                idx.get((f"asof_{read}_p50", backend)),
                idx.get((f"asof_{read}_p99", backend)),
            )
            k50, k99 = (
                idx.get((f"knownat_{read}_p50", backend)),
                idx.get((f"knownat_{read}_p99", backend)),
            )
            ao, ko = (
                idx.get((f"asof_{read}_overhead", backend)),
                idx.get((f"knownat_{read}_overhead", backend)),
            )
            if not (a50 and a99 and k50 and k99 and ao and ko):
                continue
            out.append(
                f"| {backend} | {a50['log_events']:,} | {read} "
                f"| {a50['value']:.2f} / {a99['value']:.2f} "
                f"| {k50['value']:.2f} / {k99['value']:.2f} "
                f"| {ao['value']:.2f}x / {ko['value']:.2f}x |"
            )
    out.append("")
    failures = [
        f for info in runs for f in (*info.get("not_measured", []), *info.get("failures", []))
    ]
    if failures:
        out += ["Not measured:", ""]
        out += [f"- {f}" for f in failures]
        out.append("")
    out += ["### Targets", "", *_targets(rows), ""]
    out += ["### Analysis", "", ANALYSIS_START, analysis, ANALYSIS_END, ""]
    return "\n".join(out)


def _model_names(rows: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for r in rows:
        for name in r.get("apply_seconds", {}) if r["workload"].startswith("rebuild_") else ():
            if name not in names:
                names.append(name)
    return names


def read_analysis(doc: Path) -> str:
    from bench.report import read_marked

    return read_marked(doc, ANALYSIS_START, ANALYSIS_END, ANALYSIS_PLACEHOLDER)


# --- the command ------------------------------------------------------------------------------


def add_arguments(p: argparse.ArgumentParser, prefix: str = "") -> None:
    p.add_argument(
        f"--{prefix}sizes",
        default="100000,1000000",
        help="comma-separated log sizes to rebuild (100000,1000000)",
    )
    p.add_argument(
        f"--{prefix}latency-events",
        type=int,
        default=1_000_000,
        help="the log the latency is measured on (1000000; 0: none)",
    )
    p.add_argument(
        f"--{prefix}budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"seconds a rebuild may take before it is stopped ({DEFAULT_BUDGET:.0f})",
    )


def parse_sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.readside", description=__doc__.split("\n")[0])
    add_arguments(p)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument(
        "--pg-url",
        default=default_pg_url(),
    )
    p.add_argument("--out", type=Path, default=None, help="results JSON to merge the rows into")
    p.add_argument("--doc", type=Path, default=None, help="Markdown report to regenerate")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--models", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        names = None if args.models is None else args.models.split(",")
        print(json.dumps(asyncio.run(_child_rebuild(args.child, names, args.budget))))
        return 0
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows, info = run(
        parse_sizes(args.sizes), backends, args.latency_events or None, args.budget, args.pg_url
    )
    info["started"] = started
    info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    info["command"] = "python -m bench.readside " + " ".join(sys.argv[1:] if argv is None else argv)
    print(json.dumps(rows, indent=1))
    if args.out is not None:
        merge_results(args.out, rows, info)
        log(f"merged the read-side rows into {args.out}")
        if args.doc is not None:
            from bench import report

            data = json.loads(args.out.read_text())
            report.write_doc(args.doc, data["machine"], data["results"])
            log(f"wrote {args.doc}")
    return 1 if info["failures"] else 0


def merge_results(path: Path, rows: list[dict[str, Any]], info: dict[str, Any]) -> None:
    """Merge the read-side rows and settings into an existing results file (the log's
    benchmark rows and settings, and read-side rows this run did not measure, are kept)."""
    data = json.loads(path.read_text()) if path.is_file() else {"machine": {}, "results": []}
    # A run replaces the rows it measured (and an earlier run of the same shape).
    fresh = {(r["workload"], r["backend"]) for r in rows}
    data["results"] = [
        r for r in data["results"] if (r["workload"], r["backend"]) not in fresh
    ] + rows
    shape = ("backends", "sizes", "latency_events")
    runs = (data["machine"].get("readside") or {}).get("runs", [])
    runs = [i for i in runs if any(i.get(k) != info[k] for k in shape)] + [info]
    data["machine"]["readside"] = {"runs": runs}
    path.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
