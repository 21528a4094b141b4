"""The `verify` root field: the log's hash chain recomputed from the first event, as the
timeline page's side panel shows it; a tampered row (the append-only triggers removed, as a
table owner could) is reported at its position."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import create_async_engine

from tests.api.conftest import Api

VERIFY = "{ verify { ok checked headHash brokenAt reason } head { position hash } }"


async def _tamper(url: str, position: int) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                names = (
                    await conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='events'"
                    )
                ).scalars()
                for name in list(names):
                    await conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            else:
                await conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER USER")
            await conn.exec_driver_sql(
                f"UPDATE events SET actor = 'mallory' WHERE position = {position}"
            )
    finally:
        await engine.dispose()


async def test_verify_reports_an_intact_chain_then_the_tampered_position(
    api: Api, writable_url: str
) -> None:
    data = await api.data(VERIFY)
    head = data["head"]
    assert data["verify"] == {
        "ok": True,
        "checked": head["position"],
        "headHash": head["hash"],
        "brokenAt": None,
        "reason": None,
    }
    # Negative control: one changed row, and the same field says where the chain breaks.
    await _tamper(writable_url, 5)
    broken = (await api.data(VERIFY))["verify"]
    assert broken["ok"] is False and broken["brokenAt"] == 5 and broken["checked"] == 4
    assert "hash" in broken["reason"]
