"""The timeline page's first render with a large synthetic history (issue 10: "stays usable
with 1,000 meetings"). Measured, not tested: `python -m bench.page [--records N] [--runs K]
[--import-mode rebuild|inline] [--no-documents]`.

Builds an SQLite database with the bundled history and `bench/history.py`'s seeded file of
N records (by default 1,000 meetings' worth: 2,500 records, or 1,500 with `--no-documents`),
serves it (`sco-registry serve`, free port), opens `/` in headless chromium (Debian's,
through Playwright) K times and reports, for each run, the time from navigation to the page
saying it has drawn (its status line) and to the library's first drawn cluster or meeting,
how many meetings the API holds, how many timeline items the page built, how many elements
are in the DOM (vis-timeline draws only the window's items; clustered ones as one box per
cluster), the clusters drawn and the meetings they hold, and the keyboard list's buttons.

The history is imported one of two ways (`--import-mode`):

* `rebuild` (default): through the importer on an event store with no read model attached
  (the same command handlers, checks and log as `sco-registry import`), then every read model
  rebuilt from the log at once (`ProjectionRunner.rebuild`, as `sco-registry projections
  rebuild` does); the result is the database an inline import gives (the runner's rebuild =
  inline contract). The import's and the rebuild's seconds are reported.
* `inline`: `sco-registry import`, the read models applied in every append.

Either way the compliance model re-evaluates the norms over every meeting recorded for each
meeting or document applied, so building the database grows with the square of their number
(docs/benchmarks.md, issue 10); `--no-documents` halves what it re-evaluates. Timings depend
on the machine: read them as an order of magnitude."""

from __future__ import annotations

import argparse
import asyncio
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


# In the page before its own script: the time its status line says it has drawn.
_STATUS_OK = """
new MutationObserver((changes, observer) => {
  const status = document.querySelector('#status');
  if (status && status.classList.contains('ok')) {
    window.__statusOkMs = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['class']});
"""

# Polled each animation frame: the time the library has shown itself (it hides its root
# until its first window is set) with a cluster or a meeting drawn in the window.
_DRAWN = """() => {
  const root = document.querySelector('#timeline .vis-timeline');
  if (!root || !window.__statusOkMs) return false;
  if (getComputedStyle(root).visibility !== 'visible') return false;
  const drawn = [...document.querySelectorAll('.vis-item.vis-cluster, .vis-item.vis-box.meeting')]
    .some((e) => e.getBoundingClientRect().width > 0);
  return drawn ? performance.now() : false;
}"""

_SAMPLE = """() => {
  const clusters = [...document.querySelectorAll('.vis-item.vis-cluster')];
  return {
    status_ok_ms: Math.round(window.__statusOkMs),
    // When the last GraphQL answer of the load had arrived: the rest is building and drawing.
    data_ms: Math.round(Math.max(...performance.getEntriesByType('resource')
      .filter((e) => e.name.endsWith('/graphql') && e.responseEnd <= window.__statusOkMs)
      .map((e) => e.responseEnd))),
    graphql_requests: performance.getEntriesByType('resource')
      .filter((e) => e.name.endsWith('/graphql')).length,
    items: Number(document.querySelector('#status').textContent.match(/(\\d+) items/)[1]),
    dom_elements: document.querySelectorAll('*').length,
    timeline_elements: document.querySelectorAll('#timeline *').length,
    vis_items: document.querySelectorAll('.vis-item').length,
    clusters: clusters.length,
    meetings_in_clusters: clusters.reduce((n, e) => n + Number(e.textContent.trim() || 0), 0),
    meeting_boxes: document.querySelectorAll('.vis-item.vis-box.meeting').length,
    buttons: document.querySelectorAll('.item-button').length,
  };
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _import_then_rebuild(url: str, history: Path) -> dict[str, float]:
    """The history through the importer on a store with no projector attached, then every
    read model rebuilt from the log: seconds of each step."""
    from sco_registry.bootstrap import scratch_stores
    from sco_registry.db import create_engine
    from sco_registry.importer.load import import_files
    from sco_registry.projections.runner import ProjectionRunner, default_projections
    from sco_registry.store.sql import SqlEventStore

    store = SqlEventStore(create_engine(url))
    try:
        started = time.perf_counter()
        summary = await import_files(
            [history], store, actor="bench", scratch_store=scratch_stores()
        )
        if not summary.ok:
            raise SystemExit(f"the synthetic history did not import: {summary.problems[:3]}")
        imported = time.perf_counter()
        await ProjectionRunner(store, default_projections()).rebuild()
        return {
            "import_s": round(imported - started, 1),
            "rebuild_s": round(time.perf_counter() - imported, 1),
        }
    finally:
        await store.close()


def measure(
    records: int, runs: int, import_mode: str = "rebuild", documents: bool = True
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="sco-page-bench-"))
    database = folder / "page.db"
    url = f"sqlite+aiosqlite:///{database}"
    env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": url}
    _cli(["run", "--no-serve"], env)
    history = write_history(folder / "synthetic.json", records, documents=documents)
    if import_mode == "rebuild":
        steps = asyncio.run(_import_then_rebuild(url, history))
    else:
        started = time.perf_counter()
        _cli(["import", "--no-progress", str(history)], env)
        steps = {"import_s": round(time.perf_counter() - started, 1)}
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
                page.add_init_script(_STATUS_OK)
                page.goto(url)
                drawn_ms = page.wait_for_function(_DRAWN, timeout=300_000).json_value()
                sample: dict[str, Any] = page.evaluate(_SAMPLE)
                samples.append({"drawn_ms": round(drawn_ms), **sample})
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "records": records,
        "documents": documents,
        "import_mode": import_mode,
        **steps,
        "meetings": meetings,
        "runs": samples,
        "median_data_ms": statistics.median(s["data_ms"] for s in samples),
        "median_status_ok_ms": statistics.median(s["status_ok_ms"] for s in samples),
        "median_drawn_ms": statistics.median(s["drawn_ms"] for s in samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        type=int,
        default=None,
        help="records of the synthetic file (default: 1,000 meetings' worth, 2,500 records, "
        "1,500 with --no-documents)",
    )
    parser.add_argument(
        "--no-documents",
        action="store_true",
        help="a synthetic file without documents (bench/history.py documents=False): the "
        "same meetings in fewer records, imported in a fraction of the time",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--import-mode",
        choices=("rebuild", "inline"),
        default="rebuild",
        help="rebuild: import with no read model attached, then rebuild them all (default); "
        "inline: `sco-registry import`, read models applied in every append (slow)",
    )
    args = parser.parse_args()
    documents = not args.no_documents
    records = args.records or (2_500 if documents else 1_500)
    print(json.dumps(measure(records, args.runs, args.import_mode, documents), indent=2))


if __name__ == "__main__":
    main()
