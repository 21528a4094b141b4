"""A partial date's API value (`scalars.partial`) is made once per date: its text, an
attribute, is the date as given for every precision; equal dates (from text or parsed)
share one value, different dates do not."""

from __future__ import annotations

from sco_registry.domain.time import PartialDate
from sco_registry.graphql.scalars import PartialDateValue, partial


def test_a_date_value_is_made_once_and_answers_its_text() -> None:
    for text in ("2004", "2004-06", "2004-06-17", "0999-01-02"):
        value = partial(text)
        assert isinstance(value, PartialDateValue)
        assert value.text == text == str(value.date)
        assert partial(PartialDate.parse(text)) is value
    assert partial(None) is None and partial("") is None
    # The control: other dates, other values.
    assert partial("2004-06") is not partial("2004-07")
    assert partial("2004") is not partial("2004-01")
