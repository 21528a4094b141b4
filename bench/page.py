"""The timeline page's first render with a large synthetic history (issue 10: "stays usable
with 1,000 meetings"). Measured, not tested: `python -m bench.page [--records N] [--runs K]`.

Builds an SQLite database with the bundled history and `bench/history.py`'s seeded file of
N records (2,500 records hold about 1,000 meetings), serves it (`sco-registry serve`, free
port), opens `/` in headless chromium (Debian's, through Playwright) K times and reports, for
each run, the time from navigation to the page saying it has drawn (its status line), how
many meetings the API holds, how many timeline items the page built, how many of them the
library put in the DOM (vis-timeline draws only the window's items) and how many buttons the
keyboard list holds. Timings depend on the machine: read them as an order of magnitude."""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.history import write_history

CHROMIUM = os.environ.get("SCO_REGISTRY_CHROMIUM", "/usr/bin/chromium")


def _cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sco_registry.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"sco-registry {' '.join(args)} failed: {done.stderr}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def measure(records: int, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="sco-page-bench-"))
    database = folder / "page.db"
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    _cli(["run", "--no-serve"], env)
    history = write_history(folder / "synthetic.json", records)
    _cli(["import", "--no-progress", str(history)], env)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sco_registry.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        meetings = httpx.post(
            f"{url}/graphql", json={"query": "{ meetings(first: 0) { totalCount } }"}
        ).json()["data"]["meetings"]["totalCount"]
        samples: list[dict[str, Any]] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(url)
                page.wait_for_function(
                    "document.querySelector('#status').classList.contains('ok')", timeout=120_000
                )
                samples.append(
                    page.evaluate(
                        """() => ({
                          drawn_ms: Math.round(performance.now()),
                          items: Number(
                            document.querySelector('#status').textContent.match(/(\\d+) items/)[1]
                          ),
                          in_dom: document.querySelectorAll('.vis-item').length,
                          buttons: document.querySelectorAll('.item-button').length,
                        })"""
                    )
                )
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "records": records,
        "meetings": meetings,
        "runs": samples,
        "median_drawn_ms": statistics.median(s["drawn_ms"] for s in samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.records, args.runs), indent=2))


if __name__ == "__main__":
    main()
