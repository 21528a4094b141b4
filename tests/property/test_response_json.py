"""The GraphQL responses' encoder (`app.encode_json`, orjson) writes the bytes Strawberry's own
encoder wrote, `json.dumps(value, separators=(",", ":"))` (ASCII, escaped), for every value
without floats (none in the schema), and the same JSON (value for value) with them: compared
over arbitrary JSON-like values (big ints, non-ASCII, astral characters, DEL and other
control characters, lone surrogates, non-str keys, subclasses). Negative control: orjson
alone differs."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import orjson
from hypothesis import example, given
from hypothesis import strategies as st

from sco_registry.app import encode_json


class Label(enum.StrEnum):
    A = "a"


class Count(int):
    pass


exact = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**65), max_value=2**65)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x7F))
    | st.text(alphabet=st.characters(codec="utf-8"))
    | st.sampled_from([Label.A, Count(3), "\x7f", "\ud800", "é", "🇰🇿", "\u2028"])
)


def _containers(inner: Any) -> Any:
    return (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=5)
        | st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=3)
    )


values = st.recursive(exact, _containers, max_leaves=30)
with_floats = st.recursive(
    exact | st.floats(allow_nan=False, allow_infinity=False), _containers, max_leaves=30
)


def strawberry_json(value: Any) -> bytes | type[Exception]:
    """What Strawberry's `encode_json` sent (its str encoded by Starlette as UTF-8)."""
    try:
        return json.dumps(value, separators=(",", ":")).encode()
    except Exception as e:
        return type(e)


def ours(value: Any) -> bytes | type[Exception]:
    try:
        return encode_json(value)
    except Exception as e:
        return type(e)


@given(values)
@example({"a": "\x7f", "é": ["🇰🇿", "\u2028", "\ud800"]})
@example([2**64, {1: "x"}, Label.A, Count(7)])
@example("a" * 5 + "ь")
def test_the_bytes_are_strawberrys(value: Any) -> None:
    assert ours(value) == strawberry_json(value)


@given(with_floats)
@example([1e-05, 1e16, 1e-7, -0.0, 5e-324, 1.7976931348623157e308])
def test_with_floats_the_json_is_the_same(value: Any) -> None:
    want = strawberry_json(value)
    got = ours(value)
    if isinstance(want, type):
        assert got == want
        return
    assert isinstance(got, bytes)
    assert got.isascii()
    assert json.loads(got) == json.loads(want)


def test_nan_and_infinities_become_null() -> None:
    # The standard library's NaN and Infinity are not JSON (JSON.parse refuses them).
    assert encode_json([math.nan, math.inf, -math.inf]) == b"[null,null,null]"


def test_what_the_standard_library_refuses_is_refused() -> None:
    class Other:
        pass

    for value in ({"x": Other()}, {"x": {1, 2}}, {(1, 2): 3}):
        assert ours(value) is TypeError
        assert strawberry_json(value) is TypeError


def test_negative_control_orjson_alone_differs() -> None:
    for value in ({"a": "é"}, ["\x7f"], ["🇰🇿"]):
        assert orjson.dumps(value) != strawberry_json(value)
        assert encode_json(value) == strawberry_json(value)
