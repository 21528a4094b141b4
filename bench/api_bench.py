"""The API benchmark (issue 9): GraphQL against a plain FastAPI JSON endpoint serving the same
data from the same read functions, on SQLite and on PostgreSQL, on the
100,000-event synthetic log (`bench/synthetic.py`'s cached one: copied, or loaded into
PostgreSQL as `bench/readside.py` loads it, then every read model rebuilt with
`sco-registry projections rebuild`), or with `--records N` on the bundled history plus N
generated records imported (small runs). Server and load generator each run in their own
process (`bench/api_server.py`; `bench/api_client.py`, a lean asyncio HTTP/1.1 client) on
the same 2 cores; the client reports its own CPU per request and the server's. Five operations:
four reads and one write (`recordMeeting`, with a writer's token).

Part of `python -m bench` (`make bench`; `--no-api` skips it), or alone: `make bench-api`, or
`python -m bench.api_bench [--events N | --records N] [--seconds S] [--windows K]
[--backends sqlite,postgresql] [--pg-url SERVER | --pg EMPTY_DB [--pg-ready]] [--keep DIR]`.
K open-loop windows of S seconds per operation and kind (default 3 of 8 s): the median
window's p50 and p99 are the figures, every window is in the results. PostgreSQL is a fresh
database on the server of `--pg-url` (dropped afterwards), or the empty database `--pg`
(kept; `--pg-ready` takes it as already prepared). `--keep DIR` keeps the prepared SQLite
database there and reuses it on the next run. The results are merged into
`bench/results.json` (`machine.api`; `--out`) and `docs/benchmarks.md` is regenerated from
it (`--doc`; its API section: `bench/api_report.py`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench import synthetic
from bench.history import write_history
from bench.targets import PgServer, default_pg_url

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


CLI = [sys.executable, "-m", "sco_registry.cli"]


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _rebuilt(url: str) -> int:
    """Migrate the log at `url` and rebuild every read model from it; its head position."""
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": url}
    subprocess.run([*CLI, "migrate"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([*CLI, "projections", "rebuild"], env=env, check=True, capture_output=True)
    _log(f"  rebuilt the read models in {time.perf_counter() - started:.0f} s")
    return _head(url)


def _head(url: str) -> int:
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": url}
    out = subprocess.run(
        [*CLI, "projections", "status"], env=env, check=True, capture_output=True, text=True
    ).stdout
    return max(int(x.split("head ")[1].split(",")[0]) for x in out.splitlines() if "head " in x)


def prepare_sqlite(events: int, target: Path) -> int:
    """The cached synthetic log of `events` copied to `target` (kept: reused as it is)."""
    if target.is_file():
        _log(f"reusing the prepared SQLite database {target}")
        return _head(f"sqlite+aiosqlite:///{target}")
    source = synthetic.cached_sqlite(events, log=_log)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    _log(f"sqlite: rebuilding the read models of {events:,} events")
    head = _rebuilt(f"sqlite+aiosqlite:///{partial}")
    partial.rename(target)
    return head


def prepare_pg(events: int, url: str) -> int:
    """The cached synthetic log loaded into the empty database `url` (as `bench/readside.py`
    loads it: same events, ids and data), then its read models rebuilt."""
    from bench.readside import _copy_log

    source = synthetic.cached_sqlite(events, log=_log)
    started = time.perf_counter()
    head = asyncio.run(_copy_log(f"sqlite+aiosqlite:///{source}", url))
    _log(f"postgresql: loaded {head:,} events in {time.perf_counter() - started:.0f} s")
    return _rebuilt(url)


def settle_pg(url: str) -> None:
    """What an operator does after a bulk load, before the database serves: VACUUM ANALYZE
    (no autovacuum of the rebuilt tables mid-run) and a CHECKPOINT (the load's and
    `CREATE DATABASE ... TEMPLATE`'s hundreds of MB of WAL flushed now: a checkpoint started
    by them ran 15-70 s, into the measurements)."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("VACUUM ANALYZE"))
                await conn.execute(sa.text("CHECKPOINT"))
        finally:
            await engine.dispose()

    started = time.perf_counter()
    asyncio.run(run())
    _log(f"  vacuumed, analyzed and checkpointed in {time.perf_counter() - started:.0f} s")


def _prepare(url: str, history: Path) -> int:
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": url}
    cli = CLI
    subprocess.run([*cli, "run", "--no-serve"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "import", "--no-progress", str(history)], env=env, check=True)
    out = subprocess.run(
        [*cli, "run", "--no-serve"], env=env, check=True, capture_output=True, text=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("events: "))
    return int(line.split()[1].rstrip(";"))


def _writer_token() -> str:
    from sco_registry.config import Settings
    from sco_registry.graphql.auth import Role, issue_token

    return issue_token(Settings(), subject="bench@api", roles=[Role.WRITER])


