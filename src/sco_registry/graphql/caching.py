"""HTTP caching keyed by the log (issue 11, section 4).

The registry's state changes only when the log's head moves, so a query's answer is fixed
by what was asked and by the head it was computed at. A GET of `/graphql` carrying a query
(`?query=...&variables=...&operationName=...`) is answered with an `ETag` derived from

* the query, normalized (parsed and printed again: whitespace, commas and comments do not
  change it),
* its variables (canonical JSON: key order does not change it),
* the operation name,
* the caller's view: no token, the roles of a valid token, or an invalid token (an
  auditor sees who recorded each event, a reader does not: their answers never share a
  tag, nor a cache entry),
* and the head position the answer is computed at (read first: one cheap query).

A request whose `If-None-Match` holds that tag is answered 304 without running the query;
otherwise an in-process LRU cache of recent answers, keyed by the same tag, answers a
repeated read without running it. The cache is emptied whenever the head is seen to have
moved, and a tag names its head: an answer is never served at another head than its own.

What is never cached: POST (mutations, and any query sent that way), a document that is not
made only of queries, one that does not parse, variables that are not a JSON object, and any
answer with errors (`Cache-Control: no-store`). A head read that fails leaves the request to
the API uncached (its error is the API's).

`Cache-Control` is `public, max-age=0, must-revalidate` without a token (a browser or CDN
may keep the answer, and must ask again each time, which a 304 makes cheap), `private,
max-age=0, must-revalidate` with one (no shared cache may keep it); `Vary: Authorization`
on both. Why in `docs/api.md`, "Caching".

What "the head" is, is the app's to say (`ReadCache.head`; `app.py`): the state of the
read models the queries read, which is the log's head when they are applied inline, and
their checkpoints (and versions) when a projection worker or a replica's lag keeps them
behind it: an answer changes when they move, whether or not the log's head does.

The head is read before the query runs. The read models are written in the append's own
transaction, so an answer reflects at least that head; were an append to land meanwhile,
the answer would be tagged with an older head than it reflects: never staler than its tag
says, and that tag stops matching as soon as the head is read again.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse, print_ast
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sco_registry.graphql.auth import AuthError, TokenVerifier

#: The state answers are keyed by: a log position, or (read models apart) their checkpoints.
Head = Callable[[], Awaitable[int | str]]
Outcome = Callable[[str], None]

#: Default number of answers the in-process cache keeps.
DEFAULT_ENTRIES = 1_000
#: Answers larger than this are tagged but not kept in the cache.
MAX_CACHED_BODY = 1_000_000
#: The bytes of answers the cache holds at most, whatever the number of entries.
MAX_CACHED_BYTES = 64_000_000
#: A query longer than this is not keyed (nor cached): 2,000 tokens (the API's limit) are
#: far shorter in practice, and the normalizer's own cache stays bounded (1,000 of these).
MAX_QUERY_CHARS = 20_000

PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, max-age=0, must-revalidate"
NO_STORE = "no-store"


@lru_cache(maxsize=1_000)
def normalize(query: str) -> str | None:
    """The query printed from its parse (layout and comments removed), or None when it is
    not only queries (a mutation or subscription) or does not parse."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    for definition in document.definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.operation is not OperationType.QUERY
        ):
            return None
    return print_ast(document)


@dataclass(frozen=True, slots=True)
class Request:
    """What a cacheable GET asked: the normalized query, canonical variables, operation
    name, and the caller's view; `private` when a token was sent."""

    query: str
    variables: str
    operation: str | None
    view: str
    private: bool

    def tag(self, head: int | str) -> str:
        material = json.dumps(
            [self.query, self.variables, self.operation, self.view, head], separators=(",", ":")
        )
        digest = hashlib.sha256(material.encode()).hexdigest()[:40]
        return f'"{head}-{digest}"'


def view_of(verifier: TokenVerifier, authorization: str | None) -> str:
    """Who the answer is for, as far as an answer can differ: no token, a valid token's
    roles (sorted), or an invalid token (read as anonymous, with its own key all the same)."""
    try:
        principal = verifier.from_header(authorization)
    except AuthError as e:
        return f"invalid:{e.code}"
    if principal is None:
        return "anonymous"
    return "roles:" + ",".join(sorted(principal.roles))


