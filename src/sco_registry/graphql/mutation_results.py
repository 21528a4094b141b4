"""What a mutation returns: a success with what was appended, or one of the typed errors,
each with a stable code (the error tree's), a message and details.

Expected failures are data, not GraphQL errors: a client switches on `__typename` (or on
`code`), and a request that failed this way appended nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Union

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from sco_registry.domain.errors import IntegrityViolation, InvalidValue, NotFound, RegistryError
from sco_registry.graphql.auth import AuthError
from sco_registry.graphql.context import Context
from sco_registry.graphql.nodes import Node, resolve_node
from sco_registry.graphql.reading import View, wait_for
from sco_registry.importer.problems import ImportProblem
from sco_registry.store.errors import IdempotencyConflict, WrongExpectedVersion


@strawberry.type(description="An event a mutation appended (or, replayed, had appended).")
class AppendedEvent:
    event_id: strawberry.ID = strawberry.field(description="The event's id.")
    position: int = strawberry.field(description="Its position in the log.")
    stream_id: str = strawberry.field(description="The stream it was appended to.")
    version: int = strawberry.field(description="Its version in that stream.")
    type: str = strawberry.field(description="The event type (MemberAdmitted, ...).")
    hash: str = strawberry.field(description="Its hash in the log's chain.")


@strawberry.type(
    description="The command was recorded. Query with `minPosition: position` to read it back."
)
class MutationSuccess:
    position: int = strawberry.field(
        description="The log position of the last event appended (the head, when the command "
        "had nothing new to record)."
    )
    first_position: int | None = strawberry.field(description="The first event's position.")
    record_id: str = strawberry.field(
        description="The record the command is about (`meeting/heads_of_state/2002`)."
    )
    stream_id: str = strawberry.field(description="The command's own stream.")
    version: int = strawberry.field(
        description="That stream's version after the command: the next expectedVersion."
    )
    replayed: bool = strawberry.field(
        description="The idempotency key was used before: nothing new was appended, and this "
        "is the first outcome."
    )
    events_appended: int = strawberry.field(description="How many events this request added.")
    events: list[AppendedEvent] = strawberry.field(description="The command's events.")

    @strawberry.field(
        description="The object the command affected (the entity `recordId` names; a "
        "membership change: the state), read as the registry knew it at `position`: null "
        "when that record is not in view then (a retraction removed it)."
    )
    async def record(self, info: Info[Context, None]) -> Node | None:
        await wait_for(info, self.position)
        return await resolve_node(info, self.record_id, View(known_at=self.position))


@strawberry.interface(description="An expected failure: nothing was appended.")
class MutationError:
    code: str = strawberry.field(description="Stable code (`membership.already_member`).")
    message: str = strawberry.field(description="For people.")
    details: JSON | None = strawberry.field(description="What the code is about, as JSON.")


@strawberry.type(description="The command breaks an integrity rule of the registry.")
class IntegrityError(MutationError):
    pass


@strawberry.type(
    description="Another write came first: the expected version did not hold, or the "
    "idempotency key was used for another command. Read again, decide again."
)
class ConflictError(MutationError):
    pass


@strawberry.type(description="The command refers to something the registry does not hold.")
class NotFoundError(MutationError):
    pass


@strawberry.type(description="A value of the input is malformed (a date, a code, an id).")
class InvalidInputError(MutationError):
    pass


@strawberry.type(
    description="No valid bearer token with the writer role: no token, a bad or expired "
    "one, or a reader's. Nothing was read or appended."
)
class UnauthorizedError(MutationError):
    pass


@strawberry.type(description="A problem the importer found in a history file.")
class ImportProblemItem:
    file: str
    record_id: str | None
    field: str | None
    code: str
    message: str


@strawberry.type(description="The history file was refused: nothing from it was appended.")
class ImportRejectedError(MutationError):
    problems: list[ImportProblemItem] = strawberry.field(description="Every problem found.")


@strawberry.type(description="The history file was imported (or checked, with `checkOnly`).")
class ImportSuccess:
    position: int = strawberry.field(description="The log's head after the import.")
    records_read: int
    events_appended: int = strawberry.field(
        description="Events appended (with checkOnly: that the import would append)."
    )
    already_imported: int = strawberry.field(description="Records found in the log already.")
    revised: int = strawberry.field(description="Records appended as corrections.")
    checked_only: bool


ERRORS = (IntegrityError, ConflictError, NotFoundError, InvalidInputError, UnauthorizedError)
ErrorType = IntegrityError | ConflictError | NotFoundError | InvalidInputError | UnauthorizedError


def result_union(name: str) -> Any:
    """`<name>`: the union a command's mutation returns (`AdmitMemberResult`)."""
    return Annotated[
        Union[(MutationSuccess, *ERRORS)],
        strawberry.union(name, description=f"What {name.removesuffix('Result')} gave."),
    ]


ImportHistoryResult = Annotated[
    ImportSuccess | ImportRejectedError | InvalidInputError | UnauthorizedError,
    strawberry.union("ImportHistoryResult", description="What importHistory gave."),
]


def as_error(e: RegistryError) -> ErrorType:
    """The typed error of an expected failure (the error tree's class decides the type)."""
    kind: type[ErrorType]
    if isinstance(e, AuthError):
        kind = UnauthorizedError
    elif isinstance(e, WrongExpectedVersion | IdempotencyConflict):
        kind = ConflictError
    elif isinstance(e, NotFound):
        kind = NotFoundError
    elif isinstance(e, IntegrityViolation):
        kind = IntegrityError
    elif isinstance(e, InvalidValue):
        kind = InvalidInputError
    else:
        # Any other RegistryError a command can raise is about its input (a domain rule
        # outside the three families); the environment's (store, database, projection)
        # are not expected here and are left to propagate (`is_expected`).
        kind = InvalidInputError
    return kind(code=e.code, message=e.message, details=as_json(e.details))


def as_json(details: Mapping[str, Any] | None) -> JSON | None:
    """Details as the JSON scalar (None when there are none)."""
    return JSON(dict(details)) if details else None


def problem_item(p: ImportProblem, names: Mapping[str, str]) -> ImportProblemItem:
    """The problem, its file renamed by `names` (a path to the name the client gave)."""
    message = p.message
    for path, name in names.items():
        message = message.replace(path, name)
    return ImportProblemItem(
        file=names.get(p.file, p.file),
        record_id=p.record_id,
        field=p.field,
        code=p.code,
        message=message,
    )
