"""Errors of the event log, part of the one error tree (`sco_registry.domain.errors`)."""

from __future__ import annotations

from sco_registry.domain.errors import RegistryError


class StoreError(RegistryError):
    code = "store.error"


class WrongExpectedVersion(StoreError):
    """An append's expected version did not hold; nothing was appended."""

    code = "store.wrong_expected_version"

    def __init__(self, stream_id: str, expected: object, actual: int | None) -> None:
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, actual "
            f"{'no stream' if actual is None else actual}",
            details={"stream_id": stream_id, "expected": str(expected), "actual": actual},
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class HeadMoved(WrongExpectedVersion):
    """`append_batch`'s guard: the log's head was not the one expected; nothing appended."""

    code = "store.head_moved"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__("$all", expected, actual or None)


class IdempotencyConflict(StoreError):
    """An idempotency key was used before with different content."""

    code = "store.idempotency_conflict"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different append",
            details={"idempotency_key": key},
        )
        self.key = key


class AppendOnlyViolation(StoreError):
    """The database refused to change or remove a recorded event."""

    code = "store.append_only"


class DatabaseUnavailable(StoreError):
    """The configured database cannot be used as it is: not reachable, not a database, not
    migrated, or migrated by another version. Nothing was read or written; the command's
    arguments are fine, the environment needs fixing (the CLI exits 3)."""

    code = "db.unavailable"


class DatabaseUnreachable(DatabaseUnavailable):
    """No connection could be made: a server that does not answer, refuses or does not know
    the database or the user; an SQLite file that cannot be opened."""

    code = "db.unreachable"


class NotADatabase(DatabaseUnavailable):
    """The SQLite path names a file that is not an SQLite database."""

    code = "db.not_a_database"


class DatabaseNotMigrated(DatabaseUnavailable):
    """The database has no schema yet (or no SQLite file exists): `sco-registry migrate`."""

    code = "db.not_migrated"


class SchemaMismatch(DatabaseUnavailable):
    """The database's schema revision is not the one this version of the code needs."""

    code = "db.schema_mismatch"


def batch_key_recorded(key: str) -> StoreError:
    """`append_batch` never replays: a unit's idempotency key recorded before fails it."""
    return StoreError(
        f"idempotency key {key!r} is already recorded; a batch does not replay",
        code="store.batch_key_recorded",
        details={"idempotency_key": key},
    )
