"""The timeline page in a real headless browser: Debian's chromium (`/usr/bin/chromium`, or
`SCO_REGISTRY_CHROMIUM`) driven by Playwright for Python, against `sco-registry serve`
started as a subprocess on a free port.

Three databases are built once per session: the bundled history (`sco-registry run
--no-serve`), a copy of it with one correction recorded after it (the 2002 summit's city),
and an empty migrated one. Without a browser the tests skip with one line; under CI
(`CI=true`) that is a failure instead (`.ci/run` installs chromium with apt-get)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pg import run_in_thread

CHROMIUM = os.environ.get("SCO_REGISTRY_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
# Screenshots land here (a test artifact; `make screenshots` copies them into docs/).
ARTIFACTS = Path(os.environ.get("SCO_REGISTRY_ARTIFACTS", ROOT / "build" / "page-artifacts"))
CORRECTED_MEETING = "meeting/heads_of_state/2002"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"no browser at {CHROMIUM} (apt-get install chromium)"
        if _in_ci():
            pytest.fail(f"the browser tests must run in CI, but: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    return CHROMIUM


async def _prepare(path: Path, *, bundled: bool) -> None:
    """Create and migrate an SQLite database; load the bundled history into it if asked."""
    from sco_registry.bootstrap import open_registry
    from sco_registry.config import Settings
    from sco_registry.importer.bundled import load_bundled

    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}")
    async with open_registry(settings, migrate_first=True) as registry:
        if bundled:
            summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
            assert summary.ok, summary.problems


@pytest.fixture(scope="session")
def bundled_db(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "bundled.db"
    run_in_thread(_prepare(path, bundled=True))
    return path


@dataclass(frozen=True)
class Corrected:
    database: Path
    before: int  # the last log position before the correction


async def _correct(path: Path) -> int:
    from sco_registry.application.bus import handle
    from sco_registry.application.context import CommandContext
    from sco_registry.bootstrap import open_registry
    from sco_registry.config import Settings
    from sco_registry.domain.corrections import CorrectEvent
    from sco_registry.domain.values import Citation

    async with open_registry(Settings(database_url=f"sqlite+aiosqlite:///{path}")) as registry:
        store = registry.store
        (held, *_) = await store.read_stream(CORRECTED_MEETING)
        before = await store.head_position()
        await handle(
            CorrectEvent(
                stream_id=CORRECTED_MEETING,
                event_id=held.event_id,
                reason="the city's name as the Charter gives it",
                changes={"city": "Saint Petersburg"},
                sources=(Citation(title="Charter of the SCO, 2002"),),
            ),
            store,
            CommandContext(actor="test", correlation_id=uuid.uuid4()),
        )
        return before


@pytest.fixture(scope="session")
def corrected_db(bundled_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Corrected:
    path = tmp_path_factory.mktemp("page") / "corrected.db"
    shutil.copyfile(bundled_db, path)
    return Corrected(path, run_in_thread(_correct(path)))


@pytest.fixture(scope="session")
def empty_db(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "empty.db"
    run_in_thread(_prepare(path, bundled=False))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """`sco-registry serve` on a free port; `gql` asks its API directly (the tests' oracle)."""

    def __init__(self, database: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SCO_REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sco_registry.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.process.communicate()[0]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("the server never answered")

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
        ).json()
        assert "errors" not in body, body
        return body["data"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="session")
def server(chromium_path: str, bundled_db: Path) -> Iterator[Server]:
    s = Server(bundled_db)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def corrected_server(chromium_path: str, corrected_db: Corrected) -> Iterator[Server]:
    s = Server(corrected_db.database)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def empty_server(chromium_path: str, empty_db: Path) -> Iterator[Server]:
    s = Server(empty_db)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """Module-scoped, not session: Playwright's sync API runs an event loop on this thread
    while it is open, and every asyncio test after it would find a loop already running
    ("asyncio.run() cannot be called from a running event loop")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh desktop-sized page; failing page scripts fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.set_default_timeout(20_000)
    yield p
    context.close()
    assert not errors, errors


def loaded(page: Any, url: str) -> Any:
    """Open `url` and wait until the page says it has finished loading (or failed)."""
    page.goto(url)
    page.wait_for_function(
        "document.querySelector('#main').getAttribute('aria-busy') === 'false' && "
        "!document.querySelector('#status').classList.contains('loading')"
    )
    return page
