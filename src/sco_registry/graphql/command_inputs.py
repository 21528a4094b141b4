"""GraphQL inputs of the application's commands, derived from the command dataclasses
themselves, and the way back from an input to its command.

Why derived: the commands are the contract (`domain/commands.py`); an input written by hand
for each of thirty would drift from them one field at a time. Each command `AdmitMember`
becomes `AdmitMemberInput` with the command's fields in camelCase, minus `record_id` (a
history file's record; a mutation has none). Types: text, numbers and flags as they are;
partial dates as String (`"2004"`, `"2004-06"`, `"2004-06-17"`, parsed by the domain);
the domain's enums as GraphQL enums; citations as `SourceInput`; tuples as lists; a
correction's `changes` as JSON. A field with a default in the command is optional, and
leaving it out (or null) keeps the command's default. Bad values (a malformed date, an
empty citation) fail while building the command, as `value.invalid` family errors.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
import uuid
from collections.abc import Mapping
from typing import Any, Union

import strawberry
from strawberry.scalars import JSON

from sco_registry.domain import membership
from sco_registry.domain.commands import Command
from sco_registry.domain.time import PartialDate
from sco_registry.domain.values import Citation

# Names a domain enum takes in the schema where its own name is taken by an object type.
ENUM_NAMES: dict[type[enum.Enum], str] = {membership.MembershipChange: "MembershipChangeKind"}
SKIPPED_FIELDS = frozenset({"record_id"})
DATE_DESCRIPTION = "A partial date as the sources give it: YYYY, YYYY-MM or YYYY-MM-DD."


@strawberry.input(description="A source a fact rests on: a title and/or a URL.")
class SourceInput:
    title: str | None = strawberry.field(default=None, description="The source's title.")
    url: str | None = strawberry.field(default=None, description="Where it can be read.")
    article: str | None = strawberry.field(
        default=None, description='The provision of the document cited ("Art. 8").'
    )

    def to_citation(self) -> Citation:
        return Citation(title=self.title, url=self.url, article=self.article)


_enums: dict[type[enum.Enum], Any] = {}


def graphql_enum(domain: type[enum.Enum]) -> Any:
    """The domain enum as a GraphQL enum (the same Python class, so values need no mapping)."""
    if domain not in _enums:
        _enums[domain] = strawberry.enum(domain, name=ENUM_NAMES.get(domain, domain.__name__))
    return _enums[domain]


def _optional(hint: Any) -> tuple[Any, bool]:
    """(the hint without None, whether None was allowed)."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != len(typing.get_args(hint)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return hint, False


def graphql_type(hint: Any) -> Any:
    """The GraphQL (Strawberry) type of a command field's type hint."""
    inner, nullable = _optional(hint)
    out: Any
    if inner in (str, int, bool, uuid.UUID):
        out = inner
    elif inner is PartialDate:
        out = str
    elif inner is Citation:
        out = SourceInput
    elif isinstance(inner, type) and issubclass(inner, enum.Enum):
        out = graphql_enum(inner)
    elif typing.get_origin(inner) is tuple:
        out = list[graphql_type(typing.get_args(inner)[0])]  # type: ignore[misc]
    elif typing.get_origin(inner) is Mapping or inner is Mapping:
        out = JSON
    else:  # a new kind of field: add it here (the schema test names the command)
        raise TypeError(f"no GraphQL type for command field type {hint!r}")
    return out | None if nullable else out


@dataclasses.dataclass(frozen=True, slots=True)
class CommandInput:
    """One command's input type and how to build the command from a value of it."""

    command: type[Any]
    input_type: type[Any]
    fields: tuple[dataclasses.Field[Any], ...]
    hints: Mapping[str, Any]

    def to_command(self, value: object) -> Command:
        """The command for an input value. Parses dates and citations; a field left out
        keeps the command's default."""
        kwargs: dict[str, Any] = {}
        for field in self.fields:
            given = getattr(value, field.name, None)
            if given is None:
                if _has_default(field):
                    continue
                kwargs[field.name] = None
                continue
            kwargs[field.name] = _to_domain(self.hints[field.name], given)
        command: Command = self.command(**kwargs)
        return command


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def _to_domain(hint: Any, value: Any) -> Any:
    inner, _ = _optional(hint)
    if inner is PartialDate:
        return PartialDate.parse(value)
    if inner is Citation:
        return value.to_citation()
    if typing.get_origin(inner) is tuple:
        (item,) = typing.get_args(inner)[:1]
        return tuple(_to_domain(item, v) for v in value)
    if typing.get_origin(inner) is Mapping or inner is Mapping:
        if not isinstance(value, dict):
            from sco_registry.domain.errors import InvalidValue

            raise InvalidValue("changes must be a JSON object", code="correction.bad_changes")
        return dict(value)
    return value


def derive_input(command: type[Any]) -> CommandInput:
    """`<Command>Input`, with the command's fields (minus `record_id`), described by the
    command's docstring."""
    hints = typing.get_type_hints(command)
    fields = tuple(f for f in dataclasses.fields(command) if f.name not in SKIPPED_FIELDS)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for field in fields:
        hint = graphql_type(hints[field.name])
        _, nullable = _optional(hints[field.name])
        description = DATE_DESCRIPTION if _optional(hints[field.name])[0] is PartialDate else None
        if _has_default(field) or nullable:
            annotations[field.name] = hint if nullable else hint | None
            namespace[field.name] = strawberry.field(default=None, description=description)
        else:
            annotations[field.name] = hint
            namespace[field.name] = strawberry.field(description=description)
    # Required fields first: a dataclass (which Strawberry makes of it) wants them so.
    ordered = sorted(annotations, key=lambda n: namespace[n].default is not dataclasses.MISSING)
    namespace["__annotations__"] = {n: annotations[n] for n in ordered}
    name = f"{command.__name__}Input"
    cls = type(name, (), {**namespace, "__module__": __name__})
    doc = inspect.cleandoc(command.__doc__ or "")
    description = doc if doc and not doc.startswith(f"{command.__name__}(") else None
    input_type = strawberry.input(cls, name=name, description=description)
    return CommandInput(command, input_type, fields, hints)
