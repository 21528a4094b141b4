"""The API benchmark (issue 9): GraphQL against a plain FastAPI JSON endpoint serving the same
data from the same read functions, on SQLite (and PostgreSQL when a URL is given), with a
synthetic history imported after the bundled one. Server and load generator each run in
their own process (`bench/api_server.py`, `bench/api_client.py`) on the same 2 cores.

`python -m bench.api_bench [--records N] [--seconds S] [--pg URL]` writes
`bench/api_results.json` and prints it. Not in `make bench` (its report is another's file)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.history import write_history

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "api_results.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _prepare(url: str, history: Path) -> int:
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": url}
    cli = [sys.executable, "-m", "sco_registry.cli"]
    subprocess.run([*cli, "run", "--no-serve"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "import", "--no-progress", str(history)], env=env, check=True)
    out = subprocess.run(
        [*cli, "run", "--no-serve"], env=env, check=True, capture_output=True, text=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("events: "))
    return int(line.split()[1].rstrip(";"))


def _measure(url: str, seconds: float) -> dict[str, Any]:
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
        out = subprocess.run(
            [sys.executable, "-m", "bench.api_client", base, str(seconds)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        result: dict[str, Any] = json.loads(out)
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench")
    parser.add_argument("--records", type=int, default=1000, help="synthetic records imported")
    parser.add_argument("--seconds", type=float, default=5.0, help="per operation and mode")
    parser.add_argument("--pg", help="an empty PostgreSQL database (postgresql+asyncpg://...)")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "load_generator": "asyncio httpx client in its own process, same 2 cores as the server",
        "clients_closed_loop": 50,
        "offered_rate_open_loop": 100,
        "seconds": args.seconds,
        "records": args.records,
    }
    with tempfile.TemporaryDirectory() as tmp:
        history = write_history(Path(tmp) / "synthetic.json", args.records)
        backends = {"sqlite": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"}
        if args.pg:
            backends["postgresql"] = args.pg
        for name, url in backends.items():
            events = _prepare(url, history)
            results[name] = {"events": events, "operations": _measure(url, args.seconds)}
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
