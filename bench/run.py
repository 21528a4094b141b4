"""The benchmark driver: build the plan, run every subject on every backend, then the read
side's benchmark (`bench/readside.py`) and the API's (`bench/api_bench.py`), write results.

Runs are interleaved (run 1 of each subject, then run 2, ...) with the subject order
rotated each run, so a burst of load from other work on a shared machine does not land on
one subject only. Each (subject, run) gets a fresh database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from bench import api_bench, readside, report
from bench.payloads import payload_size_stats
from bench.plan import W4_LOADS, W4_STREAM_LENGTH, Plan, build_plan
from bench.report import Measurement
from bench.subject import BenchError, Subject, check_count
from bench.targets import (
    POSTGRESQL,
    SQLITE,
    PgParts,
    PgServer,
    Target,
    default_pg_url,
    fresh_sqlite,
    plain_pg_url,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results.json"
DEFAULT_DOC = ROOT / "docs" / "benchmarks.md"
SEED = 2001
PACKAGES = (
    "sco-registry",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "eventsourcing",
    "psycopg",
    "psycopg-binary",
    "psycopg-pool",
    "alembic",
)

SubjectFactory = Callable[..., Subject]


def subject_factories() -> dict[str, SubjectFactory]:
    from bench.subject_eventsourcing import EventsourcingSubject
    from bench.subject_raw import raw_subject
    from bench.subject_sco import ScoRegistrySubject

    return {
        "sco_registry": ScoRegistrySubject,
        "eventsourcing": EventsourcingSubject,
        "raw_sql": raw_subject,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the event log against eventsourcing and raw SQL, the read "
        "side, and the API (SQLite and PostgreSQL); writes bench/results.json and "
        "docs/benchmarks.md.",
    )
    p.add_argument("--events", type=int, default=20_000, help="events per workload (20000)")
    p.add_argument("--runs", type=int, default=3, help="runs per subject; medians (3)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1,000 events, 1 run; writes no files unless --out/--doc are given",
    )
    p.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    p.add_argument(
        "--subjects", default="sco_registry,eventsourcing,raw_sql", help="comma-separated"
    )
    p.add_argument(
        "--pg-url",
        default=default_pg_url(),
        help="PostgreSQL server to create the bench databases on",
    )
    p.add_argument(
        "--sqlite-synchronous",
        default="match",
        choices=["match", "OFF", "NORMAL", "FULL", "EXTRA"],
        help="PRAGMA synchronous for eventsourcing and raw_sql on SQLite; 'match' (default) "
        "uses the level sco_registry's connections report",
    )
    p.add_argument(
        "--imports",
        default=None,
        help="comma-separated import workloads to run (import_1k,import_10k; --quick: "
        "import_1k); 'none' for none",
    )
    p.add_argument(
        "--readside",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the read side's benchmark (bench/readside.py; default: on, off with "
        "--quick)",
    )
    readside.add_arguments(p, "readside-")
    p.add_argument(
        "--api",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the API's benchmark (bench/api_bench.py: GraphQL against a plain "
        "endpoint over HTTP, 100,000 events; default: on, off with --quick)",
    )
    api_bench.add_arguments(p, "api-")
    p.add_argument("--out", type=Path, default=None, help=f"results JSON ({DEFAULT_OUT})")
    p.add_argument("--doc", type=Path, default=None, help=f"Markdown report ({DEFAULT_DOC})")
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.runs = 1_000, 1
    else:
        args.out = args.out or DEFAULT_OUT
        args.doc = args.doc or DEFAULT_DOC
    if args.readside is None:
        args.readside = not args.quick
    if args.api is None:
        args.api = not args.quick
    if args.imports is None:
        args.imports = "import_1k" if args.quick else ",".join(report.IMPORT_RECORDS)
    args.imports = [w.strip() for w in args.imports.split(",") if w.strip() and w.strip() != "none"]
    for w in args.imports:
        if w not in report.IMPORT_RECORDS:
            p.error(f"unknown import workload {w!r}")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.subjects = [s.strip() for s in args.subjects.split(",") if s.strip()]
    for b in args.backends:
        if b not in report.BACKENDS:
            p.error(f"unknown backend {b!r}")
    for s in args.subjects:
        if s not in report.SUBJECTS:
            p.error(f"unknown subject {s!r}")
    if args.runs < 1 or args.events < 100:
        p.error("--runs must be >= 1 and --events >= 100")
    return args


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def run_subject(
    subject: Subject, plan: Plan, results: dict[str, Measurement], label: str
) -> dict[str, Any]:
    """All workloads, in order, on one fresh database; returns the subject's settings."""
    subject.open()
    try:
        settings = subject.settings()
        n = plan.events

        elapsed = subject.w1(plan)
        results["W1"].runs.append(len(plan.w1) / elapsed)

        elapsed = subject.w2(plan)
        results["W2"].runs.append(sum(map(len, plan.w2_batches)) / elapsed)

        subject.setup_w4(plan)

        elapsed, read = subject.w3(plan)
        check_count(label, "W3", plan.log_size_before_w5, read)
        results["W3"].runs.append(read / elapsed)

        loads = []
        for _ in range(W4_LOADS):
            elapsed, loaded = subject.w4(plan)
            check_count(label, "W4", W4_STREAM_LENGTH, loaded)
            loads.append(elapsed * 1000)
        results["W4"].runs.append(report.median(loads))

        elapsed, conflicts = subject.w5(plan)
        results["W5"].runs.append(plan.w5_events / elapsed)
        results["W5"].conflicts.append(conflicts)

        check_count(label, "final log", plan.log_size_before_w5 + plan.w5_events, subject.count())
        blocked = getattr(subject, "longest_inline_ms", lambda: None)()
        if blocked is not None:  # the longest the store held the event loop, this run
            settings["loop_blocked_max_ms"] = blocked
        log(
            f"  {label}: "
            + ", ".join(
                f"{w} {m.runs[-1]:,.1f}{' ms' if m.unit == 'ms' else '/s'}"
                for w, m in results.items()
                if w not in report.IMPORT_RECORDS
            )
            + f" (W5 conflicts {conflicts}; N={n})"
        )
        return settings
    finally:
        subject.close()


