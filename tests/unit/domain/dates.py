"""Hypothesis strategies of partial dates, for the tests of `domain/time.py` and `periods.py`."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from sco_registry.domain.time import PartialDate, Precision


@st.composite
def partial_dates(
    draw: st.DrawFn, min_value: dt.date = dt.date(1, 1, 1), max_value: dt.date = dt.date.max
) -> PartialDate:
    """Any partial date: a day drawn, then kept to a year, a month or the day."""
    d = draw(st.dates(min_value=min_value, max_value=max_value))
    precision = draw(st.sampled_from(Precision))
    if precision is Precision.YEAR:
        return PartialDate(d.year)
    if precision is Precision.MONTH:
        return PartialDate(d.year, d.month)
    return PartialDate.of(d)


# Dates of a few years, so that comparisons between them are often close calls.
near_dates = partial_dates(min_value=dt.date(2003, 1, 1), max_value=dt.date(2005, 12, 31))


@st.composite
def day_in(draw: st.DrawFn, d: PartialDate) -> dt.date:
    return draw(st.dates(min_value=d.lower, max_value=d.upper))
