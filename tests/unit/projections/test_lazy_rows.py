"""`records.Lazy` (a field decoded when first read, then kept) and `records.parse_uuid`
(`uuid.UUID` of the stored text, its value or its error)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sco_registry.projections import records


@dataclasses.dataclass(frozen=True)
class Row(records.Lazy):
    name: str
    items: tuple[Any, ...]
    note: dict[str, Any] | None


Row.decoders = {"items": records.json_tuple_at(1), "note": records.json_at(2)}


def lazy_row(*raw: Any) -> Row:
    return records.lazy(Row, raw, {"name": raw[0]})


def test_a_field_is_decoded_when_first_read_and_then_kept() -> None:
    row = lazy_row("a", '[1, {"b": 2}]', None)
    assert "items" not in vars(row)
    assert row.items == (1, {"b": 2})
    assert vars(row)["items"] is row.items
    assert "note" not in vars(row)
    assert row.note is None  # SQL NULL


def test_equality_and_repr_are_the_eager_dataclass_ones() -> None:
    eager = Row(name="a", items=(1, {"b": 2}), note={"x": [1]})
    lazy = lazy_row("a", '[1, {"b": 2}]', '{"x": [1]}')
    assert lazy == eager and eager == lazy
    assert repr(lazy) == repr(eager)
    assert lazy != Row(name="a", items=(1, {"b": 3}), note={"x": [1]})  # negative control
    assert dataclasses.replace(lazy, name="c") == Row(name="c", items=eager.items, note=eager.note)


def test_an_unknown_attribute_and_a_malformed_column_raise_as_before() -> None:
    row = lazy_row("a", "[1", "{}")
    with pytest.raises(AttributeError, match="nothing"):
        row.nothing  # noqa: B018
    assert row.note == {}  # the other fields read
    with pytest.raises(ValueError):  # json.JSONDecodeError, when the field is read
        row.items  # noqa: B018
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.name = "b"  # type: ignore[misc]
    eager = Row(name="a", items=(), note=None)
    with pytest.raises(AttributeError):  # made by the constructor: nothing lazy
        eager.other  # type: ignore[attr-defined]  # noqa: B018


@given(st.uuids())
def test_parse_uuid_of_stored_text_is_uuid(value: uuid.UUID) -> None:
    for text in (str(value), str(value).upper(), value.hex, f"{{{value}}}", value.urn):
        found = records.parse_uuid(text)
        assert found == uuid.UUID(text) and type(found) is uuid.UUID
        assert found.is_safe is uuid.UUID(text).is_safe
        assert hash(found) == hash(value) and str(found) == str(value)


@given(st.text(alphabet="0123456789abcdefABCDEF-{}:urnid_ +x", max_size=40))
def test_parse_uuid_reads_or_refuses_what_uuid_does(text: str) -> None:
    try:
        expected: uuid.UUID | type[ValueError] = uuid.UUID(text)
    except ValueError:
        expected = ValueError
    if expected is ValueError:
        with pytest.raises(ValueError):
            records.parse_uuid(text)
    else:
        assert records.parse_uuid(text) == expected


def test_parse_uuid_of_a_36_character_non_uuid_is_refused() -> None:
    # Negative control for the fast path: 36 characters, four hyphens, not hexadecimal.
    with pytest.raises(ValueError):
        records.parse_uuid("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz")
    assert records.parse_uuid("12345678-1234-1234-1234-1234567890ab") == uuid.UUID(
        "12345678-1234-1234-1234-1234567890ab"
    )
