"""The API benchmark (issue 9): GraphQL against a plain FastAPI JSON endpoint serving the same
data from the same read functions, on SQLite (and PostgreSQL when a URL is given), on the
100,000-event synthetic log (`bench/synthetic.py`'s cached one: copied, or loaded into
PostgreSQL as `bench/readside.py` loads it, then every read model rebuilt with
`sco-registry projections rebuild`), or with `--records N` on the bundled history plus N
generated records imported (small runs). Server and load generator each run in their own
process (`bench/api_server.py`; `bench/api_client.py`, a lean asyncio HTTP/1.1 client) on
the same 2 cores; the client reports its own CPU per request and the server's. Five operations:
four reads and one write (`recordMeeting`, with a writer's token).

`python -m bench.api_bench [--events N | --records N] [--seconds S] [--pg URL] [--keep DIR]`
writes `bench/api_results.json` and prints it. `--keep DIR` keeps the prepared SQLite
database there and reuses it on the next run (a rebuild of 100k events takes minutes);
`--pg-ready` takes the PostgreSQL database as already prepared. Not in `make bench` (its
report is another's file)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import synthetic
from bench.history import write_history

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "api_results.json"


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


def _measure(url: str, seconds: float, operations: list[str]) -> dict[str, Any]:
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
            [sys.executable, "-m", "bench.api_client", base, str(seconds), *operations],
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench")
    parser.add_argument(
        "--events", type=int, default=100_000, help="the cached synthetic log's size (100000)"
    )
    parser.add_argument(
        "--records", type=int, help="instead: the bundled history plus N records imported"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per operation and mode")
    parser.add_argument("--pg", help="an empty PostgreSQL database (postgresql+asyncpg://...)")
    parser.add_argument("--pg-ready", action="store_true", help="--pg is already prepared")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite database here")
    parser.add_argument("--operations", help="comma-separated operations (default: all five)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)
    operations = args.operations.split(",") if args.operations else []
    results: dict[str, Any] = {
        "load_generator": (
            "asyncio client on uvloop speaking HTTP/1.1 itself (bench/api_client.py), in its"
            " own process, same 2 cores as the server"
        ),
        "clients_closed_loop": 50,
        "offered_rate_open_loop": 100,
        "seconds": args.seconds,
        "log": (
            f"bundled history + {args.records} generated records imported"
            if args.records is not None
            else f"synthetic-{args.events} (bench/synthetic.py, seed {synthetic.SEED})"
        ),
        "load_before": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as tmp:
        backends: dict[str, str] = {}
        if not args.no_sqlite:
            folder = args.keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            name = (
                f"api-{args.records}r.db" if args.records is not None else f"api-{args.events}.db"
            )
            backends["sqlite"] = str(folder / name)
        if args.pg:
            backends["postgresql"] = args.pg
        history = (
            None if args.records is None else write_history(Path(tmp) / "s.json", args.records)
        )
        for name, where in backends.items():
            if name == "sqlite":
                url = f"sqlite+aiosqlite:///{where}"
                if history is not None:
                    events = _head(url) if Path(where).is_file() else _prepare(url, history)
                else:
                    events = prepare_sqlite(args.events, Path(where))
            else:
                url = where
                if args.pg_ready:
                    events = _head(url)
                elif history is not None:
                    events = _prepare(url, history)
                else:
                    events = prepare_pg(args.events, url)
                settle_pg(url)
            _log(f"{name}: {events:,} events; measuring")
            results[name] = {
                "events": events,
                "operations": _measure(url, args.seconds, operations),
            }
    results["load_after"] = os.getloadavg()[0]
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
