"""What a client receives: a GraphQL response's bytes are those Strawberry's own encoder sent
(`json.dumps(..., separators=(",", ":"))`: ASCII, non-ASCII characters and DEL escaped),
now that orjson encodes them (`app.encode_json`). Negative control: orjson alone sends
UTF-8, which this test tells apart (DEL: `tests/property/test_response_json.py`)."""

from __future__ import annotations

import json

import orjson
import pytest

from sco_registry.app import GraphQLAPI
from tests.api.conftest import Api

QUERY = """query ($d: String!) { members(organization: "organization/sco", asOf: $d, first: 5)
  { nodes { status state { code } } } }"""
ECHOED = "2018-é🇰🇿 ь"  # not a date: echoed in the error's message and details


async def _bytes(api: Api, as_of: str) -> tuple[bytes, str]:
    response = await api.client.post("/graphql", json={"query": QUERY, "variables": {"d": as_of}})
    assert response.status_code == 200
    return response.content, response.headers["content-type"]


def _strawberrys(body: bytes) -> bytes:
    return json.dumps(json.loads(body), separators=(",", ":")).encode()


async def test_the_bytes_are_strawberrys(shared_api: Api) -> None:
    body, content_type = await _bytes(shared_api, ECHOED)
    assert content_type == "application/json"
    assert body.isascii()
    assert b"\\u00e9\\ud83c\\uddf0\\ud83c\\uddff \\u044c" in body
    assert body == _strawberrys(body)
    assert json.loads(body)["errors"][0]["extensions"]["details"]["reason"].count(ECHOED) == 1
    # and an answer with data
    ok, _ = await _bytes(shared_api, "2018")
    assert json.loads(ok)["data"]["members"]["nodes"]
    assert ok == _strawberrys(ok)


async def test_negative_control_orjson_alone_is_told_apart(
    shared_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(GraphQLAPI, "encode_json", lambda self, data: orjson.dumps(data))
    body, _ = await _bytes(shared_api, ECHOED)
    assert not body.isascii()
    assert body != _strawberrys(body)
    assert json.loads(body) == json.loads(_strawberrys(body))  # the same JSON all the same
