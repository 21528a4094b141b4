"""What can be wrong with a history file: problems with stable codes, and the error with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sco_registry.domain.errors import RegistryError

# Stable codes. Tests, the CLI and users' scripts match on these strings; never rename one.
BAD_JSON = "import.bad_json"
UNSUPPORTED_FORMAT = "import.unsupported_format"
MISSING_FIELD = "import.missing_field"
INVALID_VALUE = "import.invalid_value"
NUMBER_OUT_OF_RANGE = "import.number_out_of_range"
INCONSISTENT_STATUS = "import.inconsistent_status"
UNKNOWN_FIELD = "import.unknown_field"
UNKNOWN_KIND = "import.unknown_kind"
DATE_MALFORMED = "import.date_malformed"
DATES_INCONSISTENT = "import.dates_inconsistent"
UNKNOWN_STATE = "import.unknown_state"
DUPLICATE_STATE = "import.duplicate_state"
DUPLICATE_ID = "import.duplicate_id"
DANGLING_REFERENCE = "import.dangling_reference"
WRONG_REFERENCE_KIND = "import.wrong_reference_kind"
REFERENCE_CYCLE = "import.reference_cycle"
CONFLICTING_RECORD = "import.conflicting_record"
UNMAPPABLE_RECORD = "import.unmappable_record"
REJECTED_BY_DOMAIN = "import.rejected_by_domain"
REVISION_NOT_CORRECTABLE = "import.revision_not_correctable"
APPEND_FAILED = "import.append_failed"
FILE_UNREADABLE = "import.file_unreadable"


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One thing wrong, named by file, record id (None for the file itself) and field."""

    file: str
    record_id: str | None
    field: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.record_id or '-'}: {self.field or '-'}"
        return f"{where}: [{self.code}] {self.message}"


class ImportRejected(RegistryError):
    """An import appended nothing because of the problems it carries (all of them)."""

    code = "import.rejected"

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        files = sorted({p.file for p in self.problems})
        super().__init__(
            f"{len(self.problems)} problem(s) in {', '.join(files) or 'the import'}; "
            "nothing was appended",
            details={"problems": [_as_dict(p) for p in self.problems]},
        )


def _as_dict(p: ImportProblem) -> dict[str, str | None]:
    return {
        "file": p.file,
        "record_id": p.record_id,
        "field": p.field,
        "code": p.code,
        "message": p.message,
    }
