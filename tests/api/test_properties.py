"""Hypothesis over query arguments, over HTTP: for any date and span, `members` answers as
the period rules of docs/time.md say from each answer's own period (and as the read function
does); any text given as a date is either answered or refused with `input.malformed_date`,
never another error."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sco_registry.app import create_app
from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.domain.errors import RegistryError
from sco_registry.domain.membership import MembershipStatus
from sco_registry.domain.periods import Period, Span
from sco_registry.domain.time import PartialDate
from sco_registry.graphql.scalars import answer_at
from sco_registry.projections import membership
from tests.pg import run_in_thread

MEMBERS = """
query ($asOf: String!, $span: Span) {
  members(organization: "organization/sco", asOf: $asOf, span: $span, first: 100,
          statuses: [FOUNDING_MEMBER, MEMBER, OBSERVER, DIALOGUE_PARTNER, PARTNER]) {
    nodes { answer certain state { code }
            period { validPeriod { start { text } end { text } } } }
  }
}
"""

dates = st.builds(
    lambda y, m, d: PartialDate.parse(
        f"{y:04d}" + ("" if m is None else f"-{m:02d}" + ("" if d is None else f"-{d:02d}"))
    ),
    st.integers(1995, 2013),
    st.none() | st.integers(1, 12),
    st.none() | st.integers(1, 28),
)
PROPERTY = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


async def _ask(url: str, document: str, variables: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    async with open_registry(Settings(database_url=url)) as registry:
        transport = httpx.ASGITransport(app=create_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = (
                await client.post("/graphql", json={"query": document, "variables": variables})
            ).json()
        try:
            day = PartialDate.parse(variables["asOf"])
        except RegistryError:  # not a date: nothing to compare with
            return body, None
        span = Span(variables.get("span", "SOMETIME").lower())
        statuses = set(MembershipStatus) - {MembershipStatus.SHANGHAI_FIVE_PARTICIPANT}
        direct = await registry.projections.read(
            lambda conn: membership.members_on(
                conn, "organization/sco", day, span=span, statuses=statuses
            )
        )
        return body, direct


def _period(node: dict[str, Any]) -> Period:
    valid = node["period"]["validPeriod"]
    return Period.parse(
        valid["start"] and valid["start"]["text"], valid["end"] and valid["end"]["text"]
    )


@PROPERTY
@given(as_of=dates, span=st.sampled_from(["SOMETIME", "THROUGHOUT"]))
def test_members_answer_by_the_period_rules(
    read_only_url: str, as_of: PartialDate, span: str
) -> None:
    body, direct = run_in_thread(_ask(read_only_url, MEMBERS, {"asOf": str(as_of), "span": span}))
    assert "errors" not in body, body
    nodes = body["data"]["members"]["nodes"]
    for node in nodes:
        expected = answer_at(_period(node), as_of, Span(span.lower()))
        assert node["answer"] == expected.value.upper()
        assert node["certain"] == (node["answer"] == "YES")
    assert [(n["state"]["code"], n["answer"]) for n in nodes] == [
        (a.state, a.answer.value.upper()) for a in direct
    ]


@PROPERTY
@given(
    text=st.text(max_size=12) | st.from_regex(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", fullmatch=True)
)
def test_any_date_text_is_answered_or_refused_with_its_code(read_only_url: str, text: str) -> None:
    body, direct = run_in_thread(_ask(read_only_url, MEMBERS, {"asOf": text}))
    if direct is None:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["input.malformed_date"]
    else:
        assert "errors" not in body, body
        assert len(body["data"]["members"]["nodes"]) == len(direct)