def run_import(
    subject: Subject, workload: str, path: Path, results: dict[str, Measurement], label: str
) -> None:
    """One import workload on one fresh database (sco_registry only)."""
    from bench.subject_sco import ScoRegistrySubject

    assert isinstance(subject, ScoRegistrySubject)
    subject.open()
    try:
        elapsed, records = subject.import_history(path)
        check_count(label, workload, report.IMPORT_RECORDS[workload], records)
        results[workload].runs.append(records / elapsed)
        blocked = subject.longest_inline_ms()
        log(
            f"  {label}: {workload} {records / elapsed:,.1f} records/s ({elapsed:.2f} s"
            + ("" if blocked is None else f"; loop blocked at most {blocked} ms")
            + ")"
        )
    finally:
        subject.close()


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the store's sources differ from it."""

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    store_paths = ["src/sco_registry/store", "src/sco_registry/db.py", "migrations"]
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "store_last_commit": git("log", "-1", "--format=%h %s", "--", *store_paths),
        "store_uncommitted_changes": bool(git("status", "--porcelain", "--", *store_paths)),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def targets_for(
    backend: str, pg: PgServer | None
) -> Callable[[str], AbstractContextManager[Target]]:
    if backend == SQLITE:
        return fresh_sqlite
    assert pg is not None
    return pg.fresh_database


def probe_sqlite_synchronous(factories: dict[str, SubjectFactory]) -> str:
    """The PRAGMA synchronous level sco_registry runs SQLite with (FULL if unavailable)."""
    from bench.subject_sco import ScoRegistrySubject

    with fresh_sqlite("probe") as target:
        subject = factories["sco_registry"](target, sqlite_synchronous="FULL")
        assert isinstance(subject, ScoRegistrySubject)
        subject.open()
        try:
            return subject.sqlite_synchronous_level()
        finally:
            subject.close()