def _measure(url: str, seconds: float, operations: list[str], windows: int) -> dict[str, Any]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.api_server", url, str(port)])
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        _log(f"  measuring (server pid {server.pid})")
        out = subprocess.run(
            [
                *(sys.executable, "-m", "bench.api_client", base, str(seconds), *operations),
                *("--windows", str(windows)),
            ],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "SCO_BENCH_WRITER_TOKEN": _writer_token(),
                "SCO_BENCH_SERVER_PID": str(server.pid),  # its CPU per request measured too
            },
        ).stdout
        result: dict[str, Any] = json.loads(out)
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def add_arguments(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """The options `python -m bench` shares with this command (there prefixed `api-`)."""
    p.add_argument(
        f"--{prefix}events",
        type=int,
        default=100_000,
        help="the cached synthetic log's size (100000)",
    )
    p.add_argument(
        f"--{prefix}seconds", type=float, default=8.0, help="per operation, kind and mode (8)"
    )
    p.add_argument(
        f"--{prefix}windows",
        type=int,
        default=3,
        help="open-loop windows per operation and kind; the median window's figures (3)",
    )
    p.add_argument(f"--{prefix}operations", help="comma-separated operations (default: all five)")


def run(
    events: int,
    seconds: float,
    windows: int,
    backends: dict[str, str],
    *,
    operations: list[str] | None = None,
    records: int | None = None,
    pg_ready: bool = False,
) -> dict[str, Any]:
    """Measure every backend of `backends` (name: a SQLite file's path, or an empty
    PostgreSQL database's asyncpg URL); the results, as `bench/results.json` keeps them."""
    results: dict[str, Any] = {
        "command": "",
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_generator": (
            "asyncio client on uvloop speaking HTTP/1.1 itself (bench/api_client.py), in its"
            " own process, same 2 cores as the server"
        ),
        "clients_closed_loop": 50,
        "offered_rate_open_loop": 100,
        "seconds": seconds,
        "open_loop_windows": windows,
        "log": (
            f"bundled history + {records} generated records imported"
            if records is not None
            else f"synthetic-{events} (bench/synthetic.py, seed {synthetic.SEED})"
        ),
        "load_before": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        history = None if records is None else write_history(Path(tmp) / "s.json", records)
        for name, where in backends.items():
            if name == "sqlite":
                url = f"sqlite+aiosqlite:///{where}"
                if history is not None:
                    head = _head(url) if Path(where).is_file() else _prepare(url, history)
                else:
                    head = prepare_sqlite(events, Path(where))
            else:
                url = where
                if pg_ready:
                    head = _head(url)
                elif history is not None:
                    head = _prepare(url, history)
                else:
                    head = prepare_pg(events, url)
                settle_pg(url)
            _log(f"{name}: {head:,} events; measuring")
            results[name] = {
                "events": head,
                "operations": _measure(url, seconds, operations or [], windows),
            }
    results["load_after"] = round(os.getloadavg()[0], 2)
    return results


@contextlib.contextmanager
def databases(
    backends: list[str],
    pg_url: str,
    *,
    name: str,
    keep: Path | None = None,
    pg: str | None = None,
) -> Iterator[dict[str, str]]:
    """Where each backend of `backends` is measured: the SQLite file `name` in `keep` (kept,
    and reused by the next run) or in a temporary folder; the empty PostgreSQL database `pg`
    (kept) or else a fresh one on the server of `pg_url`, dropped afterwards."""
    with contextlib.ExitStack() as stack:
        where: dict[str, str] = {}
        if "sqlite" in backends:
            folder = keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            folder.mkdir(parents=True, exist_ok=True)
            where["sqlite"] = str(folder / name)
        if "postgresql" in backends:
            if pg is None:
                target = stack.enter_context(PgServer(pg_url).fresh_database("api"))
                assert target.pg_url is not None
                pg = target.pg_url.replace("postgresql://", "postgresql+asyncpg://", 1)
            where["postgresql"] = pg
        yield where


def merge_results(path: Path, api: dict[str, Any]) -> None:
    """The API run into an existing results file (`machine.api`; the rest kept)."""
    data = json.loads(path.read_text()) if path.is_file() else {"machine": {}, "results": []}
    data["machine"]["api"] = api
    path.write_text(json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__)
    add_arguments(parser)
    parser.add_argument(
        "--records", type=int, help="instead: the bundled history plus N records imported"
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument(
        "--pg-url",
        default=default_pg_url(),
        help="the PostgreSQL server a fresh database is made on (and dropped), unless --pg",
    )
    parser.add_argument("--pg", help="an empty PostgreSQL database to use and keep")
    parser.add_argument("--pg-ready", action="store_true", help="--pg is already prepared")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite database here")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"results JSON to merge into ({RESULTS})"
    )
    parser.add_argument(
        "--doc",
        type=Path,
        default=DOC,
        help=f"Markdown report to regenerate from --out ({DOC}); 'none' for none",
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    name = f"api-{args.records}r.db" if args.records is not None else f"api-{args.events}.db"
    with databases(backends, args.pg_url, name=name, keep=args.keep, pg=args.pg) as where:
        results = run(
            args.events,
            args.seconds,
            args.windows,
            where,
            operations=args.operations.split(",") if args.operations else None,
            records=args.records,
            pg_ready=args.pg_ready,
        )
    given = sys.argv[1:] if argv is None else argv
    results["command"] = " ".join(["python -m bench.api_bench", *given])
    print(json.dumps(results, indent=1))
    merge_results(args.out, results)
    _log(f"merged the API results into {args.out}")
    if str(args.doc) != "none":
        from bench import report

        data = json.loads(args.out.read_text())
        report.write_doc(args.doc, data["machine"], data["results"])
        _log(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
