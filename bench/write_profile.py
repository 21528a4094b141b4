"""Where one write's CPU goes (issue 9): `recordMeeting` commands handled in process on a
prepared log (`bench/api_bench.py --keep DIR` makes one: the 100k log with its read models
rebuilt), split by phase: the handler's decision (loading streams, facts, rules), the append
(SQL), each read model's inline apply, and the rest of the append's transaction (checkpoints,
commit). CPU time (`time.process_time`, all threads), mean per command.

`python -m bench.write_profile URL [--commands N] [--profile FILE] [--graphql] [--series K]`
`--series K` also prints the mean CPU per command of each block of K commands (and each
phase's), to show how a write's cost moves as the meetings of a year accumulate.
`--graphql` also runs the same command through the GraphQL mutation over ASGI (no HTTP
server), to give decode/validate and the response their share. Each run appends new
meetings to the log at URL: use a copy."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sco_registry.application import CommandContext, bus, handle
from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.domain.meetings import RecordMeeting
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.projections import runner

BODY = os.environ.get("SCO_BENCH_BODY", "body/heads_of_state_council")
_totals: defaultdict[str, float] = defaultdict(float)
# Per block of `--series` commands: each phase's CPU seconds (`_timed`), in order.
_blocks: list[defaultdict[str, float]] = []


@contextmanager
def _timed(name: str) -> Iterator[None]:
    started = time.process_time()
    try:
        yield
    finally:
        took = time.process_time() - started
        _totals[name] += took
        if _blocks:
            _blocks[-1][name] += took


def _instrument() -> None:
    """Time the handler, each model's inline apply and the whole append."""
    apply_buffered = runner.apply_buffered

    def timed_apply(conn: Any, projection: Any, tables: Any, events: Any, **kwargs: Any) -> Any:
        with _timed(f"apply {projection.name}"):
            return apply_buffered(conn, projection, tables, events, **kwargs)

    runner.apply_buffered = timed_apply  # type: ignore[assignment]

    apply_inline = runner.ProjectionRunner.apply_inline

    def timed_inline(self: Any, conn: Any, events: Any) -> None:
        with _timed("inline (all models, checkpoints)"):
            apply_inline(self, conn, events)

    runner.ProjectionRunner.apply_inline = timed_inline  # type: ignore[method-assign]

    from sco_registry.graphql import mutations

    async def timed_handle(command: Any, store: Any, ctx: Any) -> Any:
        with _timed("handle (total)"):
            return await handle(command, store, ctx)

    mutations.handle = timed_handle  # type: ignore[assignment]

    replay = bus._replay

    def timed_replay(*args: Any) -> Any:
        # The key looked for in the stream the bus read (the read itself is the
        # handler's read of that stream too: `loading.offered`; in "bus rest").
        with _timed("idempotency replay check"):
            return replay(*args)

    bus._replay = timed_replay

    for kind, decide in list(bus.HANDLERS.items()):

        def timed_decide(command: Any, store: Any, decide: Callable[..., Any] = decide) -> Any:
            async def run() -> Any:
                with _timed("handler (decide)"):
                    return await decide(command, store)

            return run()

        bus.HANDLERS[kind] = timed_decide


# Messages sent to the database (each a round trip: the driver waits for each answer), by
# counting the writes of asyncio's socket transports (asyncpg's; aiosqlite has none).
_sent = [0]


def _count_round_trips() -> None:
    from asyncio import selector_events

    transport = selector_events._SelectorSocketTransport
    write = transport.write

    def counted(self: Any, data: Any) -> None:
        _sent[0] += 1
        write(self, data)

    transport.write = counted  # type: ignore[method-assign]


def _report(commands: int) -> None:
    if _sent[0]:
        print(f"  {'round trips to the database':48s} {_sent[0] / commands:7.2f} per command")
    t = {k: v / commands * 1e3 for k, v in _totals.items()}
    models = sum(v for k, v in t.items() if k.startswith("apply "))
    inline = t.get("inline (all models, checkpoints)", 0.0)
    append = t.get("append (total, inline included)", 0.0)
    derived = {
        "= checkpoints (inline - models)": inline - models,
        "= append SQL, commit (append - inline)": append - inline,
        "= bus rest (handle - handler - replay - append)": t.get("handle (total)", 0.0)
        - t.get("handler (decide)", 0.0)
        - t.get("idempotency replay check", 0.0)
        - append,
    }
    for name, ms in [*sorted(t.items(), key=lambda kv: -kv[1]), *derived.items()]:
        print(f"  {name:48s} {ms:7.3f} ms")


def _report_series(size: int) -> None:
    """Each block's mean CPU per command: handle's, and its three largest phases'."""
    if not _blocks:
        return
    names = [k for k, _ in sorted(_blocks[0].items(), key=lambda kv: -kv[1])][:4]
    print(f"  by blocks of {size} commands (ms CPU per command): " + " | ".join(names))
    for i, block in enumerate(_blocks):
        cells = "  ".join(f"{block.get(n, 0.0) / size * 1e3:7.3f}" for n in names)
        print(f"    {i * size + 1:6d}-{(i + 1) * size:<6d} {cells}")


