"""The one error tree: every expected failure has a stable code, a message for people and details.

Only the edges (GraphQL, CLI) turn these into responses or exit codes; nothing below them
catches and swallows one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class RegistryError(Exception):
    """Base of every expected error. `code` is stable (`membership.already_member`)."""

    code: str = "registry.error"

    def __init__(
        self, message: str, *, code: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class InvalidValue(RegistryError):
    """A value is malformed (a bad date, an unknown state code)."""

    code = "value.invalid"


class IntegrityViolation(RegistryError):
    """A command breaks an integrity rule; it appends nothing."""

    code = "integrity.violation"


class NotFound(RegistryError):
    """A command or query refers to something the registry does not know."""

    code = "reference.not_found"
