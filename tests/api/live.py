"""A live server for the tests that need a real one (subscriptions over a WebSocket, the
fuzz run): uvicorn in a subprocess, on a throwaway SQLite database holding the bundled
history. `python -m tests.api.live PORT` runs it (settings from the environment) and prints
`ready` once it listens; the `live_server` fixture starts it and stops it by its PID."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class LiveServer:
    url: str  # http://127.0.0.1:PORT
    database_url: str

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws(self) -> str:
        return self.graphql.replace("http://", "ws://", 1)


async def _serve(port: int) -> None:
    from sco_registry.app import create_app
    from sco_registry.bootstrap import open_registry
    from sco_registry.config import load_settings
    from sco_registry.importer.bundled import load_bundled

    async with open_registry(load_settings(), migrate_first=True) as registry:
        summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
        assert summary.ok, summary.problems
        config = uvicorn.Config(
            create_app(registry),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="websockets-sansio",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.05)
        print("ready", flush=True)
        await task


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = tmp_path_factory.mktemp("live") / "live.db"
    url = f"sqlite+aiosqlite:///{database}"
    port = free_port()
    env = {
        **os.environ,
        "SCO_REGISTRY_DATABASE_URL": url,
        "SCO_REGISTRY_ENVIRONMENT": "development",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.api.live", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until ready (or the process ends)
        assert line.strip() == "ready", f"the live server did not start (exit {process.poll()})"
        yield LiveServer(f"http://127.0.0.1:{port}", url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