def rotated(items: list[str], by: int) -> Iterator[str]:
    k = by % len(items)
    yield from items[k:] + items[:k]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    factories = subject_factories()
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()

    sync_level = args.sqlite_synchronous
    if SQLITE in args.backends and sync_level == "match":
        try:
            sync_level = probe_sqlite_synchronous(factories)
        except Exception as e:  # the store cannot open: fall back to SQLite's default
            log(f"could not read sco_registry's PRAGMA synchronous ({e!r}); using FULL")
            sync_level = "FULL"

    pg: PgServer | None = None
    machine: dict[str, Any] = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "packages": package_versions(),
        "git": git_state(),
    }
    if SQLITE in args.backends:
        machine["sqlite"] = {
            "version": sqlite3.sqlite_version,
            "synchronous_applied_to_others": sync_level,
            "subjects": {},
        }
    if POSTGRESQL in args.backends:
        pg = PgServer(args.pg_url)
        parts = PgParts.parse(plain_pg_url(args.pg_url))
        machine["postgresql"] = {
            "host": f"{parts.host}:{parts.port}",
            "server": pg.settings(),
            "subjects": {},
        }

    log(
        f"building the plan: {args.events} events per workload, {args.runs} run(s), "
        f"backends {args.backends}, subjects {args.subjects}"
    )
    plan = build_plan(args.events, SEED)
    # The plan holds ~20 objects per event (0.4M at the default size). Without this, every
    # full collection that a subject's allocations trigger walks the harness's data too:
    # measured, it halved sco_registry's W3 at 20,000 events. Frozen objects are skipped.
    gc.collect()
    gc.freeze()
    sizes = payload_size_stats([spec for _, spec in plan.w1])
    machine["run"] = {
        "events": args.events,
        "runs": args.runs,
        "seed": SEED,
        "started": started.isoformat(timespec="seconds"),
        "payload_bytes": sizes,
        "argv": sys.argv[1:] if argv is None else argv,
    }

    histories: dict[str, Path] = {}
    if args.imports and "sco_registry" in args.subjects:
        from bench.history import write_history

        folder = Path(tempfile.mkdtemp(prefix="sco-bench-history-"))
        for w in args.imports:
            histories[w] = write_history(folder / f"{w}.json", report.IMPORT_RECORDS[w], SEED)
        machine["run"]["imports"] = {w: report.IMPORT_RECORDS[w] for w in args.imports}

    measurements: dict[tuple[str, str], dict[str, Measurement]] = {}
    failures: list[str] = []
    for backend in args.backends:
        fresh = targets_for(backend, pg)
        for run in range(args.runs):
            log(f"{backend}: run {run + 1}/{args.runs}")
            for name in rotated(args.subjects, run):
                per = measurements.setdefault(
                    (backend, name),
                    {w: Measurement(w, backend, name) for w in report.WORKLOADS},
                )
                label = f"{backend}/{name}/run{run + 1}"
                try:
                    with fresh(name) as target:
                        subject = factories[name](target, sqlite_synchronous=sync_level)
                        settings = run_subject(subject, plan, per, label)
                    before = machine[backend]["subjects"].get(name, {})
                    if "loop_blocked_max_ms" in before and "loop_blocked_max_ms" in settings:
                        settings["loop_blocked_max_ms"] = max(
                            before["loop_blocked_max_ms"], settings["loop_blocked_max_ms"]
                        )
                    machine[backend]["subjects"][name] = settings
                except (BenchError, Exception) as e:
                    failures.append(f"{label}: {e!r}")
                    log(f"  {label} FAILED: {e!r}")
                    traceback.print_exc()
            for w, path in histories.items():
                per = measurements.setdefault(
                    (backend, "sco_registry"),
                    {w: Measurement(w, backend, "sco_registry") for w in report.WORKLOADS},
                )
                label = f"{backend}/sco_registry/run{run + 1}"
                try:
                    with fresh("sco_registry") as target:
                        subject = factories["sco_registry"](target, sqlite_synchronous=sync_level)
                        run_import(subject, w, path, per, label)
                except (BenchError, Exception) as e:
                    failures.append(f"{label}/{w}: {e!r}")
                    log(f"  {label}/{w} FAILED: {e!r}")
                    traceback.print_exc()

    rows = [
        m.row()
        for backend in report.BACKENDS
        for name in report.SUBJECTS
        for m in measurements.get((backend, name), {}).values()
        if m.runs and len(m.runs) == args.runs
    ]
    if args.readside:  # the read side (issue 8): rebuilds and read latency
        found, info = readside.run(
            readside.parse_sizes(args.readside_sizes),
            [b for b in args.backends if b in report.BACKENDS],
            args.readside_latency_events or None,
            args.readside_budget,
            args.pg_url,
        )
        info["command"] = "python -m bench " + " ".join(machine["run"]["argv"])
        info["started"] = started.isoformat(timespec="seconds")
        info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
        rows += found
        machine["readside"] = {"runs": [info]}
        failures += info["failures"]
    if args.api:  # the API (issue 9): GraphQL against a plain endpoint, over HTTP
        log("the API's benchmark")
        try:
            name = f"api-{args.api_events}.db"
            with api_bench.databases(args.backends, args.pg_url, name=name) as where:
                api = api_bench.run(
                    args.api_events,
                    args.api_seconds,
                    args.api_windows,
                    where,
                    operations=args.api_operations.split(",") if args.api_operations else None,
                )
            api["command"] = "python -m bench " + " ".join(machine["run"]["argv"])
            machine["api"] = api
        except Exception as e:
            failures.append(f"api: {e!r}")
            log(f"  the API's benchmark FAILED: {e!r}")
            traceback.print_exc()
    elif args.out is not None and args.out.is_file():  # the last API run's results kept
        kept = json.loads(args.out.read_text()).get("machine", {}).get("api")
        if kept:
            machine["api"] = kept
    machine["run"]["duration_s"] = round(time.perf_counter() - t0, 1)
    machine["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if failures:
        machine["run"]["failures"] = failures

    print()
    print(report.results_tables(rows))
    print(report.targets_table(rows))
    if args.out is not None:
        report.write_results(args.out, machine, rows)
        log(f"wrote {args.out}")
    if args.doc is not None:
        report.write_doc(args.doc, machine, rows)
        log(f"wrote {args.doc}")
    if failures:
        log(f"{len(failures)} failure(s):\n  " + "\n  ".join(failures))
        return 1
    return 0
