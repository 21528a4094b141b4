"""The organizations read model: the SCO and its predecessor, one row per version
(`projections/records.py`).

Facts come from the organization's events as corrected: name, abbreviation, founding date
(the valid period runs from it to the succession, where one is recorded), place, founding
document, predecessor, successor, purposes, the Shanghai spirit and the principles (each the
texts adopted, with the document adopting them). The founding members are read from the
membership model: the states whose party status in the organization began on its founding
date, or who hold the founding-member status there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sco_registry.domain.folding import StoredEvent
from sco_registry.domain.ids import ORGANIZATION
from sco_registry.domain.membership import PARTY_STATUSES, MembershipStatus
from sco_registry.domain.periods import Answer, Period, RecordPeriod, Span
from sco_registry.domain.time import PartialDate
from sco_registry.projections import asof, bitemporal, membership
from sco_registry.projections.base import Tables, metadata
from sco_registry.projections.records import ROWS, RecordProjection, known, made_by

_TEXTS = {
    "PurposesAdopted": "purposes",
    "ShanghaiSpiritAdopted": "shanghai_spirit",
    "PrinciplesAdopted": "principles",
}


class OrganizationsProjection(RecordProjection):
    name = "organizations"
    version = 1
    prefix = ORGANIZATION
    columns = (
        ("name", sa.Text()),
        ("abbreviation", sa.Text()),
        ("founded_on", sa.Text()),
        ("founded_at", sa.Text()),
        ("founding_document", sa.Text()),
        ("predecessor", sa.Text()),
        ("successor", sa.Text()),
        ("succeeded_on", sa.Text()),
        ("purposes", sa.JSON()),
        ("shanghai_spirit", sa.JSON()),
        ("principles", sa.JSON()),
    )

    def facts(self, held: Sequence[StoredEvent]) -> dict[str, Any] | None:
        f: dict[str, Any] = {c: None for c, _ in self.columns}
        founded = False
        for e in held:
            d, when = e.data, e.data.get("valid_time")
            if e.type == "OrganizationFounded":
                founded = True
                for c in ("name", "abbreviation", "founded_at", "founding_document", "predecessor"):
                    f[c] = d.get(c)
                f["founded_on"] = when
            elif e.type == "FoundingDocumentRecorded":
                f["founding_document"] = d.get("document_id")
            elif e.type in _TEXTS:
                f[_TEXTS[e.type]] = {
                    "texts": list(d.get("texts") or []),
                    "document": d.get("document"),
                }
            elif e.type == "OrganizationSucceeded":
                f["successor"], f["succeeded_on"] = d.get("successor"), when
        if not founded:
            return None
        return {**f, **bitemporal.valid_columns(f["founded_on"], f["succeeded_on"])}


LIVE: Tables = OrganizationsProjection.define(metadata)
OrganizationsProjection.tables = LIVE


# --- read functions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Organization:
    organization_id: str
    name: str | None
    abbreviation: str | None
    founded_on: PartialDate | None
    founded_at: str | None
    founding_document: str | None
    founding_members: tuple[str, ...]
    predecessor: str | None
    successor: str | None
    succeeded_on: PartialDate | None
    purposes: dict[str, Any] | None
    shanghai_spirit: dict[str, Any] | None
    principles: dict[str, Any] | None
    period: Period
    events: tuple[tuple[Any, int], ...]
    sources: tuple[dict[str, Any], ...]
    record: RecordPeriod
    recorded_at: str
    # Asked as of a date: did the organization exist then, founded and not yet succeeded
    # (yes, perhaps, no)? None: not asked.
    answer: Answer | None = None


def _date(text: str | None) -> PartialDate | None:
    return asof.date_of(text)


def _founders(
    conn: Connection, org: str, founded_on: str | None, known_at: int | None
) -> tuple[str, ...]:
    periods = membership.LIVE[membership.PERIODS]
    began_then = sa.and_(
        periods.c.valid_from == founded_on, periods.c.status.in_([str(s) for s in PARTY_STATUSES])
    )
    query = (
        sa.select(periods.c.state)
        .where(
            periods.c.organization_id == org,
            known(periods, known_at),
            sa.or_(began_then, periods.c.status == str(MembershipStatus.FOUNDING_MEMBER)),
        )
        .distinct()
        .order_by(periods.c.state)
    )
    return tuple(s for (s,) in conn.execute(query))


def _row(conn: Connection, m: sa.RowMapping, known_at: int | None) -> Organization:
    return Organization(
        organization_id=m["record_id"],
        name=m["name"],
        abbreviation=m["abbreviation"],
        founded_on=_date(m["founded_on"]),
        founded_at=m["founded_at"],
        founding_document=m["founding_document"],
        founding_members=_founders(conn, m["record_id"], m["founded_on"], known_at),
        predecessor=m["predecessor"],
        successor=m["successor"],
        succeeded_on=_date(m["succeeded_on"]),
        purposes=m["purposes"],
        shanghai_spirit=m["shanghai_spirit"],
        principles=m["principles"],
        period=asof.period_of(m),
        events=made_by(m),
        sources=tuple(m["sources"]),
        record=RecordPeriod(m["recorded_from"], m["recorded_to"]),
        recorded_at=m["recorded_at"],
        answer=asof.answer_in(m),
    )


def organization(
    conn: Connection,
    org_id: str,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> Organization | None:
    """The organization as known at `known_at` (None: now); None if not recorded then. With
    `as_of`, its `answer` says whether it existed then: from its founding to its succession."""
    table = (tables or LIVE)[ROWS]
    query = sa.select(*_columns(table, as_of, span)).where(
        table.c.record_id == org_id, known(table, known_at)
    )
    found = conn.execute(query).mappings().first()
    return None if found is None else _row(conn, found, known_at)


def _columns(table: sa.Table, as_of: asof.AsOf | None, span: Span) -> list[Any]:
    if as_of is None:
        return [table]
    return [table, asof.answer_column(table, as_of, span, asof.Rule.PERIOD)]


def organizations(
    conn: Connection,
    known_at: int | None = None,
    *,
    as_of: asof.AsOf | None = None,
    span: Span = Span.SOMETIME,
    tables: Tables | None = None,
) -> list[Organization]:
    """Every organization as known at `known_at`, by founding date; `as_of` keeps those that
    existed, or may have existed, then (`organization`), each with its `answer`."""
    table = (tables or LIVE)[ROWS]
    conditions: list[Any] = [known(table, known_at)]
    if as_of is not None:
        conditions.append(asof.possible(table, as_of, span, asof.Rule.PERIOD))
    query = (
        sa.select(*_columns(table, as_of, span))
        .where(*conditions)
        .order_by(table.c.valid_from_lo, table.c.record_id)
    )
    return [_row(conn, m, known_at) for m in conn.execute(query).mappings()]
