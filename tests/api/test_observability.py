"""Observability (issue 11, section 5): /metrics moves after an append and a query, each app
has its own metrics, projection lag in positions and seconds, request and correlation ids in
the JSON logs, /readyz on pending migrations and on lag."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import structlog
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Connection

from sco_registry.app import create_app
from sco_registry.bootstrap import Registry, open_registry
from sco_registry.config import Settings
from sco_registry.db import alembic_config
from sco_registry.graphql.auth import Role
from sco_registry.observability import (
    Metrics,
    RequestIds,
    code_heads,
    configure_logging,
    request_uuid,
)
from sco_registry.store.base import NewEvent, StreamState
from sco_registry.store.errors import WrongExpectedVersion
from sco_registry.store.rules import utc_now
from tests.api.conftest import Api
from tests.api.writes import SRC, bearer, mutate, token

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class Served:
    api: Api
    app: FastAPI

    @property
    def client(self) -> httpx.AsyncClient:
        return self.api.client

    @property
    def registry(self) -> Registry:
        """The app's registry (its store counted by the metrics)."""
        registry: Registry = self.app.state.registry
        return registry

    async def samples(self) -> Samples:
        answer = await self.client.get("/metrics")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        out: Samples = {}
        for family in text_string_to_metric_families(answer.text):
            for s in family.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return out


async def _served(url: str, clock: Callable[[], dt.datetime] = utc_now) -> AsyncIterator[Served]:
    async with open_registry(Settings(database_url=url), clock=clock) as registry:
        app = create_app(registry)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Served(Api(client, registry), app)


@pytest.fixture
async def served(writable_url: str) -> AsyncIterator[Served]:
    async for s in _served(writable_url):
        yield s


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_after_an_append_and_a_query(served: Served) -> None:
    before = await served.samples()
    assert value(before, "sco_registry_appends_total") == 0
    assert value(before, "sco_registry_append_seconds_count") == 0
    head = await served.registry.store.head_position()
    assert value(before, "sco_registry_log_head_position") == head

    result = await mutate(
        served.api,
        "registerState",
        {"code": "TM", "name": "Turkmenistan", "sources": SRC},
        headers=bearer(token(Role.WRITER)),
    )
    assert result["__typename"] == "MutationSuccess", result
    named = await served.api.query("query States { states(first: 5) { totalCount } }")
    assert "errors" not in named
    failed = await served.api.query("query Big { states(first: 1000) { totalCount } }")
    assert failed["errors"][0]["extensions"]["code"] == "page.too_large"

    after = await served.samples()
    assert value(after, "sco_registry_appends_total") == 1
    assert value(after, "sco_registry_appended_events_total") == result["eventsAppended"]
    assert value(after, "sco_registry_append_seconds_count") == 1
    assert value(after, "sco_registry_log_head_position") == head + result["eventsAppended"]
    assert value(after, "sco_registry_graphql_request_seconds_count", operation="States") == 1
    assert value(after, "sco_registry_graphql_request_seconds_count", operation="Big") == 1
    assert (
        value(after, "sco_registry_graphql_errors_total", operation="Big", code="page.too_large")
        == 1
    )
    # The successful operation counted no error (negative control on the error counter).
    assert not any(
        name == "sco_registry_graphql_errors_total" and ("operation", "States") in labels
        for name, labels in after
    )
    # The mutation has no name: counted as `anonymous`.
    assert value(after, "sco_registry_graphql_request_seconds_count", operation="anonymous") == 1
    for projection in served.registry.projections.projections:
        assert (
            value(after, "sco_registry_projection_lag_positions", projection=projection.name) == 0
        )
        assert value(after, "sco_registry_projection_lag_seconds", projection=projection.name) == 0


async def test_a_store_conflict_is_counted_by_kind(served: Served) -> None:
    event = NewEvent(type="StateRegistered", data={"code": "ZZ", "name": "Z"})
    with pytest.raises(WrongExpectedVersion):
        await served.registry.store.append("state-ZZ", [event], expected=StreamState.STREAM_EXISTS)
    samples = await served.samples()
    assert value(samples, "sco_registry_append_conflicts_total", kind="wrong_expected_version") == 1
    assert value(samples, "sco_registry_appends_total") == 0
    assert value(samples, "sco_registry_append_seconds_count") == 1


