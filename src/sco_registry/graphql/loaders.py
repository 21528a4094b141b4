"""DataLoaders, made per request (`Context`): the nested fields of a page load their
related records in one statement per kind and per view, whatever the page's size.

Keys carry the view they read with (`known_at`, and `as_of` where the answer depends on
it), so two parts of one query asked at different times never share an answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from strawberry.dataloader import DataLoader

from sco_registry.domain.periods import Span
from sco_registry.domain.time import PartialDate
from sco_registry.graphql import readers
from sco_registry.projections import bodies, documents, meetings, membership, organizations

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Read = Callable[[Callable[[Connection], Any]], Awaitable[Any]]

IdAt = tuple[str, int | None]  # (id, known_at)
BodyAtKey = tuple[str, PartialDate, int | None, Span]


def _grouped(
    read: Read,
    fetch: Callable[..., dict[str, Any]],
    default: Callable[[], Any] = lambda: None,
) -> Callable[[list[tuple[Any, ...]]], Awaitable[Sequence[Any]]]:
    """A batch function over keys `(id, *view)`: one `fetch(conn, ids, *view)` per view."""

    async def load(keys: list[tuple[Any, ...]]) -> Sequence[Any]:
        groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for k in keys:
            groups[k[1:]].append(k[0])

        def work(conn: Connection) -> dict[tuple[Any, ...], Any]:
            found: dict[tuple[Any, ...], Any] = {}
            for view, ids in groups.items():
                got = fetch(conn, sorted(set(ids)), *view)
                for i in ids:
                    found[(i, *view)] = got.get(i, default())
            return found

        found = await read(work)
        return [found[k] for k in keys]

    return load


def _organizations(
    conn: Connection, ids: list[str], known_at: int | None
) -> dict[str, organizations.Organization]:
    wanted = set(ids)
    return {
        o.organization_id: o
        for o in organizations.organizations(conn, known_at)
        if o.organization_id in wanted
    }


def _states(conn: Connection, ids: list[str], known_at: int | None) -> dict[str, Any]:
    wanted = set(ids)
    return {s.code: s for s in readers.states(conn, known_at) if s.code in wanted}


class Loaders:
    """The request's loaders; each batches the keys asked for in one tick of the loop."""

    def __init__(self, read: Read) -> None:
        self.meeting: DataLoader[IdAt, meetings.Meeting | None] = DataLoader(
            _grouped(read, readers.meetings_by_id)
        )
        self.document: DataLoader[IdAt, documents.Document | None] = DataLoader(
            _grouped(read, readers.documents_by_id)
        )
        self.documents_of_meeting: DataLoader[IdAt, list[documents.Document]] = DataLoader(
            _grouped(read, readers.documents_of_meetings, list)
        )
        self.decisions_of_meeting: DataLoader[IdAt, list[membership.StatusPeriod]] = DataLoader(
            _grouped(read, readers.decisions_of_meetings, list)
        )
        self.organization: DataLoader[IdAt, organizations.Organization | None] = DataLoader(
            _grouped(read, _organizations)
        )
        self.state: DataLoader[IdAt, readers.StateRow | None] = DataLoader(_grouped(read, _states))
        self.note: DataLoader[IdAt, readers.RecordNote | None] = DataLoader(
            _grouped(read, readers.record_notes)
        )
        self.body: DataLoader[IdAt, bodies.BodyRecord | None] = DataLoader(
            _grouped(read, readers.body_facts_by_id)
        )
        self.body_periods: DataLoader[IdAt, list[bodies.BodyPeriod]] = DataLoader(
            _grouped(read, readers.body_periods, list)
        )
        self.body_at: DataLoader[BodyAtKey, list[bodies.PeriodAnswer]] = DataLoader(
            _grouped(read, readers.body_periods_at, list)
        )
