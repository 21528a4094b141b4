"""Fixtures of the import properties: one migrated SQLite database per session, copied for
each example. Importing `support` registers the Hypothesis profiles (`ci`, `fuzz`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import run_in_thread
from tests.property import support


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_in_thread(support.migrated_sqlite(tmp_path_factory.mktemp("template")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if support.WRITTEN:
        counts = ", ".join(f"{n} for {b}" for b, n in sorted(support.WRITTEN.items()))
        terminalreporter.write_line(
            f"import properties ({support.profile()} profile): generated history files {counts}"
        )
