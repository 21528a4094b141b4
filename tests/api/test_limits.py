"""The limits of section 8: depth 10, aliases 15, tokens 2,000, body 256 KB, page 100; each
with the request just inside the limit answered (the negative control)."""

from __future__ import annotations

from typing import Any

from sco_registry.graphql.limits import MAX_BODY_BYTES
from tests.api.conftest import Api


def _nested(depth: int) -> str:
    """A query `depth` fields deep: body { parent { parent ... { id } } }."""
    inner = "id"
    for _ in range(depth - 1):
        inner = f"parent {{ {inner} }}"
    return f'{{ body(id: "body/rats") {{ {inner} }} }}'


def _messages(body: dict[str, Any]) -> str:
    return " ".join(e["message"] for e in body.get("errors", []))


async def test_depth_at_most_10(shared_api: Api) -> None:
    ok = await shared_api.query(_nested(10))
    assert "errors" not in ok, ok
    refused = await shared_api.query(_nested(11))
    assert refused.get("data") is None
    assert "exceeds maximum operation depth of 10" in _messages(refused)


async def test_aliases_at_most_15(shared_api: Api) -> None:
    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: head {{ position }}" for i in range(n)) + " }"

    assert "errors" not in await shared_api.query(aliased(15))
    refused = await shared_api.query(aliased(16))
    assert "aliases found" in _messages(refused).lower() or "alias" in _messages(refused).lower()
    assert refused.get("data") is None


async def test_tokens_at_most_2000(shared_api: Api) -> None:
    def padded(items: int) -> str:  # a list argument of `items` strings: a token each
        kinds = " ".join(f'"k{i}"' for i in range(items))
        return f"{{ membershipChanges(first: 1, kinds: [{kinds}]) {{ totalCount }} }}"

    # 15 tokens around the items (with the start and end of the document)
    assert "errors" not in await shared_api.query(padded(1980))
    refused = await shared_api.query(padded(2100))
    assert "token" in _messages(refused).lower()


async def test_request_body_at_most_256_kb(shared_api: Api) -> None:
    small = await shared_api.client.post(
        "/graphql", json={"query": "{ head { position } }", "variables": {"pad": "x" * 1000}}
    )
    assert small.status_code == 200
    big = await shared_api.client.post(
        "/graphql",
        json={"query": "{ head { position } }", "variables": {"pad": "x" * MAX_BODY_BYTES}},
    )
    assert big.status_code == 413
    assert big.json()["errors"][0]["extensions"]["code"] == "request.too_large"

    async def chunks() -> Any:  # no Content-Length: counted as it streams
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    streamed = await shared_api.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_page_size_at_most_100(shared_api: Api) -> None:
    assert "errors" not in await shared_api.query("{ timeline(first: 100) { totalCount } }")
    for field in ("meetings", "timeline", "events", "documents"):
        refused = await shared_api.query(f"{{ {field}(first: 101) {{ totalCount }} }}")
        assert refused["errors"][0]["extensions"]["code"] == "page.too_large", field
        negative = await shared_api.query(f"{{ {field}(first: -1) {{ totalCount }} }}")
        assert negative["errors"][0]["extensions"]["code"] == "page.invalid_first", field
    missing = await shared_api.query("{ meetings { totalCount } }")
    assert "first" in _messages(missing)  # `first` is required
