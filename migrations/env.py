"""Alembic environment: runs the revisions on the connection `sco_registry.db.migrate` hands
over, or, from the alembic command line, on an engine of its own."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from sco_registry.projections import membership as _membership  # noqa: F401  (its tables)
from sco_registry.projections.base import metadata as read_models
from sco_registry.store.schema import metadata

config = context.config
# The event log's tables and the read models' (each projection defines its own).
target_metadata = [metadata, read_models]


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url:
        return url
    from sco_registry.config import load_settings

    return load_settings().database_url


def _run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    # Our engine, not a plain one: on SQLite its BEGIN makes the DDL transactional.
    from sco_registry.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run_on)
            await conn.commit()
    finally:
        await engine.dispose()


def main() -> None:
    handed_over = config.attributes.get("connection")
    if handed_over is not None:
        # Called by sco_registry.db.migrate inside its own event loop and transaction:
        # use the connection, leave logging alone (the application configured it).
        _run_on(handed_over)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        context.configure(
            url=_url(),
            target_metadata=target_metadata,
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_with_own_engine(_url()))


main()
