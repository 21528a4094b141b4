"""The API benchmark's load generator (`bench/api_client.py`) speaks HTTP/1.1 itself: its
responses are read whole (by Content-Length, or chunk by chunk), connections are kept and
reused, a failed answer stops the run, and the open loop times each request from its
scheduled start. Against a raw asyncio server here, and once against the real app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bench import api_client
from bench.api_client import BenchError, Pool, open_loop, request_bytes

BODY = b'{"data": {"x": 1}}' * 500  # 9 KB: more than one read


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers each request on the connection by its path: /length, /chunked, /fail."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            break
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
        path = head.split(b" ")[1]
        if path == b"/chunked":
            parts = [BODY[:4000], BODY[4000:]]
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
            )
        elif path == b"/fail":
            writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
        await writer.drain()
    writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[int]]]:
    connections: list[int] = []

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await _answer(reader, writer)

    srv = await asyncio.start_server(counted, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", connections
    srv.close()
    await srv.wait_closed()


async def test_bodies_are_read_whole_by_length_and_by_chunks(
    server: tuple[str, list[int]],
) -> None:
    base, connections = server
    pool = Pool(base)
    try:
        for path in ("/length", "/chunked", "/length", "/chunked"):
            status, body = await pool.send(request_bytes("GET", path))
            assert (status, body) == (200, BODY)
        # One connection, kept and reused for every request (the control: two at once open
        # a second one).
        assert pool.opened == len(connections) == 1
        await asyncio.gather(*(pool.send(request_bytes("GET", "/length")) for _ in range(2)))
        assert pool.opened == len(connections) == 2
    finally:
        pool.close()


async def test_a_failed_answer_stops_the_run(server: tuple[str, list[int]]) -> None:
    base, _ = server
    pool = Pool(base)
    try:
        once = api_client._requester(pool, None, "/fail")
        with pytest.raises(BenchError, match="boom"):
            await once()
        await api_client._requester(pool, None, "/length")()  # the control: this one passes
    finally:
        pool.close()


async def test_the_open_loop_times_from_the_scheduled_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api_client, "RATE", 50.0)

    async def stalled_once() -> None:
        # The first request blocks the client's loop for 200 ms (as a pause of the client
        # would): the requests due meanwhile start late, and that lateness is in their times.
        if not calls:
            time.sleep(0.2)  # noqa: ASYNC251 (the stall is the point)
        calls.append(1)

    calls: list[int] = []
    stalled = await open_loop(stalled_once, 1.0)
    calls.clear()

    async def prompt_once() -> None:
        calls.append(1)

    calls.append(1)  # no stall this time (the control)
    prompt = await open_loop(prompt_once, 1.0)
    assert stalled["client_late_max_ms"] >= 150 and stalled["p99_ms"] >= 150
    assert prompt["p99_ms"] < 100


async def test_against_the_bench_server_over_uvicorn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client's requests (a read and a write, GraphQL and plain) are ones the benchmark's
    server answers with success, over a real socket."""
    import uvicorn

    from bench.api_bench import _writer_token
    from bench.api_server import bench_app
    from sco_registry.bootstrap import open_registry
    from sco_registry.config import Settings
    from sco_registry.importer.bundled import load_bundled

    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    monkeypatch.setenv("SCO_BENCH_WRITER_TOKEN", _writer_token())
    async with open_registry(Settings(database_url=url), migrate_first=True) as registry:
        assert (await load_bundled(registry.store, scratch_store=registry.scratch_store)).ok
        config = uvicorn.Config(bench_app(registry), host="127.0.0.1", port=0, log_level="error")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        pool = Pool(f"http://127.0.0.1:{port}")
        try:
            head = await registry.store.head_position()
            for name in ("members_as_of", api_client.WRITE):
                document, path = api_client.OPERATIONS[name]
                for graphql in (document, None):
                    once = api_client._requester(
                        pool, graphql, path, write=name == api_client.WRITE
                    )
                    await once()
            assert await registry.store.head_position() > head  # the two writes appended
            bad = api_client._requester(pool, "{ noSuchField }", "/graphql")
            with pytest.raises(BenchError, match="noSuchField"):  # the control
                await bad()
        finally:
            pool.close()
            server.should_exit = True
            await serving


async def test_windows_alternate_kinds_and_the_median_window_is_the_figure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stall in one window of one kind shows in that window (and the worst), not in the
    median window's p99; stalls in two of three windows do (the control). Kinds alternate."""
    monkeypatch.setattr(api_client, "RATE", 50.0)
    order: list[str] = []  # the kind of each window, in the order run

    def sender(kind: str, stalled: set[int]) -> Callable[[], Awaitable[None]]:
        done: set[int] = set()

        async def once() -> None:
            window = order.count(kind) - 1
            if window in stalled and window not in done:  # once, early in the window
                done.add(window)
                time.sleep(0.2)  # noqa: ASYNC251 (the stall is the point)

        return once

    real = api_client.open_loop

    async def recording(
        once: Callable[[], Awaitable[None]], seconds: float, keep: list[float] | None = None
    ) -> dict[str, Any]:
        order.append(kind_of[once])
        return await real(once, seconds, keep=keep)

    monkeypatch.setattr(api_client, "open_loop", recording)
    for stalled, spoiled in (({1}, False), ({0, 2}, True)):
        order.clear()
        senders = {"graphql": sender("graphql", stalled), "plain": sender("plain", set())}
        kind_of = {once: kind for kind, once in senders.items()}
        found = await api_client.windowed(senders, 0.5, 3)
        assert order == ["graphql", "plain"] * 3
        g, p = found["graphql"], found["plain"]
        assert len(g["windows"]) == 3 and g["sent"] == 75
        assert [w["p99_ms"] >= 150 for w in g["windows"]] == [i in stalled for i in range(3)]
        assert g["p99_worst_window_ms"] >= 150 and p["p99_worst_window_ms"] < 100
        assert (g["p99_ms"] >= 150) is spoiled
        assert 0 <= g["windows"][0]["machine_busy_pct"] <= 100
