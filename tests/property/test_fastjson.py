"""The fast encoder writes the standard library's canonical bytes for every value, or falls
back to it: compared over arbitrary JSON-like values (floats, big ints, non-ASCII, control
characters, surrogates, non-str keys included). Negative control: orjson alone differs."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import orjson
from hypothesis import example, given
from hypothesis import strategies as st

from sco_registry.store import fastjson

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**64), max_value=2**65)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x7F))
    | st.text(alphabet=st.characters(codec="utf-8"))
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


def stdlib(value: Any) -> str | type[Exception]:
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except Exception as e:
        return type(e)


def fast(value: Any) -> str | type[Exception]:
    try:
        return fastjson.canonical_text(value)
    except Exception as e:
        return type(e)


@given(values)
def test_canonical_text_is_the_stdlib_form(value: Any) -> None:
    assert fast(value) == stdlib(value)
    want = stdlib(value)
    if isinstance(want, str):
        try:
            encoded = want.encode("utf-8")
        except UnicodeEncodeError:
            return
        assert fastjson.canonical_bytes(value) == encoded


@given(values)
@example({"note": "rub\x7fout", "ctl": "\x1f"})  # DEL: escaped by the standard library only
def test_ascii_text_is_the_fingerprint_form(value: Any) -> None:
    want = json.dumps(value, sort_keys=True, separators=(",", ":"))
    assert fastjson.ascii_sorted_text(value) == want


def test_what_the_standard_library_refuses_it_refuses() -> None:
    for bad in ({"a": math.nan}, [math.inf], {"s": {1, 2}}):
        assert fast(bad) == stdlib(bad) in (ValueError, TypeError)
    assert fast({"s": {1, 2}}) is TypeError


def test_values_beyond_the_fast_path_still_encode_as_before() -> None:
    for v in ({"f": 1.5e-07}, [2**70], {1: "int key"}, {"a": [[[[0]]]] * 2}, "\ud800", 1e16):
        assert fast(v) == stdlib(v)
    deep: Any = 0
    for _ in range(300):
        deep = [deep]
    assert fast(deep) == stdlib(deep)


def test_negative_control_orjson_alone_differs() -> None:
    assert orjson.dumps(1.5e-07, option=orjson.OPT_SORT_KEYS).decode() != stdlib(1.5e-07)
    assert orjson.dumps({"a": math.nan}).decode() == '{"a":null}' != stdlib({"a": 0})


@given(values)
def test_roundtrip_is_the_stdlib_roundtrip(value: Any) -> None:
    try:
        want = json.loads(json.dumps(value))
    except Exception as e:
        try:
            fastjson.roundtrip(value)
        except Exception as f:
            assert type(f) is type(e)
            return
        raise AssertionError("accepted what the standard library refuses") from e
    got = fastjson.roundtrip(value)
    assert got == want
    assert json.dumps(got) == json.dumps(want)  # same types (1 vs 1.0 vs True)


def same(a: Any, b: Any) -> bool:
    """The same values, types and key order included (1 vs 1.0 vs True, -0.0, NaN)."""
    return repr(a) == repr(b)


def texts_of(value: Any) -> list[str]:
    """The texts a log's JSON column may hold for `value`: the canonical form, the
    ASCII-escaped form, and jsonb's spaced form (rows written under revision 0001)."""
    out = []
    for kw in (
        {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False},
        {"sort_keys": True, "separators": (",", ":")},
        {"separators": (", ", ": ")},
    ):
        with contextlib.suppress(ValueError):
            out.append(json.dumps(value, **kw))  # type: ignore[arg-type]
    return out


@given(values)
def test_loads_reads_what_the_standard_library_reads(value: Any) -> None:
    for text in texts_of(value):
        assert same(fastjson.loads(text), json.loads(text)), text
        page = f"[{text},{text}]"
        assert same(fastjson.loads(page), json.loads(page)), page


@given(st.text(alphabet='0123456789-+.eE[]{}:," \\ud\\u00', max_size=40))
def test_loads_on_arbitrary_text_agrees_or_refuses_alike(text: str) -> None:
    try:
        want = json.loads(text)
    except ValueError as e:
        try:
            fastjson.loads(text)
        except ValueError:
            return
        raise AssertionError(f"accepted {text!r}, which the standard library refuses") from e
    assert same(fastjson.loads(text), want), text


def test_loads_beyond_orjson() -> None:
    for text in (
        "18446744073709551616",
        "-9223372036854775809",
        '{"n":123456789012345678901234567890}',
        "[1e400, -1e400, NaN]",
        '"\\ud800"',
        "9223372036854775807",
        "1.2345678901234567890123",
        "[" * 300 + "]" * 300,
    ):
        assert same(fastjson.loads(text), json.loads(text)), text
    assert type(fastjson.loads("18446744073709551616")) is int


def test_negative_control_orjson_alone_reads_big_ints_as_floats() -> None:
    assert type(orjson.loads("18446744073709551616")) is float
    assert type(json.loads("18446744073709551616")) is int
