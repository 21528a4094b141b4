"""Helpers of the write-side API tests: tokens, a mutation call, and a scenario that runs
every command mutation once on top of the bundled history, in an order the rules accept."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sco_registry.config import Settings
from sco_registry.graphql.auth import Role, issue_token
from tests.api.conftest import Api, _copy, _serve

SRC = [{"title": "Test source", "url": "https://example.org/test"}]
_keys = itertools.count(1)


# The `api` fixture's client holds the registry behind the app (to read the log) already.
RegistryApi = Api


@pytest.fixture
async def registry_api(writable_url: str) -> AsyncIterator[RegistryApi]:
    """As `api` (a writable copy of the bundled history, on SQLite and PostgreSQL)."""
    async for served in _serve(writable_url):
        yield served


@pytest.fixture
async def sqlite_api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RegistryApi]:
    """As `registry_api`, on SQLite only: for what does not depend on the database."""
    url = next(_copy(request, "sqlite", tmp_path))
    async for served in _serve(url):
        yield served


def token(*roles: Role, subject: str = "alice@test", ttl: float = 86_400, **settings: Any) -> str:
    return issue_token(
        Settings(**settings), subject=subject, roles=roles, ttl=dt.timedelta(seconds=ttl)
    )


def bearer(tok: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tok}"}


RESULT = """
  __typename
  ... on MutationSuccess { position firstPosition recordId streamId version replayed
                           eventsAppended events { eventId position streamId version type hash }
                           record { __typename ...on State { code }
                                    ...on Organization { id } ...on Body { id } ...on Meeting { id }
                                    ...on Document { id } ...on OfficeTerm { id }
                                    ...on Mandate { id } } }
  ... on MutationError { code message details }
"""


async def mutate(
    api: Api,
    name: str,
    input: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    key: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Run mutation `name` with `input`; its result object (the union member)."""
    input_type = name[0].upper() + name[1:] + "Input"
    document = (
        f"mutation($input: {input_type}!, $key: String!, $v: Int) "
        f"{{ r: {name}(input: $input, idempotencyKey: $key, expectedVersion: $v) {{ {RESULT} }} }}"
    )
    variables = {"input": input, "key": key or f"k{next(_keys)}", "v": expected_version}
    body = await api.query(document, variables, **(headers or {}))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["r"]
    return result


def scenario() -> list[tuple[str, dict[str, Any]]]:
    """Every command mutation once, each valid on the bundled history and the steps before
    it: a test forum, a council with its meetings, a convention's lifecycle, an office
    term, a mandate, membership, then a correction and a retraction (added by the test,
    which needs the ids of events appended here)."""
    council, forum = "body/test-council", "organization/test-forum"
    convention, successor = "document/test-convention", "document/test-convention-2"
    m21, m22, m23 = (f"meeting/test-council/{y}" for y in (2021, 2022, 2023))
    term, mandate = "office/test-council/secretary/1", "mandate/test-council/1"
    return [
        ("registerState", {"code": "TM", "name": "Turkmenistan", "sources": SRC}),
        ("foundOrganization", {"organizationId": forum, "name": "Test Forum",
                               "foundedOn": "2020", "foundingMembers": ["KZ", "UZ"],
                               "sources": SRC}),
        ("adoptPrinciples", {"organizationId": forum, "kind": "PRINCIPLES",
                             "texts": ["mutual trust"], "date": "2020", "sources": SRC}),
        ("recordBody", {"bodyId": council, "name": "Test Council", "category": "COUNCIL",
                        "status": "DECIDED", "decidedOn": "2020-01", "sources": SRC}),
        ("establishBody", {"bodyId": council, "date": "2020-03", "seat": "Tashkent",
                           "seatState": "UZ", "sources": SRC}),
        ("renameBody", {"bodyId": council, "date": "2020-06", "name": "Test Council II",
                        "sources": SRC}),
        ("relocateSeat", {"bodyId": council, "date": "2020-09", "seat": "Almaty",
                          "seatState": "KZ", "sources": SRC}),
        ("approveBodyRules", {"bodyId": council, "title": "Rules of procedure",
                              "date": "2020-10", "sources": SRC}),
        ("recordMeeting", {"meetingId": m21, "bodyId": council, "startDate": "2021-05-01",
                           "city": "Almaty", "hostState": "KZ", "sources": SRC}),
        ("scheduleMeeting", {"meetingId": m22, "bodyId": council, "startDate": "2022-05",
                             "sources": SRC}),
        ("postponeMeeting", {"meetingId": m22, "date": "2022-04", "newStartDate": "2022-09",
                             "sources": SRC}),
        ("moveMeeting", {"meetingId": m22, "date": "2022-06", "city": "Tashkent",
                         "hostState": "UZ", "sources": SRC}),
        ("holdMeeting", {"meetingId": m22, "startDate": "2022-09-15", "sources": SRC}),
        ("scheduleMeeting", {"meetingId": m23, "bodyId": council, "startDate": "2023-05",
                             "sources": SRC}),
        ("cancelMeeting", {"meetingId": m23, "date": "2023-03", "sources": SRC}),
        ("mandateDrafting", {"documentId": convention, "title": "Test Convention",
                             "category": "CONVENTION", "date": "2021-05-01",
                             "mandatedBy": council, "mandatedTo": council, "sources": SRC}),
        ("recordDraft", {"documentId": convention, "date": "2021-12", "draftedBy": council,
                         "sources": SRC}),
        ("recordDocument", {"documentId": convention, "title": "Test Convention",
                            "category": "CONVENTION", "signedOn": "2022-09-15", "meeting": m22,
                            "parties": ["KZ", "UZ"], "sources": SRC}),
        ("ratifyDocument", {"documentId": convention, "state": "UZ", "date": "2023-02",
                            "sources": SRC}),
        ("bringDocumentIntoForce", {"documentId": convention, "date": "2023-06",
                                    "sources": SRC}),
        ("recordDocument", {"documentId": successor, "title": "Test Convention (revised)",
                            "category": "CONVENTION", "signedOn": "2024-01",
                            "parties": ["KZ", "UZ"], "sources": SRC}),
        ("supersedeDocument", {"documentId": convention, "supersededBy": successor,
                               "date": "2024-01", "sources": SRC}),
        ("recordFoundingDocument", {"organizationId": forum, "documentId": convention,
                                    "sources": SRC}),
        ("recordMembershipChange", {"organizationId": forum, "state": "TM", "date": "2021",
                                    "change": "STATUS_GRANTED", "statusAfter": "OBSERVER",
                                    "sources": SRC}),
        ("admitMember", {"organizationId": forum, "state": "TM", "date": "2022",
                         "sources": SRC}),
        ("recordOfficeTerm", {"termId": term, "bodyId": council, "office": "secretary",
                              "person": "A. Tester", "fromDate": "2021", "sources": SRC}),
        ("endOfficeTerm", {"termId": term, "date": "2023", "sources": SRC}),
        ("recordMandate", {"mandateId": mandate, "byBody": council, "toBody": council,
                           "date": "2021-05-01", "task": "draft a convention", "sources": SRC}),
        ("fulfilMandate", {"mandateId": mandate, "date": "2022-09-15", "document": convention,
                           "sources": SRC}),
        ("dissolveBody", {"bodyId": council, "date": "2025", "sources": SRC}),
    ]  # fmt: skip
