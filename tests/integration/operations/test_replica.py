"""Reads through a real PostgreSQL streaming replica (`SCO_REGISTRY_READ_DATABASE_URL`),
writes to the primary: a write read back through the replica with `minPosition`; a replica
whose WAL replay is paused answers the bounded wait's timeout error, not stale data (and,
the control, a read without `minPosition` there shows the stale answer: the reads really
go to the replica).

The test sets up its own throwaway primary (`initdb`, replication allowed from 127.0.0.1)
and a replica made from it with `pg_basebackup -R -X stream`, both on free ports, as the
`postgres` user; the machine's own cluster is left alone."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sco_registry.app import create_app
from sco_registry.bootstrap import open_registry
from sco_registry.config import Settings
from sco_registry.db import migrate
from sco_registry.graphql.auth import Role
from sco_registry.importer.bundled import load_bundled
from tests.api.conftest import Api
from tests.api.writes import bearer, token
from tests.pg import admin_execute, run_in_thread

pytestmark = pytest.mark.postgres

BIN = Path("/usr/lib/postgresql/15/bin")
WRITER = bearer(token(Role.WRITER, subject="writer@test"))
TIMEOUT_S = 1.0  # the API's minPosition wait, short: the lag test waits for it in full


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_postgres(*args: str | Path) -> None:
    command = [str(a) for a in args]
    if os.geteuid() == 0:  # initdb and the server refuse to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr or done.stdout}"


@dataclass(frozen=True)
class Pair:
    primary: str  # asyncpg URLs of the database `sco` on each
    replica: str


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    if not (BIN / "initdb").exists():
        pytest.fail(f"no PostgreSQL server binaries at {BIN}")
    # Not under pytest's own temporary folder: the postgres user cannot enter root's.
    root = Path(tempfile.mkdtemp(prefix="sco-replication-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary, replica = root / "primary", root / "replica"
    p1, p2 = _free_port(), _free_port()
    _as_postgres(BIN / "initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    settings = (
        f"port = {p1}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
        "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
    )
    _as_postgres("sh", "-c", f'printf "{settings}" >> {primary}/postgresql.conf')
    _as_postgres(
        "sh", "-c", f"echo 'host replication all 127.0.0.1/32 trust' >> {primary}/pg_hba.conf"
    )
    started: list[Path] = []
    try:
        _as_postgres(BIN / "pg_ctl", "-D", primary, "-l", root / "primary.log", "-w", "start")
        started.append(primary)
        _as_postgres(
            BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres",
            "-D", replica, "-R", "-X", "stream",
        )  # fmt: skip
        _as_postgres("sh", "-c", f"echo 'port = {p2}' >> {replica}/postgresql.auto.conf")
        _as_postgres(BIN / "pg_ctl", "-D", replica, "-l", root / "replica.log", "-w", "start")
        started.append(replica)
        server = f"postgresql://postgres@127.0.0.1:{p1}/postgres"
        run_in_thread(admin_execute(server, "CREATE DATABASE sco"))
        yield Pair(
            f"postgresql+asyncpg://postgres@127.0.0.1:{p1}/sco",
            f"postgresql+asyncpg://postgres@127.0.0.1:{p2}/sco",
        )
    finally:
        for directory in reversed(started):
            _as_postgres(BIN / "pg_ctl", "-D", directory, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def loaded(pair: Pair) -> Pair:
    async def load() -> None:
        await migrate(pair.primary)
        async with open_registry(Settings(database_url=pair.primary)) as registry:
            summary = await load_bundled(registry.store, scratch_store=registry.scratch_store)
            assert summary.ok, summary.problems

    run_in_thread(load())
    return pair


@pytest.fixture
async def api(loaded: Pair) -> AsyncIterator[Api]:
    settings = Settings(
        database_url=loaded.primary,
        read_database_url=loaded.replica,
        api_min_position_timeout_s=TIMEOUT_S,
    )
    async with open_registry(settings) as registry:
        transport = httpx.ASGITransport(app=create_app(registry))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, registry)


REGISTER = """mutation($name: String!, $key: String!) {
  r: registerState(input: {code: "TM", name: $name}, idempotencyKey: $key) {
    __typename ... on MutationSuccess { position } } }"""
READ = 'query($p: Int) { state(code: "TM", minPosition: $p) { name } }'


async def _write(api: Api, name: str) -> int:
    body = await api.query(REGISTER, {"name": name, "key": name}, **WRITER)
    assert body["data"]["r"]["__typename"] == "MutationSuccess", body
    position: int = body["data"]["r"]["position"]
    return position


async def _replay(api: Api, paused: bool) -> None:
    sql = "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"
    replica = api.registry.settings.read_database_url
    assert replica is not None
    await admin_execute(replica, sql)


async def test_a_write_is_read_back_through_the_replica_with_min_position(api: Api) -> None:
    position = await _write(api, "Turkmenistan")
    body = await api.query(READ, {"p": position})
    assert "errors" not in body, body
    assert body["data"]["state"] == {"name": "Turkmenistan"}


async def test_a_lagging_replica_answers_the_timeout_not_stale_data(api: Api) -> None:
    await _write(api, "Turkmenistan (before)")
    await asyncio.sleep(0)  # the replica has it once a read with minPosition says so
    before = await _write(api, "Turkmenistan (before, read)")
    assert (await api.query(READ, {"p": before}))["data"]["state"] == {
        "name": "Turkmenistan (before, read)"
    }
    await _replay(api, paused=True)
    try:
        position = await _write(api, "Turkmenistan (after)")
        body = await api.query(READ, {"p": position})
        assert body["data"] is None or body["data"]["state"] is None, body
        codes = [e["extensions"]["code"] for e in body["errors"]]
        assert codes == ["read.min_position_timeout"], body
        # Control: without minPosition the replica answers at once, with what it has: the
        # reads go to the replica, and minPosition is what kept the stale answer out.
        stale = await api.query(READ)
        assert stale["data"]["state"] == {"name": "Turkmenistan (before, read)"}, stale
    finally:
        await _replay(api, paused=False)
    body = await api.query(READ, {"p": position})
    assert body["data"]["state"] == {"name": "Turkmenistan (after)"}, body