def test_each_app_has_its_own_metrics() -> None:
    """Not the library's global registry: two apps (or two Metrics) never share a count."""
    a, b = Metrics(), Metrics()
    a.appends.inc()
    assert a.registry.get_sample_value("sco_registry_appends_total") == 1
    assert b.registry.get_sample_value("sco_registry_appends_total") == 0
    # Names a client makes up are bounded.
    labels = {a.operation_label(f"Op{i}") for i in range(150)}
    assert "other" in labels and len(labels) == 101
    assert a.operation_label("not a name!") == "other" and a.operation_label(None) == "anonymous"


def _set_checkpoint_back(conn: Connection, head: int, *, name: str, by: int) -> None:
    conn.execute(
        sa.text("UPDATE projection_checkpoints SET position = :p WHERE name = :n"),
        {"p": head - by, "n": name},
    )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_projection_lag_in_positions_and_seconds_and_readiness(
    writable_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read model set 3 positions back (as a database migrated under a longer log would be).
    async for s in _served(writable_url):
        name = s.registry.projections.projections[0].name
        head = await s.registry.store.head_position()
        (oldest,) = await s.registry.store.read_all(after=head - 3, limit=1)

        def back(conn: Connection, head: int, name: str = name) -> None:
            _set_checkpoint_back(conn, head, name=name, by=3)

        host: Any = s.registry.projections.host
        await host.run_projection_write(back)
    # A clock 90 s after the oldest event it has not applied: its lag in seconds is 90.
    later = oldest.recorded_at + dt.timedelta(seconds=90)
    async for s in _served(writable_url, clock=lambda: later):
        samples = await s.samples()
        assert value(samples, "sco_registry_projection_lag_positions", projection=name) == 3
        assert value(samples, "sco_registry_projection_lag_seconds", projection=name) == 90
        others = [p.name for p in s.registry.projections.projections if p.name != name]
        assert value(samples, "sco_registry_projection_lag_positions", projection=others[0]) == 0
        ready = await s.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["reason"] == "projection_lag"
        assert ready.json()["lag"] == {name: 3}
    # Allowed to lag by 3 (the setting): ready; by 2: not.
    monkeypatch.setenv("SCO_REGISTRY_READY_MAX_LAG_POSITIONS", "3")
    async for s in _served(writable_url):
        assert (await s.client.get("/readyz")).status_code == 200
    monkeypatch.setenv("SCO_REGISTRY_READY_MAX_LAG_POSITIONS", "2")
    async for s in _served(writable_url):
        assert (await s.client.get("/readyz")).status_code == 503


async def test_readyz_is_false_while_migrations_are_pending(served: Served) -> None:
    assert (await served.client.get("/readyz")).status_code == 200
    (head,) = code_heads()
    host: Any = served.registry.projections.host

    def set_revision(revision: str) -> Callable[[Connection, int], None]:
        def work(conn: Connection, _head: int) -> None:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})

        return work

    previous = ScriptDirectory.from_config(alembic_config("")).get_revision(head).down_revision
    assert isinstance(previous, str)
    await host.run_projection_write(set_revision(previous))
    answer = await served.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["reason"] == "migrations_pending"
    assert answer.json()["found"] == [previous] and answer.json()["needed"] == [head]
    await host.run_projection_write(set_revision(head))
    assert (await served.client.get("/readyz")).status_code == 200


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    yield buffer
    configure_logging()


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_request_and_correlation_ids_are_kept_echoed_and_logged(
    writable_url: str, log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCO_REGISTRY_ACCESS_LOG", "true")
    async for served in _served(writable_url):
        await _ids_are_kept_echoed_and_logged(served, log_lines)
    # Without the setting, no access line (the ids are still echoed).
    monkeypatch.setenv("SCO_REGISTRY_ACCESS_LOG", "false")
    async for served in _served(writable_url):
        configure_logging("json", stream=log_lines)
        log_lines.truncate(0)
        log_lines.seek(0)
        answer = await served.client.get("/healthz", headers={"x-request-id": "quiet"})
        assert answer.headers["x-request-id"] == "quiet"
        assert not [x for x in _lines(log_lines) if x["event"] == "http.request"]


async def _ids_are_kept_echoed_and_logged(served: Served, log_lines: io.StringIO) -> None:
    configure_logging("json", stream=log_lines)
    given = {"x-request-id": "req-abc.1", "x-correlation-id": "corr:42"}
    answer = await served.client.get("/healthz", headers=given)
    assert answer.headers["x-request-id"] == "req-abc.1"
    assert answer.headers["x-correlation-id"] == "corr:42"
    (line,) = [x for x in _lines(log_lines) if x["event"] == "http.request"]
    assert line["request_id"] == "req-abc.1" and line["correlation_id"] == "corr:42"
    assert line["status"] == 200 and line["path"] == "/healthz" and line["level"] == "info"
    assert "timestamp" in line

    # None given: a request id is made, and the correlation id is the same.
    made = await served.client.get("/healthz")
    rid = made.headers["x-request-id"]
    assert uuid.UUID(rid) and made.headers["x-correlation-id"] == rid
    # An unusable id (spaces, too long) is not echoed: replaced by a made one.
    for bad in ("has spaces", "x" * 200):
        replaced = await served.client.get("/healthz", headers={"x-request-id": bad})
        assert replaced.headers["x-request-id"] != bad
        assert uuid.UUID(replaced.headers["x-request-id"])


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_masked_error_carries_the_http_request_id(
    served: Served, log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging("json", stream=log_lines)

    async def broken() -> int:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(served.api.registry.store, "head_position", broken)
    rid = str(uuid.uuid4())
    body = await served.api.query("{ head { position } }", **{"x-request-id": rid})
    assert body["errors"][0]["extensions"] == {"code": "internal.unexpected", "requestId": rid}
    logged = [x for x in _lines(log_lines) if x["event"] == "graphql.unexpected_error"]
    assert logged and all(x["request_id"] == rid for x in logged)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_masked_error_carries_the_request_id_made(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No `X-Request-ID` given: the id made for the request (kept as a UUID, not parsed
    again) is the one the masked error and the response's header name."""

    async def broken() -> int:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(served.api.registry.store, "head_position", broken)
    response = await served.client.post("/graphql", json={"query": "{ head { position } }"})
    rid = response.headers["x-request-id"]
    assert uuid.UUID(rid)
    assert response.json()["errors"][0]["extensions"]["requestId"] == rid


async def test_request_ids_read_whatever_the_header_names_case() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope["state"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    headers = [(b"X-Request-ID", b"first"), (b"x-request-id", b"kept"), (b"X-Correlation-Id", b"c")]
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    await RequestIds(app, access_log=False)(scope, None, send)  # type: ignore[arg-type]
    assert seen[0]["request_id"] == "kept" and seen[0]["correlation_id"] == "c"
    assert (b"x-request-id", b"kept") in sent[0]["headers"]
    assert request_uuid(seen[0]) is None  # not a UUID
    # A made id is a UUID, kept as one; a request id replaced since is parsed instead.
    made = uuid.uuid4()
    assert request_uuid({"request_id": str(made), "request_uuid": made}) is made
    other = uuid.uuid4()
    assert request_uuid({"request_id": str(other), "request_uuid": made}) == other


async def test_request_ids_are_bound_for_the_request_only() -> None:
    """Bound while the request runs, then what was bound before is back (the control: the
    outer value is seen before, replaced during)."""
    during: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        during.append(structlog.contextvars.get_contextvars().get("request_id"))
        await send({"type": "http.response.start", "status": 204, "headers": []})

    async def send(message: Any) -> None:
        return None

    tokens = structlog.contextvars.bind_contextvars(request_id="outer")
    try:
        assert structlog.contextvars.get_contextvars()["request_id"] == "outer"
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"x-request-id", b"r1")],
        }
        await RequestIds(app, access_log=False)(scope, None, send)  # type: ignore[arg-type]
        assert during == ["r1"]
        assert structlog.contextvars.get_contextvars()["request_id"] == "outer"
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
    assert "request_id" not in structlog.contextvars.get_contextvars()
