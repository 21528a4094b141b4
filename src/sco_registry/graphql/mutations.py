"""The root mutation type: one mutation per command of the application (the bus's table of
handlers), and `importHistory`. Every write goes through `application.handle` (or the
importer, which calls it); nothing here touches the store but to read back what was
appended.

Each command mutation takes `input` (`<Command>Input`), `idempotencyKey` and an optional
`expectedVersion` of the command's own stream, and returns `<Command>Result`: a
`MutationSuccess` or a typed error. Order of checks: the writer's token first (a request
without one reads nothing and appends nothing), then the input, then the command. The
actor recorded is the token's subject; the idempotency key is kept per subject
(`<subject>:<key>`), so two writers cannot replay or block each other's keys.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types import Info

from sco_registry.application import CommandContext, handle
from sco_registry.application.bus import HANDLERS
from sco_registry.domain import ids
from sco_registry.domain.errors import InvalidValue, RegistryError
from sco_registry.domain.streams import stream_of
from sco_registry.graphql.auth import AuthError, Principal, require_writer
from sco_registry.graphql.command_inputs import CommandInput, derive_input
from sco_registry.graphql.context import Context
from sco_registry.graphql.errors import is_expected
from sco_registry.graphql.mutation_results import (
    AppendedEvent,
    ErrorType,
    ImportHistoryResult,
    ImportRejectedError,
    ImportSuccess,
    InvalidInputError,
    MutationSuccess,
    UnauthorizedError,
    as_error,
    as_json,
    problem_item,
    result_union,
)
from sco_registry.graphql.nodes import STATE_PREFIX
from sco_registry.importer.load import import_files

MAX_IDEMPOTENCY_KEY = 200


def mutation_name(command: type[Any]) -> str:
    """`AdmitMember` -> `admitMember`."""
    return command.__name__[0].lower() + command.__name__[1:]


def _record_id(command: object, stream: str) -> str:
    """The record a command is about: its most specific `*_id` field naming a record (a
    meeting's `meeting_id` before its `body_id`, ...; a correction's `stream_id`), a
    registered state (`state/TM`), else its stream (a state's membership)."""
    for name in ("term_id", "mandate_id", "document_id", "meeting_id", "body_id"):
        value = getattr(command, name, None)
        if isinstance(value, str):
            return value
    if hasattr(command, "state") and hasattr(command, "organization_id"):
        return stream  # a membership change: the state's membership stream
    code = getattr(command, "code", None)
    if stream == ids.STATES_STREAM and isinstance(code, str):
        return f"{STATE_PREFIX}{code}"  # a registration: the state is the record
    value = getattr(command, "organization_id", None)
    return value if isinstance(value, str) else stream


def _check_key(key: str) -> str:
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidValue(
            f"an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY} characters, not blank",
            code="input.invalid_idempotency_key",
        )
    return key


async def run_command(
    info: Info[Context, None],
    spec: CommandInput,
    value: object,
    idempotency_key: str,
    expected_version: int | None,
) -> MutationSuccess | ErrorType:
    """Authorize, build the command from `value`, handle it, and report what it appended."""
    try:
        principal = require_writer(info)
        key = f"{principal.subject}:{_check_key(idempotency_key)}"
        command = spec.to_command(value)
        store = info.context.registry.store
        ctx = CommandContext(
            actor=principal.subject,
            correlation_id=info.context.request_id,
            idempotency_key=key,
            expected_version=expected_version,
        )
        result = await handle(command, store, ctx)
    except RegistryError as e:
        if not is_expected(e):
            raise
        return as_error(e)
    primary = result.stream_ids[0] if result.stream_ids else stream_of(command)
    if not _selects(info, _READ_BACK):
        # Neither the events nor the version asked for: not read back (their fields left
        # empty are in no response).
        return MutationSuccess(
            position=result.last_position or await store.head_position(),
            first_position=result.first_position,
            record_id=_record_id(command, primary),
            stream_id=primary,
            version=0,
            replayed=result.replayed,
            events_appended=result.events_appended,
            events=[],
        )
    events: list[AppendedEvent] = []
    if result.first_position is not None and result.last_position is not None:
        span = result.last_position - result.first_position + 1
        recorded = await store.read_all(after=result.first_position - 1, limit=span)
        events = [
            AppendedEvent(
                event_id=strawberry.ID(str(r.event_id)),
                position=r.position,
                stream_id=r.stream_id,
                version=r.stream_version,
                type=r.type,
                hash=r.hash,
            )
            for r in recorded
            if r.metadata.get("idempotency_key") == key
        ]
    own = [e.version for e in events if e.stream_id == primary]
    version = max(own) if own else await store.stream_version(primary)
    if result.replayed:
        # The stream may have moved on since: the version a client should expect is now.
        version = await store.stream_version(primary)
    position = result.last_position or await store.head_position()
    return MutationSuccess(
        position=position,
        first_position=result.first_position,
        record_id=_record_id(command, primary),
        stream_id=primary,
        version=version,
        replayed=result.replayed,
        events_appended=result.events_appended,
        events=events,
    )


# The fields of a `MutationSuccess` that need its events read back from the log.
_READ_BACK = frozenset({"events", "version"})


def _selects(info: Info[Context, None], names: frozenset[str]) -> bool:
    """Whether the request may select a field named in `names` under this mutation's
    result (at any depth, in any fragment: a name anywhere counts, whichever type it is
    on). True whenever the selection cannot be told from the document alone (a fragment
    not found, a selection of another kind)."""
    raw = info._raw_info
    fragments = raw.fragments

    def named(selections: SelectionSetNode | None, seen: frozenset[str]) -> bool:
        if selections is None:
            return False
        for node in selections.selections:
            if isinstance(node, FieldNode):
                if node.name.value in names or named(node.selection_set, seen):
                    return True
            elif isinstance(node, InlineFragmentNode):
                if named(node.selection_set, seen):
                    return True
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = fragments.get(name)
                if fragment is None:
                    return True
                if name not in seen and named(fragment.selection_set, seen | {name}):
                    return True
            else:
                return True
        return False

    return any(named(node.selection_set, frozenset()) for node in raw.field_nodes)


Resolver = Callable[..., Awaitable[Any]]


def _resolver(spec: CommandInput) -> Resolver:
    async def resolve(
        info: Info[Context, None],
        input: Any,
        idempotency_key: str,
        expected_version: int | None = None,
    ) -> Any:
        return await run_command(info, spec, input, idempotency_key, expected_version)

    # Strawberry reads the argument types from the annotations: this command's input type.
    resolve.__annotations__ = {
        "info": Info[Context, None],
        "input": spec.input_type,
        "idempotency_key": _described(
            str, "Repeat a request with the same key: it is recorded once (per writer)."
        ),
        "expected_version": _described(
            int | None,
            "The version of the command's own stream the client last saw (0: none yet); "
            "a ConflictError if it has moved.",
        ),
        "return": result_union(f"{spec.command.__name__}Result"),
    }
    return resolve


def _described(kind: Any, description: str) -> Any:
    return Annotated[kind, strawberry.argument(description=description)]


def _description(spec: CommandInput) -> str:
    return (
        f"Run the {spec.command.__name__} command (writer role).\n\n"
        + (spec.input_type.__strawberry_definition__.description or "")
    ).strip()


# --- importing a history file -------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@strawberry.input(description="A history file (`sco-registry-history/1`) and how to import it.")
class ImportHistoryInput:
    text: str = strawberry.field(description="The file's text (JSON).")
    name: str = strawberry.field(
        default="history.json", description="The file's name, as problems will name it."
    )
    accept_revisions: bool = strawberry.field(
        default=False, description="Record changed records as corrections (not a conflict)."
    )
    check_only: bool = strawberry.field(
        default=False, description="Validate and rehearse only: nothing is appended."
    )


async def import_history(
    info: Info[Context, None], input: ImportHistoryInput
) -> ImportHistoryResult:
    """Import a history file's text as `sco-registry import` would; the actor is the token's
    subject. Idempotent by its record ids: importing the same file again appends nothing."""
    try:
        principal: Principal = require_writer(info)
    except AuthError as e:
        return UnauthorizedError(code=e.code, message=e.message, details=as_json(e.details))
    name = _SAFE_NAME.sub("_", Path(input.name).name) or "history.json"
    registry = info.context.registry
    with tempfile.TemporaryDirectory(prefix="sco-import-") as directory:
        path = Path(directory) / name
        await asyncio.to_thread(path.write_text, input.text, encoding="utf-8")
        correlation = info.context.request_id

        def ctx_factory(key: str) -> CommandContext:
            return CommandContext(
                actor=principal.subject, correlation_id=correlation, idempotency_key=key
            )

        try:
            summary = await import_files(
                [path],
                registry.store,
                ctx_factory=ctx_factory,
                check_only=input.check_only,
                accept_revisions=input.accept_revisions,
                scratch_store=registry.scratch_store,
            )
        except RegistryError as e:
            if not is_expected(e):
                raise
            return InvalidInputError(code=e.code, message=e.message, details=as_json(e.details))
    if summary.problems:
        return ImportRejectedError(
            code="import.rejected",
            message=f"{len(summary.problems)} problem(s); nothing was appended"
            if not summary.stopped
            else f"{len(summary.problems)} problem(s); the import stopped part way",
            details=as_json({"stopped": summary.stopped, "rejected": summary.rejected}),
            # Named as the client named the file, not by the scratch directory's path.
            problems=[problem_item(p, {str(path): name}) for p in summary.problems],
        )
    return ImportSuccess(
        position=await registry.store.head_position(),
        records_read=summary.records_read,
        events_appended=summary.events_appended,
        already_imported=summary.already_imported,
        revised=summary.revised,
        checked_only=summary.checked_only,
    )


def build_mutation() -> type[Any]:
    """The root Mutation type: every command of the bus, in its order, and importHistory."""
    fields: dict[str, Any] = {}
    for command in HANDLERS:
        spec = derive_input(command)
        fields[mutation_name(command)] = strawberry.mutation(
            resolver=_resolver(spec), description=_description(spec)
        )
    fields["import_history"] = strawberry.mutation(
        resolver=import_history, description=import_history.__doc__
    )
    return strawberry.type(type("Mutation", (), fields), description="Writes (writer role).")


__all__ = ["build_mutation", "is_expected", "mutation_name", "run_command"]
