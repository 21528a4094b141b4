"""A migrated, empty PostgreSQL database per test (the operations tests start processes on it)."""

from __future__ import annotations

import pytest

from sco_registry.db import migrate
from tests.pg import run_in_thread


@pytest.fixture
def migrated_pg_url(fresh_pg_database: str) -> str:
    run_in_thread(migrate(fresh_pg_database))
    return fresh_pg_database
