"""The API benchmark's server process: the registry's app (GraphQL at /graphql) with, beside
it, plain FastAPI JSON endpoints returning the same data from the same read functions (the
ceiling: no GraphQL), and one plain write (`POST /plain/record-meeting`: the writer's token
checked, then the application's `handle`, as the `recordMeeting` mutation does).
`python -m bench.api_server DATABASE_URL PORT`."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException
from starlette.routing import Mount

from sco_registry import ids
from sco_registry.app import create_app
from sco_registry.application import CommandContext, handle
from sco_registry.bootstrap import Registry, open_registry
from sco_registry.cli import event_loop_factory
from sco_registry.cli.serving import _server, freeze_startup_heap, warm_kept_models
from sco_registry.config import Settings
from sco_registry.domain.meetings import RecordMeeting
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation
from sco_registry.graphql import readers
from sco_registry.graphql.auth import AuthError, Role, TokenVerifier
from sco_registry.projections import meetings, membership, timeline


def _date(d: PartialDate | None) -> str | None:
    return None if d is None else str(d)


def add_plain(app: FastAPI, registry: Registry) -> None:
    read = registry.projections.read

    @app.get("/plain/members")
    async def members(as_of: str = "2005-01-01") -> list[dict[str, Any]]:
        when = PartialDate.parse(as_of)
        found = await read(lambda conn: membership.members_on(conn, "organization/sco", when))
        return [
            {"state": a.state, "status": str(a.status), "answer": a.answer.value} for a in found
        ]

    @app.get("/plain/meetings")
    async def meeting_page(first: int = 100) -> list[dict[str, Any]]:
        def work(conn: Any) -> list[dict[str, Any]]:
            # The read GraphQL's `meetings` makes: one page cut by the database.
            page = meetings.meetings_page(conn, limit=first)
            ids = [m.meeting_id for m in page]
            docs = readers.documents_of_meetings(conn, ids, None)
            codes = {m.host_state for m in page if m.host_state}
            names = {s.code: s.name for s in readers.states(conn) if s.code in codes}
            return [
                {
                    "id": m.meeting_id,
                    "city": m.city,
                    "startDate": _date(m.start_date),
                    "hostState": {"code": m.host_state, "name": names.get(m.host_state or "")},
                    "documents": [
                        {"id": d.document_id, "title": d.title, "sources": list(d.sources)}
                        for d in docs.get(m.meeting_id, [])
                    ],
                    "sources": list(m.sources),
                }
                for m in page
            ]

        return await read(work)

    @app.get("/plain/timeline")
    async def timeline_page(first: int = 100) -> list[dict[str, Any]]:
        found = await read(lambda conn: timeline.timeline(conn, limit=first))
        return [
            {"position": e.position, "kind": e.kind, "summary": e.summary, "entity": e.entity}
            for e in found
        ]

    @app.get("/plain/events")
    async def events_page(first: int = 100) -> list[dict[str, Any]]:
        found = await read(lambda conn: readers.log_events(conn, readers.LogFilter(), None, first))
        return [
            {
                "position": e.position,
                "type": e.type,
                "hash": e.hash,
                "previousHash": e.previous_hash,
            }
            for e in found
        ]


def add_plain_write(app: FastAPI, registry: Registry) -> None:
    verifier = TokenVerifier(registry.settings)

    @app.post("/plain/record-meeting")
    async def record_meeting(
        value: dict[str, Any], authorization: str | None = Header(default=None)
    ) -> dict[str, Any]:
        try:
            principal = verifier.from_header(authorization)
        except AuthError as e:
            raise HTTPException(401, e.message) from None
        if principal is None or not principal.has(Role.WRITER):
            raise HTTPException(401, "a writer's token is needed")
        command = RecordMeeting(
            meeting_id=value["meetingId"],
            body_id=value["bodyId"],
            start_date=PartialDate.parse(value["startDate"]),
            city=value.get("city"),
            host_state=value.get("hostState"),
            sources=tuple(Citation(s.get("title"), s.get("url")) for s in value["sources"]),
        )
        ctx = CommandContext(
            actor=principal.subject,
            correlation_id=ids.uuid4(),  # as the mutation's request id is made
            idempotency_key=f"{principal.subject}:{value['meetingId']}",
        )
        result = await handle(command, registry.store, ctx)
        return {"position": result.last_position, "recordId": command.meeting_id}


def bench_app(registry: Registry) -> FastAPI:
    """The registry's app with the plain endpoints beside GraphQL."""
    app = create_app(registry)
    add_plain(app, registry)
    add_plain_write(app, registry)
    # The page is mounted at `/`, last: routes added after it would never be reached.
    pages = [r for r in app.router.routes if isinstance(r, Mount)]
    for route in pages:
        app.router.routes.remove(route)
        app.router.routes.append(route)
    return app


async def serve(url: str, port: int) -> None:
    async with open_registry(Settings(database_url=url)) as registry:
        app = bench_app(registry)
        if os.environ.get("SCO_BENCH_GC_FREEZE", "1") == "1":
            # As `sco-registry serve` does (`freeze_startup_heap`): the heap built at
            # start-up moved out of the collector's generations, so a full collection no
            # longer walks it (members' p99 tail, docs/benchmarks.md). `=0` for the
            # comparison without it.
            await warm_kept_models(registry)
            freeze_startup_heap()
        # `SCO_BENCH_GC_THRESHOLD=a,b,c` for other collector thresholds than serving's, to compare.
        if os.environ.get("SCO_BENCH_GC_THRESHOLD"):
            gc.set_threshold(*(int(x) for x in os.environ["SCO_BENCH_GC_THRESHOLD"].split(",")))
        # Keep-alive longer than any pause of the client (uvicorn's default is 5 s: on a busy
        # machine an idle pooled connection closed meanwhile fails the next request).
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=120
        )
        pauses = _gc_pauses() if os.environ.get("SCO_BENCH_GC_LOG") == "1" else None
        # `_server`: shuts down on SIGTERM and returns (uvicorn's own re-raises the signal,
        # and the process would die before the collector's pauses are printed).
        await _server(config).serve()
        if pauses is not None:
            for generation, found in sorted(pauses.items()):
                found.sort()
                print(
                    f"gc generation {generation}: {len(found)} collections, total"
                    f" {sum(found) * 1000:.0f} ms, longest {found[-1] * 1000 if found else 0:.1f}"
                    f" ms, over 10 ms: {sum(1 for p in found if p > 0.01)}",
                    file=sys.stderr,
                )


def _gc_pauses() -> dict[int, list[float]]:
    """The collector's pauses by generation (seconds), recorded from now on."""
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    gc.callbacks.append(callback)
    return pauses


if __name__ == "__main__":
    # On the loop `sco-registry serve` runs on (uvloop); `SCO_BENCH_LOOP=asyncio` for
    # asyncio's own, to compare.
    factory = None if os.environ.get("SCO_BENCH_LOOP") == "asyncio" else event_loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(sys.argv[1], int(sys.argv[2])))
