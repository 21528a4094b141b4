"""The JSON columns' decoder (`db._loads_json`): the standard library's values, for text
and for the bytes asyncpg hands over for some columns (a bytes value once reached
`fastjson.loads`, which takes text only, and failed every read of such a column)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sco_registry.db import _loads_json

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_json)
def test_text_and_bytes_decode_as_the_standard_library(value: object) -> None:
    text = json.dumps(value)
    assert _loads_json(text) == json.loads(text)
    assert _loads_json(text.encode()) == json.loads(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["{}", "[]", "null"])
def test_the_shortcuts_give_fresh_values(text: str) -> None:
    assert _loads_json(text) == json.loads(text)
    first = _loads_json(text)
    if first is not None:  # a fresh container each time, never a shared one
        assert first is not _loads_json(text)
