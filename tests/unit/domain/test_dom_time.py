"""Partial dates (`domain/time.py`): parsing, precision, bounds, comparisons, malformed input."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sco_registry.domain.errors import InvalidValue
from sco_registry.domain.time import PartialDate, Precision
from tests.unit.domain.dates import day_in, near_dates, partial_dates

D = PartialDate.parse
day = dt.date.fromisoformat


# Parsing and precision.


@pytest.mark.parametrize(
    ("text", "precision", "lower", "upper"),
    [
        ("2004", Precision.YEAR, "2004-01-01", "2004-12-31"),
        ("2004-06", Precision.MONTH, "2004-06-01", "2004-06-30"),
        ("2004-06-17", Precision.DAY, "2004-06-17", "2004-06-17"),
        ("2001-06-15", Precision.DAY, "2001-06-15", "2001-06-15"),
        ("1996-04", Precision.MONTH, "1996-04-01", "1996-04-30"),
        ("0001", Precision.YEAR, "0001-01-01", "0001-12-31"),
        ("9999-12", Precision.MONTH, "9999-12-01", "9999-12-31"),
    ],
)
def test_each_precision_parses_to_the_days_it_may_stand_for(
    text: str, precision: Precision, lower: str, upper: str
) -> None:
    d = D(text)
    assert d.precision is precision
    assert (d.lower, d.upper) == (day(lower), day(upper))
    assert str(d) == text


@pytest.mark.parametrize(
    ("text", "last"),
    [
        ("2004-02", 29),  # divisible by 4
        ("2003-02", 28),
        ("1900-02", 28),  # a century, not divisible by 400
        ("2000-02", 29),  # divisible by 400
        ("2004-04", 30),
        ("2004-12", 31),
    ],
)
def test_a_month_ends_on_its_last_day_leap_years_included(text: str, last: int) -> None:
    assert D(text).upper.day == last


def test_february_29_exists_only_in_leap_years() -> None:
    assert D("2004-02-29").upper == dt.date(2004, 2, 29)
    assert D("2000-02-29").precision is Precision.DAY
    for text in ("2003-02-29", "1900-02-29"):
        with pytest.raises(InvalidValue) as e:
            D(text)
        assert e.value.code == "date.malformed"
        assert e.value.details == {"value": text}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "04",
        "204",
        "20040",
        "0000",  # year 0 does not exist
        "2004-00",
        "2004-13",
        "2004-6",
        "2004-06-00",
        "2004-06-31",
        "2004-06-1",
        "2004-06-17T00:00",
        " 2004",
        "2004 ",
        "2004/06",
        "2004-06-",
        "-2004",
        "２００４",  # full-width digits are not ASCII digits
        "2004\n",
    ],
)
def test_malformed_text_is_refused_with_its_code_and_value(text: str) -> None:
    with pytest.raises(InvalidValue) as e:
        D(text)
    assert e.value.code == "date.malformed"
    assert e.value.details == {"value": text}
    assert text in e.value.message or repr(text) in e.value.message


@pytest.mark.parametrize("value", [2004, None, 2004.0, b"2004", ["2004"], dt.date(2004, 1, 1)])
def test_a_date_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(InvalidValue) as e:
        D(value)  # type: ignore[arg-type]
    assert e.value.code == "date.malformed"


@pytest.mark.parametrize(
    ("args", "what"),
    [
        ((2004, None, 5), "a day needs a month"),
        ((0,), "year out of range"),
        ((10000,), "year out of range"),
        ((2004, 0), "month out of range"),
        ((2004, 13), "month out of range"),
        ((2004, 2, 30), "day out of range"),
        ((2004, 1, 0), "day out of range"),
    ],
)
def test_the_constructor_refuses_impossible_parts(args: tuple[int, ...], what: str) -> None:
    with pytest.raises(InvalidValue) as e:
        PartialDate(*args)
    assert e.value.code == "date.malformed"
    assert what in e.value.message


def test_of_keeps_a_day_and_repr_shows_the_text() -> None:
    assert PartialDate.of(dt.date(2004, 6, 17)) == D("2004-06-17")
    assert repr(D("2004-06")) == "PartialDate('2004-06')"


# Comparisons, by the examples of the module's docstring and the rules' usage.


def test_definitely_before_needs_every_day_before_every_day() -> None:
    assert D("2004-05").definitely_before(D("2004-06-17"))
    assert not D("2004-06").definitely_before(D("2004-06-17"))
    assert D("2004-06-16").definitely_before(D("2004-06-17"))
    assert not D("2004-06-17").definitely_before(D("2004-06-17"))
    assert D("2003").definitely_before(D("2004-01-01"))
    assert not D("2004").definitely_before(D("2004-12"))
    # A ratification "2002-06" of a document signed "2002-06-07" is not proved early.
    assert not D("2002-06").definitely_before(D("2002-06-07"))
    assert D("2002-05").definitely_before(D("2002-06-07"))


def test_possibly_before_needs_some_day_before_some_day() -> None:
    assert D("2004-06").possibly_before(D("2004-06-17"))
    assert D("2004-06-17").possibly_before(D("2004-06"))  # June 17 may be before June 30
    assert not D("2004-06-30").possibly_before(D("2004-06"))
    assert not D("2004-06-17").possibly_before(D("2004-06-17"))
    assert not D("2005").possibly_before(D("2004"))
    assert D("2004").possibly_before(D("2004"))


def test_overlaps_and_contains() -> None:
    assert D("2004-06").overlaps(D("2004-06-17"))
    assert D("2004").overlaps(D("2004-12-31"))
    assert not D("2004-05").overlaps(D("2004-06-01"))
    assert D("2004-06-17").overlaps(D("2004-06-17"))
    assert D("2004-06").contains(dt.date(2004, 6, 30))
    assert not D("2004-06").contains(dt.date(2004, 7, 1))
    assert not D("2004-06").contains(dt.date(2004, 5, 31))


def test_order_is_by_interval_then_coarser_first() -> None:
    texts = ["2005", "2004-06-17", "2004", "2004-06", "2004-01", "2003-12-31", "2004-06-01"]
    ordered = [str(d) for d in sorted(D(t) for t in texts)]
    assert ordered == [
        "2003-12-31",
        "2004-01",
        "2004",
        "2004-06-01",
        "2004-06",
        "2004-06-17",
        "2005",
    ]
    assert D("2004-01") < D("2004")  # the same first day: the month ends first
    assert D("2004").sort_key == (dt.date(2004, 1, 1), dt.date(2004, 12, 31), 0)
    assert D("2004-06-17").sort_key[2] == 2
    assert D("2004") != "2004"
    with pytest.raises(TypeError):
        _ = D("2004") < "2005"  # type: ignore[operator]


def test_json_round_trip_keeps_text_and_precision() -> None:
    dates = [D(t) for t in ("1996", "2001-06", "2001-06-15")]
    text = json.dumps([str(d) for d in dates])
    assert [D(t) for t in json.loads(text)] == dates
    assert [D(t).precision for t in json.loads(text)] == [d.precision for d in dates]


# Properties.


@given(partial_dates())
def test_text_round_trips_with_precision(d: PartialDate) -> None:
    again = D(str(d))
    assert again == d
    assert again.precision is d.precision
    assert D(json.loads(json.dumps(str(d)))) == d


@given(partial_dates())
def test_bounds_are_ordered_and_belong_to_the_date(d: PartialDate) -> None:
    assert d.lower <= d.upper
    assert d.contains(d.lower) and d.contains(d.upper)
    if d.lower > dt.date.min:
        assert not d.contains(d.lower - dt.timedelta(days=1))
    if d.upper < dt.date.max:
        assert not d.contains(d.upper + dt.timedelta(days=1))
    assert d.lower.year == d.upper.year == d.year
    if d.precision is not Precision.YEAR:
        assert d.lower.month == d.upper.month == d.month
    assert (d.lower == d.upper) is (d.precision is Precision.DAY)


@given(near_dates, near_dates)
def test_definitely_before_implies_possibly_before(a: PartialDate, b: PartialDate) -> None:
    if a.definitely_before(b):
        assert a.possibly_before(b)


@given(near_dates, near_dates)
def test_overlaps_is_symmetric_and_excludes_definitely_before(
    a: PartialDate, b: PartialDate
) -> None:
    assert a.overlaps(b) is b.overlaps(a)
    assert not (a.definitely_before(b) and a.overlaps(b))
    # Exactly one of three holds: a before b, b before a, or they share a day.
    assert [a.definitely_before(b), b.definitely_before(a), a.overlaps(b)].count(True) == 1


@given(near_dates)
def test_a_date_overlaps_itself_and_is_never_definitely_before_itself(a: PartialDate) -> None:
    assert a.overlaps(a)
    assert not a.definitely_before(a)
    assert a.possibly_before(a) is (a.precision is not Precision.DAY)


def _nth_day(d: PartialDate, share: float) -> dt.date:
    """The day `share` of the way through `d` (0: its first day, 1: its last)."""
    return d.lower + dt.timedelta(days=round(share * (d.upper - d.lower).days))


def _check_definitely_before_against_days(
    before: Callable[[PartialDate, PartialDate], bool],
) -> None:
    shares = st.floats(0, 1)

    @given(near_dates, near_dates, shares, shares)
    @example(D("2004-06"), D("2004-06-17"), 1.0, 0.0)  # the close call a mutant gets wrong
    def check(a: PartialDate, b: PartialDate, i: float, j: float) -> None:
        x, y = _nth_day(a, i), _nth_day(b, j)
        if before(a, b):
            assert x < y, f"{a} said definitely before {b}, yet {x} >= {y}"

    check()


def test_definitely_before_holds_for_any_days_the_dates_may_stand_for() -> None:
    _check_definitely_before_against_days(PartialDate.definitely_before)


def test_negative_control_a_rule_on_the_invented_first_day_is_caught() -> None:
    # Comparing the first days ("2004-06" taken as 2004-06-01) invents a day: caught.
    with pytest.raises(AssertionError):
        _check_definitely_before_against_days(lambda a, b: a.lower < b.lower)


@given(near_dates, near_dates, st.data())
def test_not_possibly_before_means_no_day_is_before(
    a: PartialDate, b: PartialDate, data: st.DataObject
) -> None:
    x, y = data.draw(day_in(a)), data.draw(day_in(b))
    if not a.possibly_before(b):
        assert x >= y
    if a.overlaps(b):
        assert a.contains(max(a.lower, b.lower)) and b.contains(max(a.lower, b.lower))


@given(near_dates, near_dates)
def test_order_is_total_and_agrees_with_sort_key(a: PartialDate, b: PartialDate) -> None:
    assert [a < b, a == b, b < a].count(True) == 1
    assert (a < b) is (a.sort_key < b.sort_key)
    assert (a == b) is (a.sort_key == b.sort_key)
    if a.definitely_before(b):
        assert a < b


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A valid date's text with one character put in or swapped: a line end, a space, a dash,
    a digit of another script ("\uff12" is a full-width 2)."""
    text = str(draw(partial_dates()))
    at = draw(st.integers(0, len(text)))
    char = draw(st.sampled_from(["\n", " ", "-", "0", "\uff12", "\u0660", "T"]))
    swap = draw(st.booleans())
    return text[:at] + char + text[at + swap :]


@given(
    st.one_of(
        st.text(max_size=12),
        near_misses(),
        st.from_regex(r"\A[0-9]{4}(-[0-9]{1,3}(-[0-9]{1,3})?)?\Z"),
        partial_dates().map(str),
    )
)
def test_any_text_parses_back_to_itself_or_is_refused_as_malformed(text: str) -> None:
    try:
        d = D(text)
    except InvalidValue as e:
        assert e.code == "date.malformed"
    else:
        assert str(d) == text
