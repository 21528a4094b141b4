"""Observability (issue 11, section 5): metrics, structured logs with request ids, readiness.

* **Metrics** (`Metrics`): one `prometheus_client.CollectorRegistry` per app (never the
  library's global one: tests build many apps in one process), served at `/metrics` in the
  Prometheus text format. Appends, append latency and conflicts are counted by the store
  the app's resolvers use (`ObservedStore`, a wrapper of the registry's); GraphQL request
  latency and errors by operation name by a schema extension (`GraphQLMetrics`); the log's
  head and each read model's lag (in positions, and in seconds: how long ago the oldest
  event it has not applied was recorded) are read when `/metrics` is scraped.
* **Logs** (`configure_logging`): structlog, one JSON object a line (or a console
  rendering), with the request's ids bound to every line logged while it runs.
  `RequestIds` keeps an incoming `X-Request-ID` and `X-Correlation-ID` (1 to 128
  characters of `A-Za-z0-9._:-`; anything else is replaced), generates what is missing
  (the correlation id defaults to the request id), echoes both on the response and, with
  the `access_log` setting, logs one `http.request` line per request (method, path,
  status, duration).
* **Readiness** (`readiness`): not ready while the database's schema is not at this
  code's Alembic head (migrations pending), while a read model is stale, or while one lags
  the log by more than `ready_max_lag_positions`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

import structlog
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.engine import Connection
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from sco_registry import ids
from sco_registry.bootstrap import Registry
from sco_registry.db import alembic_config
from sco_registry.store.base import (
    AppendResult,
    AppendUnit,
    EventStore,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    StreamState,
)
from sco_registry.store.errors import HeadMoved, IdempotencyConflict, WrongExpectedVersion

T = TypeVar("T")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Distinct operation names kept as labels; later ones are counted as `other` (a client
#: chooses the names: the bound keeps the metrics' size bounded).
MAX_OPERATION_NAMES = 100
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


class Metrics:
    """The metrics of one app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.appends = Counter(
            "sco_registry_appends",
            "Appends committed to the log (one per transaction).",
            registry=r,
        )
        self.appended_events = Counter(
            "sco_registry_appended_events", "Events appended to the log.", registry=r
        )
        self.append_seconds = Histogram(
            "sco_registry_append_seconds",
            "Time an append took, committed or refused.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.conflicts = Counter(
            "sco_registry_append_conflicts",
            "Appends refused by a concurrency check, by kind.",
            ["kind"],
            registry=r,
        )
        self.head = Gauge("sco_registry_log_head_position", "The log's last position.", registry=r)
        self.lag_positions = Gauge(
            "sco_registry_projection_lag_positions",
            "Events of the log a read model has not applied.",
            ["projection"],
            registry=r,
        )
        self.lag_seconds = Gauge(
            "sco_registry_projection_lag_seconds",
            "How long ago the oldest event a read model has not applied was recorded (0: current).",
            ["projection"],
            registry=r,
        )
        self.graphql_seconds = Histogram(
            "sco_registry_graphql_request_seconds",
            "GraphQL operations' time, by operation name.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.graphql_errors = Counter(
            "sco_registry_graphql_errors",
            "GraphQL errors returned, by operation name and code.",
            ["operation", "code"],
            registry=r,
        )
        self.cache = Counter(
            "sco_registry_graphql_cache",
            "GET /graphql answers by cache outcome (hit, miss, not_modified, bypass).",
            ["outcome"],
            registry=r,
        )
        self.http_requests = Counter(
            "sco_registry_http_requests",
            "HTTP requests answered, by status.",
            ["status"],
            registry=r,
        )
        self._operations: set[str] = set()

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.fullmatch(name):
            return "other"
        if name not in self._operations:
            if len(self._operations) >= MAX_OPERATION_NAMES:
                return "other"
            self._operations.add(name)
        return name

    def cache_outcome(self, outcome: str) -> None:
        self.cache.labels(outcome).inc()

    async def refresh(self, registry: Registry) -> None:
        """Read the head and the read models' lag into the gauges (at each scrape)."""
        statuses = await registry.projections.status()
        head = max((s.head for s in statuses), default=await registry.store.head_position())
        self.head.set(head)
        now = registry.clock()
        oldest: dict[int, dt.datetime | None] = {}
        for s in statuses:
            self.lag_positions.labels(s.name).set(s.lag)
            if s.lag == 0:
                self.lag_seconds.labels(s.name).set(0)
                continue
            if s.checkpoint not in oldest:
                page = await registry.store.read_all(after=s.checkpoint, limit=1)
                oldest[s.checkpoint] = page[0].recorded_at if page else None
            recorded = oldest[s.checkpoint]
            seconds = 0.0 if recorded is None else max(0.0, (now - recorded).total_seconds())
            self.lag_seconds.labels(s.name).set(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


_CONFLICTS: tuple[tuple[type[Exception], str], ...] = (
    (HeadMoved, "head_moved"),
    (WrongExpectedVersion, "wrong_expected_version"),
    (IdempotencyConflict, "idempotency_conflict"),
)


class ObservedStore:
    """The registry's store, with its appends counted and timed (and their conflicts by
    kind); every other call goes straight to it (looked up at each call)."""

    def __init__(self, inner: EventStore, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def _timed(self, append: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            result = await append()
        except Exception as e:
            for kind_type, kind in _CONFLICTS:
                if isinstance(e, kind_type):
                    self.metrics.conflicts.labels(kind).inc()
                    break
            raise
        finally:
            self.metrics.append_seconds.observe(time.perf_counter() - start)
        results = result if isinstance(result, list) else [result]
        for r in results:
            if isinstance(r, AppendResult) and not r.replayed:
                self.metrics.appends.inc()
                self.metrics.appended_events.inc(r.last_position - r.first_position + 1)
        return result

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected: ExpectedVersion = StreamState.ANY,
        *,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        result: AppendResult = await self._timed(
            lambda: self.inner.append(stream_id, events, expected, idempotency_key=idempotency_key)
        )
        return result

    async def append_many(
        self, batches: Sequence[StreamAppend], *, idempotency_key: str | None = None
    ) -> AppendResult:
        result: AppendResult = await self._timed(
            lambda: self.inner.append_many(batches, idempotency_key=idempotency_key)
        )
        return result

    async def append_batch(
        self, units: Sequence[AppendUnit], *, expected_head: int
    ) -> list[AppendResult]:
        result: list[AppendResult] = await self._timed(
            lambda: self.inner.append_batch(units, expected_head=expected_head)
        )
        return result

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        return await self.inner.read_stream(stream_id, from_version=from_version, limit=limit)

    async def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        return await self.inner.read_all(after=after, limit=limit)

    def iter_all(self, *, after: int = 0, batch_size: int = 1000) -> AsyncIterator[RecordedEvent]:
        return self.inner.iter_all(after=after, batch_size=batch_size)

    async def stream_version(self, stream_id: str) -> int:
        return await self.inner.stream_version(stream_id)

    async def head_position(self) -> int:
        return await self.inner.head_position()

    async def wait_for_events(self, after: int, timeout: float) -> bool:
        return await self.inner.wait_for_events(after, timeout)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Anything else the concrete store offers (e.g. the projection hooks).
        return getattr(self.inner, name)


def observed(registry: Registry, metrics: Metrics) -> Registry:
    """The registry with its store observed by `metrics` (the read models stay attached to
    the store itself: they are applied inside its appends either way)."""
    return dataclasses.replace(registry, store=ObservedStore(registry.store, metrics))


class GraphQLMetrics:
    """Times each operation and counts its errors by code, under its operation name: an
    observer of the schema (`schema.build_schema(observers=...)`), told once the operation
    is done, after the masking: it sees the errors as the client does."""

    def __init__(self, *, metrics: Metrics) -> None:
        self.metrics = metrics
        # The labelled children, by label (`labels()` costs a lock and a tuple each call).
        self._seconds: dict[str, Any] = {}

    def __call__(self, ctx: ExecutionContext, elapsed: float) -> None:
        try:
            name = ctx.operation_name
        except Exception:  # a document that did not parse has no operation
            name = None
        label = self.metrics.operation_label(name)
        if not _is_subscription(ctx):  # a subscription's time is its client's to choose
            seconds = self._seconds.get(label)
            if seconds is None:
                seconds = self._seconds[label] = self.metrics.graphql_seconds.labels(label)
            seconds.observe(elapsed)
        result = ctx.result
        for error in getattr(result, "errors", None) or ctx.pre_execution_errors or []:
            code = (getattr(error, "extensions", None) or {}).get("code")
            self.metrics.graphql_errors.labels(label, str(code or "unknown")).inc()


def _is_subscription(ctx: Any) -> bool:
    try:
        return bool(ctx.operation_type is OperationType.SUBSCRIPTION)
    except Exception:  # no document (it did not parse), or no such operation
        return False


# --- logs ----------------------------------------------------------------------------------------

_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
REQUEST_ID = "x-request-id"
CORRELATION_ID = "x-correlation-id"
_REQUEST_ID = REQUEST_ID.encode()
_CORRELATION_ID = CORRELATION_ID.encode()


def configure_logging(fmt: str = "json", *, stream: TextIO | None = None) -> None:
    """structlog for the process: JSON lines (or console), with the context's bound ids."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        logger_factory=structlog.WriteLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def usable_id(value: str | None) -> str | None:
    """An incoming id as given when it is safe to log and echo; None otherwise."""
    return value if value is not None and _ID.fullmatch(value) else None


def as_uuid(value: str) -> uuid.UUID | None:
    """The id as a UUID when it is one (the GraphQL layer's request id is a UUID)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


access_log = structlog.get_logger("sco_registry.http")


class RequestIds:
    """ASGI middleware: the request's ids (kept or made), bound to the logs, echoed back,
    kept in `scope["state"]` (`request_id`, `correlation_id`), and one access line."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics | None = None, access_log: bool = True
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        # The counter's labelled children, by status (`labels()` costs a lock each call).
        self._by_status: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given_request = given_correlation = None
        for name, value in scope["headers"]:  # only the two headers decoded; the last wins
            lowered = bytes(name).lower()
            if lowered == _REQUEST_ID:
                given_request = value.decode("latin-1")
            elif lowered == _CORRELATION_ID:
                given_correlation = value.decode("latin-1")
        state = scope.setdefault("state", {})
        request_id = usable_id(given_request)
        if request_id is None:
            made = ids.uuid4()  # not uuid.uuid4(): no GIL given away (`sco_registry.ids`)
            request_id = str(made)
            state["request_uuid"] = made  # no need to parse it again (`request_uuid`)
        correlation_id = usable_id(given_correlation) or request_id
        state["request_id"] = request_id
        state["correlation_id"] = correlation_id
        status = 0
        start = time.perf_counter()
        echoed = [
            (b"x-request-id", request_id.encode()),
            (b"x-correlation-id", correlation_id.encode()),
        ]

        async def echo(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *echoed]}
            await send(message)

        # Bound for every line logged meanwhile, and reset to what they were (as
        # `bound_contextvars` does, without its copy of the whole context).
        tokens = structlog.contextvars.bind_contextvars(
            request_id=request_id, correlation_id=correlation_id
        )
        try:
            try:
                await self.app(scope, receive, echo)
            finally:
                if scope["type"] == "http" and self.metrics is not None:
                    label = str(status or 500)
                    counter = self._by_status.get(label)
                    if counter is None:
                        counter = self._by_status[label] = self.metrics.http_requests.labels(label)
                    counter.inc()
                if scope["type"] == "http" and self.access_log:
                    access_log.info(
                        "http.request",
                        method=scope["method"],
                        path=scope["path"],
                        status=status or 500,
                        duration_ms=round((time.perf_counter() - start) * 1000, 3),
                    )
        finally:
            structlog.contextvars.reset_contextvars(**tokens)


def request_uuid(state: dict[str, Any] | None) -> uuid.UUID | None:
    """The request id `RequestIds` kept, when it is a UUID (for the GraphQL context)."""
    state = state or {}
    made = state.get("request_uuid")
    value = state.get("request_id")
    if isinstance(made, uuid.UUID) and value == str(made):
        return made
    return as_uuid(value) if isinstance(value, str) else None


# --- readiness -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    body: dict[str, Any]

    @property
    def status_code(self) -> int:
        return 200 if self.ready else 503


def code_heads() -> set[str]:
    """The Alembic head revisions of this code's migrations."""
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


def _database_heads(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


async def readiness(registry: Registry, *, heads: set[str], max_lag: int) -> Readiness:
    """Whether the API should take traffic, and why not: `database` (it does not answer),
    `migrations_pending` (its schema is not this code's head), `projection_stale`,
    `projection_lag` (more than `max_lag` positions behind)."""
    try:
        found = await registry.projections.read(_database_heads)
        if found != heads:
            return Readiness(
                False,
                {
                    "status": "unavailable",
                    "reason": "migrations_pending",
                    "found": sorted(found),
                    "needed": sorted(heads),
                },
            )
        head = await registry.store.head_position()
        statuses = await registry.projections.status()
    except Exception as e:  # not ready, whatever the reason; the body says which
        return Readiness(
            False, {"status": "unavailable", "reason": "database", "error": e.__class__.__name__}
        )
    stale = [s.name for s in statuses if s.state == "stale"]
    behind = [s.name for s in statuses if s.state != "current"]
    lag = {s.name: s.lag for s in statuses if s.lag > 0}
    body: dict[str, Any] = {"status": "ok", "head": head, "behind": behind, "lag": lag}
    if stale:
        return Readiness(False, {**body, "status": "catching_up", "reason": "projection_stale"})
    if any(n > max_lag for n in lag.values()):
        return Readiness(
            False, {**body, "status": "catching_up", "reason": "projection_lag", "max_lag": max_lag}
        )
    return Readiness(True, body)
