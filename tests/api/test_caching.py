"""Caching keyed by the log (issue 11, section 4): GET answers tagged by the query, its
variables, the operation, the caller's view and the head; 304 on a matching tag; the
in-process cache never serves an answer after the head moved; errors and POSTs never cached."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from sco_registry.app import create_app
from sco_registry.bootstrap import Registry, open_registry
from sco_registry.config import Settings
from sco_registry.graphql.auth import Role
from sco_registry.graphql.caching import PRIVATE, PUBLIC, ReadCache, normalize
from tests.api.conftest import Api
from tests.api.writes import SRC, bearer, mutate, token

STATES = "query States($n: Int!) { states(first: $n) { totalCount nodes { code } } }"


@dataclass
class Served:
    api: Api
    app: FastAPI
    reads: list[int]

    @property
    def client(self) -> httpx.AsyncClient:
        return self.api.client

    @property
    def cache(self) -> ReadCache:
        cache: ReadCache = self.app.state.read_cache
        return cache

    async def get(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation: str | None = None,
        **headers: str,
    ) -> httpx.Response:
        params = {"query": query}
        if variables is not None:
            params["variables"] = json.dumps(variables)
        if operation is not None:
            params["operationName"] = operation
        return await self.client.get("/graphql", params=params, headers=headers)


async def _served(url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    async with open_registry(Settings(database_url=url)) as registry:
        reads = [0]
        original = registry.projections.read

        async def counted(work: Any) -> Any:
            reads[0] += 1
            return await original(work)

        # Every resolver reads the models through this: a count of 0 means no query ran.
        monkeypatch.setattr(registry.projections, "read", counted)
        app = create_app(registry)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Served(Api(client, registry), app, reads)


@pytest.fixture
async def served(writable_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    async for s in _served(writable_url, monkeypatch):
        yield s


def _registry(s: Served) -> Registry:
    return s.api.registry


async def _register_state(s: Served, code: str = "TM") -> None:
    result = await mutate(
        s.api,
        "registerState",
        {"code": code, "name": f"State {code}", "sources": SRC},
        headers=bearer(token(Role.WRITER)),
    )
    assert result["__typename"] == "MutationSuccess", result


async def test_the_same_query_twice_has_the_same_tag_and_the_second_runs_nothing(
    served: Served,
) -> None:
    first = await served.get(STATES, {"n": 100})
    assert first.status_code == 200 and "errors" not in first.json()
    tag = first.headers["etag"]
    head = await _registry(served).store.head_position()
    assert tag.startswith(f'"{head}-')
    assert first.headers["cache-control"] == PUBLIC
    assert first.headers["vary"] == "Authorization"
    reads = served.reads[0]
    assert reads > 0

    # Layout, comments and the variables' key order do not change the tag.
    again = await served.get("# the states\n" + STATES.replace(" ", "   "), {"n": 100})
    assert again.headers["etag"] == tag
    assert again.content == first.content
    assert served.reads[0] == reads, "a cached answer ran the query again"
    assert served.cache.counts == {"miss": 1, "hit": 1}

    # Another variable, another operation name: other tags.
    other = await served.get(STATES, {"n": 99})
    assert other.headers["etag"] != tag
    named = await served.get(STATES + " query Other { head { position } }", {"n": 100}, "States")
    assert named.headers["etag"] != tag


async def test_an_append_changes_the_tag_and_the_answer(served: Served) -> None:
    before = await served.get(STATES, {"n": 100})
    count = before.json()["data"]["states"]["totalCount"]
    await _register_state(served)
    after = await served.get(STATES, {"n": 100})
    assert after.headers["etag"] != before.headers["etag"]
    head = await _registry(served).store.head_position()
    assert after.headers["etag"].startswith(f'"{head}-')
    assert after.json()["data"]["states"]["totalCount"] == count + 1
    # The old tag no longer matches: a revalidation gets the new answer, not a 304.
    revalidated = await served.get(STATES, {"n": 100}, **{"if-none-match": before.headers["etag"]})
    assert revalidated.status_code == 200
    assert revalidated.json()["data"]["states"]["totalCount"] == count + 1


async def test_a_cached_answer_is_never_served_after_the_head_moved(served: Served) -> None:
    stale = (await served.get(STATES, {"n": 100})).json()
    await _register_state(served, "TM")
    fresh = (await served.get(STATES, {"n": 100})).json()
    assert fresh != stale
    assert fresh["data"]["states"]["totalCount"] == stale["data"]["states"]["totalCount"] + 1
    assert served.cache.counts.get("hit", 0) == 0


async def test_negative_control_without_the_head_check_the_stale_answer_is_served(
    served: Served,
) -> None:
    """The test above would fail if the key ignored the head: here the cache is given a
    head that never moves, and the answer from before the append is served after it."""
    frozen = await _registry(served).store.head_position()

    async def never_moves() -> int:
        return frozen

    served.cache.head = never_moves
    stale = (await served.get(STATES, {"n": 100})).json()
    await _register_state(served, "TM")
    served_after = (await served.get(STATES, {"n": 100})).json()
    assert served_after == stale  # stale: what the head check prevents
    assert served.cache.counts.get("hit") == 1


async def test_a_matching_if_none_match_gets_304_without_running_the_query(
    served: Served,
) -> None:
    first = await served.get(STATES, {"n": 100})
    tag = first.headers["etag"]
    reads = served.reads[0]
    for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        answer = await served.get(STATES, {"n": 100}, **{"if-none-match": header})
        assert answer.status_code == 304, header
        assert answer.content == b""
        assert answer.headers["etag"] == tag
        assert answer.headers["cache-control"] == PUBLIC
    assert served.reads[0] == reads, "a 304 ran the query"
    assert served.cache.counts["not_modified"] == 4
    # A tag that does not match (negative control): the answer itself.
    miss = await served.get(STATES, {"n": 100}, **{"if-none-match": '"0-nothing"'})
    assert miss.status_code == 200 and miss.content == first.content


async def test_errors_are_never_cached(served: Served) -> None:
    too_large = "{ states(first: 1000) { totalCount } }"
    for _ in range(2):
        answer = await served.get(too_large)
        assert answer.json()["errors"][0]["extensions"]["code"] == "page.too_large"
        assert "etag" not in answer.headers
        assert answer.headers["cache-control"] == "no-store"
    assert served.cache.counts == {"miss": 2}
    assert len(served.cache) == 0
    # A document that does not parse, and variables that are not an object: not keyed.
    broken = await served.get("{ states(first: ")
    assert broken.json()["errors"][0]["extensions"]["code"] == "graphql.syntax_error"
    assert "etag" not in broken.headers
    listed = await served.client.get("/graphql", params={"query": STATES, "variables": "[1]"})
    assert "etag" not in listed.headers
    assert served.cache.counts["bypass"] == 2


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_repeated_parameter_is_keyed_as_the_api_reads_it(served: Served) -> None:
    """`variables` given twice: the API runs with the last, and so the key must say; a
    request with the first must not get that answer (cache poisoning)."""
    document = "query S($n: Int!) { states(first: $n) { nodes { code } } }"
    five, three = quote(json.dumps({"n": 5})), quote(json.dumps({"n": 3}))
    twice = await served.client.get(
        f"/graphql?query={quote(document)}&variables={five}&variables={three}"
    )
    assert len(twice.json()["data"]["states"]["nodes"]) == 3
    assert twice.headers["etag"] == (await served.get(document, {"n": 3})).headers["etag"]
    honest = await served.get(document, {"n": 5})
    assert len(honest.json()["data"]["states"]["nodes"]) == 5
    # A blank last value: refused by the API (400), and so not cached.
    blank = await served.client.get(f"/graphql?query={quote(document)}&variables={five}&variables=")
    assert blank.status_code == 400 and "etag" not in blank.headers


async def test_posts_and_mutations_are_never_cached(served: Served) -> None:
    for _ in range(2):
        posted = await served.client.post("/graphql", json={"query": "{ head { position } }"})
        assert posted.status_code == 200
        assert "etag" not in posted.headers
    document = (
        'mutation { registerState(input: {code: "TM", name: "T"}, idempotencyKey: "k") '
        "{ __typename } }"
    )
    refused = await served.get(document)
    assert refused.status_code >= 400 or "errors" in refused.json()
    assert "etag" not in refused.headers
    assert served.cache.counts == {"bypass": 1}
    assert normalize(document) is None
    assert normalize("subscription { events { position } }") is None
    assert normalize("{ head { position } }") == "{\n  head {\n    position\n  }\n}"


EVENTS = "{ events(first: 5) { nodes { position actor } } }"


def _actors(answer: httpx.Response) -> list[Any]:
    return [n["actor"] for n in answer.json()["data"]["events"]["nodes"]]


async def test_an_auditor_field_never_leaks_through_the_cache(served: Served) -> None:
    auditor = bearer(token(Role.AUDITOR))
    reader = bearer(token(Role.READER))
    anonymous = await served.get(EVENTS)
    as_auditor = await served.get(EVENTS, **auditor)
    as_reader = await served.get(EVENTS, **reader)
    again_anonymous = await served.get(EVENTS)
    assert all(a is None for a in _actors(anonymous))
    assert any(a is not None for a in _actors(as_auditor)), "the bundled log names actors"
    assert all(a is None for a in _actors(as_reader))
    assert again_anonymous.content == anonymous.content
    tags = {r.headers["etag"] for r in (anonymous, as_auditor, as_reader)}
    assert len(tags) == 3
    assert as_auditor.headers["cache-control"] == PRIVATE
    assert anonymous.headers["cache-control"] == PUBLIC
    # The auditor's tag revalidates only for the auditor.
    tag = as_auditor.headers["etag"]
    assert (await served.get(EVENTS, **auditor, **{"if-none-match": tag})).status_code == 304
    assert (await served.get(EVENTS, **reader, **{"if-none-match": tag})).status_code == 200
    assert (await served.get(EVENTS, **{"if-none-match": tag})).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_cache_keeps_at_most_its_entries(
    writable_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCO_REGISTRY_API_CACHE_ENTRIES", "2")
    async for s in _served(writable_url, monkeypatch):
        for n in (1, 2, 3):
            await s.get(STATES, {"n": n})
        assert len(s.cache) == 2
        await s.get(STATES, {"n": 1})  # evicted first: run again
        assert s.cache.counts == {"miss": 4}
        await s.get(STATES, {"n": 3})
        assert s.cache.counts == {"miss": 4, "hit": 1}
        assert s.cache.size_bytes == sum(len(b) for b in s.cache._answers.values())
        # A byte budget bounds it too: one answer fits, two do not.
        s.cache.max_bytes = max(len(b) for b in s.cache._answers.values()) + 10
        await s.get(STATES, {"n": 2})  # evicted above: kept now, the older two evicted
        assert len(s.cache) == 1 and s.cache.size_bytes <= s.cache.max_bytes


async def _append_only(s: Served, code: str) -> None:
    """A write whose read models are left to a projection worker (inline projections off,
    as an API process with SCO_REGISTRY_PROJECTIONS_INLINE=false appends)."""
    registry = _registry(s)
    registry.projections.host.attach_projector(None)
    document = (
        "mutation($code: String!, $name: String!, $key: String!) { r: registerState("
        "input: {code: $code, name: $name}, idempotencyKey: $key) { __typename } }"
    )
    variables = {"code": code, "name": f"State {code}", "key": f"lagging-{code}"}
    try:
        body = await s.api.query(document, variables, **bearer(token(Role.WRITER)))
    finally:
        registry.projections.attach()
    assert body["data"]["r"]["__typename"] == "MutationSuccess", body


async def test_the_tag_follows_the_read_models_not_the_log_when_they_lag(served: Served) -> None:
    """With the read models behind the log (a projection worker's, a replica's), the answer
    changes when they move, not when the head does: the tag follows them, so the answer
    cached while they lagged is not served once they caught up."""
    before = await served.get(STATES, {"n": 100})
    count = before.json()["data"]["states"]["totalCount"]
    await _append_only(served, "TM")
    lagging = await served.get(STATES, {"n": 100})
    assert lagging.json()["data"]["states"]["totalCount"] == count  # not applied yet
    await _registry(served).projections.catch_up()  # the worker's round
    caught_up = await served.get(STATES, {"n": 100})
    assert caught_up.headers["etag"] != lagging.headers["etag"]
    assert caught_up.json()["data"]["states"]["totalCount"] == count + 1


async def test_negative_control_keyed_by_the_log_head_a_lagging_answer_stays_served(
    served: Served,
) -> None:
    """The test above fails with the log's head as the key: the answer cached while the
    read models lagged is served after they caught up."""
    served.cache.head = _registry(served).store.head_position
    count = (await served.get(STATES, {"n": 100})).json()["data"]["states"]["totalCount"]
    await _append_only(served, "TM")
    lagging = await served.get(STATES, {"n": 100})
    await _registry(served).projections.catch_up()
    caught_up = await served.get(STATES, {"n": 100})
    assert caught_up.headers["etag"] == lagging.headers["etag"]
    assert caught_up.json()["data"]["states"]["totalCount"] == count  # stale
