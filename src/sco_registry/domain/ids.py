"""Record ids and the streams they name.

Every record id is `<kind>/<name>` (`body/rats`) and doubles as the id of its stream; the
prefixes below are the kinds. Two streams are not named by a record: a state's membership
(`membership/<code>`, one stream per state across organizations) and the reference data of
the states (`reference/states`). `streams.stream_of` says which stream each command and
event belongs to.
"""

from __future__ import annotations

ORGANIZATION = "organization/"
BODY = "body/"
MEETING = "meeting/"
DOCUMENT = "document/"
OFFICE = "office/"
MANDATE = "mandate/"
MEMBERSHIP = "membership/"

#: The record kinds, each the prefix of its ids (the membership streams are not records).
RECORD_PREFIXES = (ORGANIZATION, BODY, MEETING, DOCUMENT, OFFICE, MANDATE)

#: The one stream of reference data: the states the registry knows.
STATES_STREAM = "reference/states"


def membership_stream(state: str) -> str:
    """The stream of a state's membership in every organization (`membership/KZ`)."""
    return f"{MEMBERSHIP}{state}"
