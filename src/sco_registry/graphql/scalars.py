"""The API's value shapes: partial dates as given (with precision and bounds), valid periods,
as-of answers, and the parsing of date arguments (a bad one is `input.malformed_date`)."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from sco_registry.domain.errors import RegistryError
from sco_registry.domain.periods import Answer, Period, Span
from sco_registry.domain.time import PartialDate
from sco_registry.graphql.errors import api_error

__all__ = ["JSON", "AnswerValue", "DatePrecision", "PartialDateValue", "SpanValue"]


@strawberry.enum(name="DatePrecision", description="How precisely the sources give a date.")
class DatePrecision(enum.Enum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@strawberry.enum(
    name="Answer",
    description="Whether a fact holds at the date asked about: YES (whatever days imprecise "
    "dates stand for), PERHAPS (for some of them: an imprecise date does not decide), NO.",
)
class AnswerValue(enum.Enum):
    YES = "yes"
    PERHAPS = "perhaps"
    NO = "no"


@strawberry.enum(
    name="Span",
    description="What a question about a year or month asks: SOMETIME (on some day of it, "
    "the default) or THROUGHOUT (on every day of it). For a day both are the same.",
)
class SpanValue(enum.Enum):
    SOMETIME = "sometime"
    THROUGHOUT = "throughout"

    def domain(self) -> Span:
        return Span(self.value)


def answer_value(answer: Answer) -> AnswerValue:
    return AnswerValue(answer.value)


@strawberry.type(
    name="PartialDate",
    description='A date as the sources give it ("2004", "2004-06" or "2004-06-17"): never '
    "an invented day. `lower` and `upper` are the first and last day it may be.",
)
class PartialDateValue:
    """Made once per date (`partial`): its text an attribute, read by the subtree plans
    without a resolver call (a page of 100 meetings formatted 100 dates per request)."""

    text: str = strawberry.field(
        description='The date as given: "YYYY", "YYYY-MM" or "YYYY-MM-DD".'
    )
    date: strawberry.Private[PartialDate]

    @strawberry.field(description="Year, month or day.")
    def precision(self) -> DatePrecision:
        return DatePrecision(self.date.precision.value)

    @strawberry.field(description="The first day the date may stand for.")
    def lower(self) -> dt.date:
        return self.date.lower

    @strawberry.field(description="The last day the date may stand for (inclusive).")
    def upper(self) -> dt.date:
        return self.date.upper

    @strawberry.field(description="True when the date is a day (lower equals upper).")
    def exact(self) -> bool:
        return self.date.lower == self.date.upper


def partial(value: PartialDate | str | None) -> PartialDateValue | None:
    """The API's shape of a date as given (text as stored, or a parsed date); None stays.
    The same value for equal dates (`_value_of`: a `PartialDate` is immutable, and so is
    its value here, which the API only reads)."""
    if value is None or value == "":
        return None
    return _value_of(value if isinstance(value, PartialDate) else PartialDate.parse(value))


@functools.lru_cache(maxsize=1 << 12)
def _value_of(date: PartialDate) -> PartialDateValue:
    return PartialDateValue(text=str(date), date=date)


@strawberry.type(
    name="ValidPeriod",
    description="When a fact held in history: from `start` (inclusive) to `end` (exclusive: "
    "on the end's day the next state holds); no start: from the start of its history; no "
    "end: it still holds, as far as the registry knows.",
)
class ValidPeriodValue:
    period: strawberry.Private[Period]

    @strawberry.field
    def start(self) -> PartialDateValue | None:
        return partial(self.period.start)

    @strawberry.field
    def end(self) -> PartialDateValue | None:
        return partial(self.period.end)

    @strawberry.field(description="True while the period has no end.")
    def open(self) -> bool:
        return self.period.is_open


def valid_period(period: Period) -> ValidPeriodValue:
    return ValidPeriodValue(period=period)


def parse_date(text: str, argument: str) -> PartialDate:
    """A date argument as a `PartialDate`, or the error `input.malformed_date` naming it."""
    try:
        return PartialDate.parse(text)
    except RegistryError as e:
        raise api_error(
            "input.malformed_date",
            f"{argument}: {text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
            argument=argument,
            reason=e.message,
        ) from None


def parse_optional_date(text: str | None, argument: str) -> PartialDate | None:
    """`parse_date` of an argument that may be left out (None: not asked)."""
    return None if text is None else parse_date(text, argument)


def answer_at(period: Period, when: PartialDate, span: Span) -> Answer:
    """Whether `period` holds at `when` under `span` (a day: on that day)."""
    if when.lower == when.upper:
        return period.on(when.lower)
    return period.throughout(when) if span is Span.THROUGHOUT else period.sometime_in(when)


def json_value(value: Any) -> JSON:
    """A plain JSON value (as a read model stores it) as the API's JSON scalar."""
    return cast(JSON, value)
