"""`bitemporal.period_columns` / `valid_columns` (dates parsed once per text) give the
columns, and the refusals, of `Period(...).columns()`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.periods import Period
from sco_registry.domain.time import PartialDate
from sco_registry.projections import bitemporal

TEXTS = st.one_of(
    st.none(),
    st.integers(1, 9999).map(lambda y: f"{y:04d}"),
    st.tuples(st.integers(1990, 2030), st.integers(1, 12)).map(lambda t: f"{t[0]:04d}-{t[1]:02d}"),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["", "2004-02-30", "2004-13", "20040", "0000", "2004-6"]),
)


def _expected(start: str | None, end: str | None) -> dict[str, str | None] | str:
    try:
        return Period(
            None if start is None else PartialDate.parse(start),
            None if end is None else PartialDate.parse(end),
        ).columns()
    except InvalidValue as e:
        return e.code


def _got(start: str | None, end: str | None) -> dict[str, str | None] | str:
    try:
        return bitemporal.period_columns(start, end)
    except InvalidValue as e:
        return e.code


@given(TEXTS, TEXTS)
def test_period_columns_are_the_periods(start: str | None, end: str | None) -> None:
    assert _got(start, end) == _expected(start, end)
    assert _got(start, end) == _expected(start, end)  # cached: the same again


@given(TEXTS, TEXTS)
def test_valid_columns_no_date_for_falsy(start: str | None, end: str | None) -> None:
    try:
        got: object = bitemporal.valid_columns(start, end)
    except InvalidValue as e:
        got = e.code
    assert got == _expected(start or None, end or None)


def test_refusals_named() -> None:
    with pytest.raises(InvalidValue) as caught:
        bitemporal.period_columns("2005", "2004")
    assert caught.value.code == "period.end_before_start"
    with pytest.raises(InvalidValue) as caught:
        bitemporal.valid_columns(2004, None)  # not text: refused as the parser refuses it
    assert caught.value.code == "date.malformed"


def test_negative_control_a_wrong_bound_is_seen() -> None:
    """The comparison can fail: a period's columns with one bound changed differ."""
    wrong = dict(bitemporal.period_columns("2004-06", None))
    wrong["valid_from_hi"] = "2004-06-01"
    assert wrong != _expected("2004-06", None)
