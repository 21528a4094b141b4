"""Property (d) of issue 6: one fault injected into a valid generated history makes the import
refuse it, name the problem with its code, file and record id, and append nothing, not even
the valid files given before the faulty one in the same command. On SQLite, a temp file
database per example."""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sco_registry.importer.load import ImportSummary, import_files
from sco_registry.importer.problems import ImportProblem
from tests.property import support
from tests.strategies.faults import FAULTS, Fault, inject
from tests.strategies.hypothesis import History, histories


def names(problem: ImportProblem, fault: Fault, path: Path) -> bool:
    return (
        problem.code == fault.code
        and problem.file == str(path)
        and problem.record_id == fault.record_id
        and (fault.field is None or problem.field == fault.field)
        and (fault.domain_code is None or f"[{fault.domain_code}]" in problem.message)
    )


def check_refused(summary: ImportSummary, fault: Fault, paths: list[Path]) -> None:
    shown = "\n".join(map(str, summary.problems))
    assert any(names(x, fault, paths[fault.file]) for x in summary.problems), (fault, shown)
    assert summary.events_appended == 0 and summary.rejected >= 1


@pytest.mark.parametrize("fault_name", sorted(FAULTS))
@support.examples(ci=15)
@given(history=histories(max_years=support.years(1), max_files=2), seed=st.integers(0, 2**32))
def test_one_fault_is_refused_named_and_appends_nothing(
    fault_name: str, history: History, seed: int, sqlite_template: Path
) -> None:
    files = [dict(f, records=[dict(r) for r in f["records"]]) for f in history.files]
    fault = inject(fault_name, files, random.Random(seed))
    assume(fault is not None)
    assert fault is not None

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            paths = support.write_files(files, Path(tmp) / "files")
            async with support.sqlite_copy(sqlite_template, Path(tmp)) as store:
                summary = await import_files(paths, store)
                check_refused(summary, fault, paths)
                assert await store.head_position() == 0

    asyncio.run(run())


def test_the_unfaulted_history_imports() -> None:
    """Negative control: without the fault, the same kind of history imports (so a refusal
    above is the fault's doing). One history, in memory."""
    from sco_registry.store.memory import InMemoryEventStore
    from tests.strategies.history import build_history

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            paths = support.write_files(build_history(7, years=1, files=2), Path(tmp))
            summary = await import_files(paths, InMemoryEventStore())
            assert summary.problems == () and summary.events_appended > 0

    asyncio.run(run())


def test_a_problem_on_another_record_does_not_count() -> None:
    """Negative control of `names`: the right code on another record, or in another file,
    does not pass for the injected fault."""
    fault = Fault("import.dangling_reference", 0, "meeting/a", "body")
    path = Path("one.json")
    right = ImportProblem(str(path), "meeting/a", "body", "import.dangling_reference", "x")
    assert names(right, fault, path)
    assert not names(ImportProblem("two.json", "meeting/a", "body", right.code, "x"), fault, path)
    assert not names(ImportProblem(str(path), "meeting/b", "body", right.code, "x"), fault, path)
    assert not names(ImportProblem(str(path), "meeting/a", "city", right.code, "x"), fault, path)
