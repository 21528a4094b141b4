"""`readers._timestamp`: `parse_timestamp` without `strptime` for the text the log stores,
the same value or the same refusal for anything else."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sco_registry.graphql.readers import _timestamp
from sco_registry.store.chain import format_timestamp, parse_timestamp


# (From the year 1000: `format_timestamp` writes earlier years with fewer digits, which
# `parse_timestamp` itself refuses; the next test covers such text.)
@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), timezones=st.just(dt.UTC)))
def test_the_stored_text_reads_as_parse_timestamp_reads_it(when: dt.datetime) -> None:
    text = format_timestamp(when)
    found = _timestamp(text)
    assert found == parse_timestamp(text) == when
    assert found.tzinfo is parse_timestamp(text).tzinfo


@given(st.text(alphabet="0123456789-T:.Z +_٣", min_size=20, max_size=30))
def test_other_text_is_read_or_refused_as_parse_timestamp_does(text: str) -> None:
    try:
        expected: dt.datetime | None = parse_timestamp(text)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            _timestamp(text)
    else:
        assert _timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-13-01T00:00:00.000000Z",  # month out of range: refused by both
        "2026-02-30T00:00:00.000000Z",
        "2026-01-01T24:00:00.000000Z",
        "2026-01-01T00:00:00.000000",  # no Z
        "2026-01-01 00:00:00.000000Z",
        "2026-01-01T00:00:00.00000Z",  # five-digit fraction: strptime reads it, as 10 us
        "2026-1-01T00:00:00.000000Z",  # one-digit month: strptime reads it
    ],
)
def test_edges_agree_with_parse_timestamp(text: str) -> None:
    try:
        expected = parse_timestamp(text)
    except ValueError:
        with pytest.raises(ValueError):
            _timestamp(text)
        return
    assert _timestamp(text) == expected
