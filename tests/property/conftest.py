"""The Hypothesis profiles of the import properties (`ci`, `fuzz`; chosen by
SCO_REGISTRY_HYPOTHESIS_PROFILE, `make fuzz-import` sets `fuzz`), one migrated SQLite
database per session to copy for each example, and the run's count of generated files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.pg import run_in_thread
from tests.property import support

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]

# CI: deterministic (the same examples on every run), no deadline (2 shared cores), no example
# database (nothing saved between runs). Fuzz: random examples, FUZZ_FACTOR times as many
# (`support.examples`), histories four times longer (`support.years`).
settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, suppress_health_check=_SUPPRESS
)
settings.register_profile(
    "fuzz", derandomize=False, deadline=None, database=None, suppress_health_check=_SUPPRESS
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_in_thread(support.migrated_sqlite(tmp_path_factory.mktemp("template")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if support.WRITTEN:
        counts = ", ".join(f"{n} for {b}" for b, n in sorted(support.WRITTEN.items()))
        terminalreporter.write_line(
            f"import properties ({support.profile()} profile): generated history files {counts}"
        )
