"""The offices and mandates families."""

from __future__ import annotations

import dataclasses

import pytest

from sco_registry.domain import mandates as md
from sco_registry.domain import offices as of
from sco_registry.domain.mandates import (
    FulfilMandate,
    MandateFacts,
    MandateFulfilled,
    MandateGiven,
    MandateState,
    RecordMandate,
)
from sco_registry.domain.offices import (
    EndOfficeTerm,
    OfficeFacts,
    OfficeTermEnded,
    OfficeTermRecorded,
    OfficeTermState,
    RecordOfficeTerm,
)
from tests.unit.domain.gwt import KNOWN_STATES, SRC, Spec, d

OFFICES = Spec(of.decide, of.evolve, OfficeTermState())
SECRETARIAT = "body/secretariat"
OFACTS = OfficeFacts(KNOWN_STATES, frozenset({SECRETARIAT}))
TERM = RecordOfficeTerm(
    term_id="office/secretariat/zhang-deguang",
    body_id=SECRETARIAT,
    office="executive_secretary",
    person="Zhang Deguang",
    nationality="CN",
    from_date=d("2004-01"),
    sources=SRC,
)


def test_record_and_end_a_term_with_the_title_of_the_time() -> None:
    (recorded,) = OFFICES.then([], TERM, OFACTS)
    assert isinstance(recorded, OfficeTermRecorded) and recorded.office == "executive_secretary"
    (ended,) = OFFICES.then(
        [recorded], EndOfficeTerm(term_id=TERM.term_id, date=d("2006"), sources=SRC), OFACTS
    )
    assert isinstance(ended, OfficeTermEnded)
    OFFICES.then_rejected(
        [recorded, ended],
        EndOfficeTerm(term_id=TERM.term_id, date=d("2007"), sources=SRC),
        OFACTS,
        "office.term_already_ended",
    )
    OFFICES.then_rejected([recorded], TERM, OFACTS, "office.term_already_recorded")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"body_id": "body/none"}, "reference.unknown_body"),
        ({"nationality": "XX"}, "reference.unknown_state"),
        ({"to_date": d("2003")}, "date.end_before_start"),
        ({"person": ""}, "office.incomplete"),
    ],
)
def test_term_rules(changes: dict[str, object], code: str) -> None:
    OFFICES.then_rejected([], dataclasses.replace(TERM, **changes), OFACTS, code)  # type: ignore[arg-type]


def test_a_term_of_year_dates_within_one_year_is_accepted() -> None:
    assert OFFICES.then(
        [], dataclasses.replace(TERM, from_date=d("2010"), to_date=d("2010-03")), OFACTS
    )


def test_ending_rules() -> None:
    cmd = EndOfficeTerm(term_id=TERM.term_id, date=d("2003"), sources=SRC)
    OFFICES.then_rejected([], cmd, OFACTS, "reference.unknown_office_term")
    (recorded,) = OFFICES.then([], TERM, OFACTS)
    OFFICES.then_rejected([recorded], cmd, OFACTS, "date.end_before_start")


MANDATES = Spec(md.decide, md.evolve, MandateState())
CHS, CNC, DECL = (
    "body/heads_of_state_council",
    "body/national_coordinators_council",
    "document/astana-2005",
)
MFACTS = MandateFacts(frozenset({CHS, CNC, DECL, "meeting/heads_of_state/2006"}))
MANDATE = RecordMandate(
    mandate_id="mandate/2005-07-05/secretariat-head-title",
    by_body=CHS,
    to_body=CNC,
    date=d("2005-07-05"),
    task="Propose renaming the head of the Secretariat",
    document=DECL,
    due_date=d("2006"),
    sources=SRC,
)


def test_give_and_fulfil_a_mandate() -> None:
    (given,) = MANDATES.then([], MANDATE, MFACTS)
    assert isinstance(given, MandateGiven) and given.due_date == d("2006")
    (done,) = MANDATES.then(
        [given], FulfilMandate(mandate_id=MANDATE.mandate_id, date=d("2006"), sources=SRC), MFACTS
    )
    assert isinstance(done, MandateFulfilled)
    MANDATES.then_rejected(
        [given, done],
        FulfilMandate(mandate_id=MANDATE.mandate_id, date=d("2007"), sources=SRC),
        MFACTS,
        "mandate.already_fulfilled",
    )
    MANDATES.then_rejected([given], MANDATE, MFACTS, "mandate.already_recorded")


def test_a_mandate_due_at_a_meeting() -> None:
    cmd = dataclasses.replace(MANDATE, due_date=None, due_meeting="meeting/heads_of_state/2006")
    (given,) = MANDATES.then([], cmd, MFACTS)
    assert isinstance(given, MandateGiven) and given.due_meeting == "meeting/heads_of_state/2006"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"by_body": "body/none"}, "reference.unknown_body"),
        ({"to_body": "body/none"}, "reference.unknown_body"),
        ({"document": "document/none"}, "reference.unknown_document"),
        ({"due_meeting": "meeting/none"}, "reference.unknown_meeting"),
        ({"due_date": d("2004")}, "date.end_before_start"),
        ({"task": " "}, "mandate.missing_task"),
    ],
)
def test_mandate_rules(changes: dict[str, object], code: str) -> None:
    MANDATES.then_rejected([], dataclasses.replace(MANDATE, **changes), MFACTS, code)  # type: ignore[arg-type]


def test_fulfil_rules() -> None:
    cmd = FulfilMandate(mandate_id=MANDATE.mandate_id, date=d("2004"), sources=SRC)
    MANDATES.then_rejected([], cmd, MFACTS, "reference.unknown_mandate")
    (given,) = MANDATES.then([], MANDATE, MFACTS)
    MANDATES.then_rejected([given], cmd, MFACTS, "date.end_before_start")