def cacheable(
    params: dict[str, str], verifier: TokenVerifier, authorization: str | None
) -> Request | None:
    """The request to key, or None when this GET is not cacheable."""
    query = params.get("query")
    if not query or len(query) > MAX_QUERY_CHARS or "extensions" in params:
        return None
    normalized = normalize(query)
    if normalized is None:
        return None
    raw = params.get("variables")
    variables: Any = {}
    if raw:
        try:
            variables = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(variables, dict):
            return None
    canonical = json.dumps(variables, sort_keys=True, separators=(",", ":"))
    private = authorization is not None and bool(authorization.strip())
    return Request(
        normalized,
        canonical,
        params.get("operationName") or None,
        view_of(verifier, authorization),
        private,
    )


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an `If-None-Match` value names `tag` (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


@dataclass
class ReadCache:
    """The cache of one app: its LRU of answers, the head function it keys by, and counts of
    what it did (`hit`, `miss`, `not_modified`, `bypass`; `on_outcome` is told each too)."""

    head: Head
    verifier: TokenVerifier
    entries: int = DEFAULT_ENTRIES
    on_outcome: Outcome | None = None
    max_bytes: int = MAX_CACHED_BYTES
    counts: dict[str, int] = field(default_factory=dict)
    _answers: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    _bytes: int = 0
    _head_seen: int | str | None = None

    def count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def observe_head(self, head: int | str) -> None:
        """Forget every answer once the head has moved (none could be served again)."""
        if self._head_seen is not None and head != self._head_seen:
            self._answers.clear()
            self._bytes = 0
        self._head_seen = head

    def get(self, tag: str) -> bytes | None:
        body = self._answers.get(tag)
        if body is not None:
            self._answers.move_to_end(tag)
        return body

    def put(self, tag: str, body: bytes) -> None:
        if self.entries <= 0 or len(body) > min(MAX_CACHED_BODY, self.max_bytes):
            return
        old = self._answers.pop(tag, None)
        if old is not None:
            self._bytes -= len(old)
        self._answers[tag] = body
        self._bytes += len(body)
        while len(self._answers) > self.entries or self._bytes > self.max_bytes:
            _, evicted = self._answers.popitem(last=False)
            self._bytes -= len(evicted)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._answers)


class CacheMiddleware:
    """The ASGI side of `ReadCache`: GETs of `path` with a query go through it; everything
    else passes untouched."""

    def __init__(self, app: ASGIApp, *, cache: ReadCache, path: str = "/graphql") -> None:
        self.app = app
        self.cache = cache
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        # Parsed exactly as Starlette parses it for the API (blank values kept, the last of a
        # repeated name wins): the key is made of what the query will run with.
        raw = scope.get("query_string", b"").decode("latin-1")
        params = dict(parse_qsl(raw, keep_blank_values=True))
        if "query" not in params:  # GraphiQL's page, or the API's own error for no query
            await self.app(scope, receive, send)
            return
        request = cacheable(params, self.cache.verifier, headers.get("authorization"))
        if request is None:
            self.cache.count("bypass")
            await self._uncached(scope, receive, send)
            return
        try:
            head = await self.cache.head()
        except Exception:  # the API reports the database's failure in its own answer
            self.cache.count("bypass")
            await self._uncached(scope, receive, send)
            return
        self.cache.observe_head(head)
        tag = request.tag(head)
        kept = [
            (b"etag", tag.encode()),
            (b"cache-control", (PRIVATE if request.private else PUBLIC).encode()),
            (b"vary", b"Authorization"),
        ]
        if matches(headers.get("if-none-match"), tag):
            self.cache.count("not_modified")
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        body = self.cache.get(tag)
        if body is not None:
            self.cache.count("hit")
            await _send_json(send, 200, body, kept)
            return
        self.cache.count("miss")
        status, start_headers, body = await _run(self.app, scope, receive)
        if status == 200 and b'"errors"' not in body:
            self.cache.put(tag, body)
            extra = kept
        else:
            extra = [(b"cache-control", NO_STORE.encode())]
        await _send(send, status, _replace(start_headers, extra), body)

    async def _uncached(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, start_headers, body = await _run(self.app, scope, receive)
        extra = [(b"cache-control", NO_STORE.encode())]
        await _send(send, status, _replace(start_headers, extra), body)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _run(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[Any], bytes]:
    """Run the app, keeping its response (status, headers, whole body) instead of sending it."""
    status = 500
    start_headers: list[Any] = []
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal status, start_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            start_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return status, start_headers, b"".join(chunks)


def _replace(headers: list[Any], extra: list[tuple[bytes, bytes]]) -> list[Any]:
    names = {name for name, _ in extra}
    kept = [(k, v) for k, v in headers if bytes(k).lower() not in names]
    return kept + extra


async def _send_json(send: Send, status: int, body: bytes, extra: list[Any]) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send(send: Send, status: int, headers: list[Any], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