_serial = iter(range(1, 10**9))
# The meetings' dates: as `bench/api_client.py` gives them (300 a year, from 2700), or with
# --spread one a year (the rotation findings of a year are one scope: a write syncs them all).
SPREAD = False


def _command(tag: str) -> RecordMeeting:
    n = next(_serial)
    year = 3000 + n if SPREAD else 2700 + n // 300
    return RecordMeeting(
        meeting_id=f"meeting/bench/{tag}-{os.getpid()}-{n}",
        body_id=BODY,
        start_date=PartialDate.parse(f"{year:04d}-{1 + n % 12:02d}-15"),
        city="Astana",
        host_state="KZ",
        sources=(Citation("API benchmark", "https://example.org/bench"),),
    )


async def _handle_one(registry: Any, tag: str) -> None:
    command = _command(tag)
    ctx = CommandContext(
        actor="bench@profile",
        correlation_id=uuid.uuid4(),
        idempotency_key=f"bench@profile:{command.meeting_id}",
    )
    await handle(command, registry.store, ctx)


async def main(
    url: str, commands: int, profile: str | None, graphql: bool, series: int = 0
) -> None:
    tag = uuid.uuid4().hex[:6]
    async with open_registry(Settings(database_url=url)) as registry:
        for _ in range(5):  # warm: the kept folds, statement caches
            await _handle_one(registry, tag)
        _instrument()
        append_many = registry.store.append_many

        async def timed_append(*args: Any, **kwargs: Any) -> Any:
            with _timed("append (total, inline included)"):
                return await append_many(*args, **kwargs)

        registry.store.append_many = timed_append
        _count_round_trips()
        _totals.clear()
        _sent[0] = 0
        prof = cProfile.Profile() if profile else None
        started = time.process_time()
        wall = time.perf_counter()
        if prof:
            prof.enable()
        for i in range(commands):
            if series and i % series == 0:
                _blocks.append(defaultdict(float))
            with _timed("handle (total)"):
                await _handle_one(registry, tag)
        if prof:
            prof.disable()
        cpu = time.process_time() - started
        print(
            f"{url}: {commands} commands, {cpu / commands * 1e3:.2f} ms CPU each "
            f"({(time.perf_counter() - wall) / commands * 1e3:.2f} ms wall)"
        )
        _report(commands)
        _report_series(series)
        if prof and profile:
            prof.dump_stats(profile)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        if graphql:
            _blocks.clear()
            await _graphql(registry, commands, profile, series)


async def _graphql(registry: Any, commands: int, profile: str | None, series: int = 0) -> None:
    import httpx

    from sco_registry.app import create_app
    from sco_registry.graphql.auth import Role, issue_token

    token = issue_token(registry.settings, subject="bench@api", roles=[Role.WRITER])
    query = """mutation($input: RecordMeetingInput!, $key: String!) {
  recordMeeting(input: $input, idempotencyKey: $key) {
    __typename ... on MutationSuccess { position recordId } ... on MutationError { code message }
  } }"""
    app = create_app(registry)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def once() -> None:
            c = _command("gql")
            value = {
                "meetingId": c.meeting_id,
                "bodyId": BODY,
                "startDate": str(c.start_date),
                "city": "Astana",
                "hostState": "KZ",
                "sources": [{"title": "API benchmark", "url": "https://example.org/bench"}],
            }
            r = await client.post(
                "/graphql",
                json={"query": query, "variables": {"input": value, "key": c.meeting_id}},
                headers={"authorization": f"Bearer {token}"},
            )
            body = r.json()
            assert body["data"]["recordMeeting"]["__typename"] == "MutationSuccess", body

        for _ in range(3):
            await once()
        _totals.clear()
        _sent[0] = 0
        prof = cProfile.Profile() if profile else None
        started = time.process_time()
        if prof:
            prof.enable()
        for i in range(commands):
            if series and i % series == 0:
                _blocks.append(defaultdict(float))
            with _timed("request (total)"):
                await once()
        if prof:
            prof.disable()
        cpu = time.process_time() - started
        if prof and profile:
            prof.dump_stats(profile + ".graphql")
            pstats.Stats(profile + ".graphql").sort_stats("cumulative").print_stats(60)
        print(f"GraphQL over ASGI: {cpu / commands * 1e3:.2f} ms CPU per request; of which")
        _report(commands)
        _report_series(series)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--profile")
    parser.add_argument("--graphql", action="store_true")
    parser.add_argument("--spread", action="store_true", help="one meeting a year")
    parser.add_argument("--series", type=int, default=0, help="report by blocks of K commands")
    args = parser.parse_args()
    SPREAD = args.spread
    asyncio.run(main(args.url, args.commands, args.profile, args.graphql, args.series))
