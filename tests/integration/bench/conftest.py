"""The stores of the contract suite (in memory, SQLite, PostgreSQL), for the bench harness."""

from tests.contract.conftest import pg_clone_url, pg_template_url, store

__all__ = ["pg_clone_url", "pg_template_url", "store"]
