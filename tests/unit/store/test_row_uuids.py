"""The read path builds SQLite's UUID columns (32 hex digits) without `UUID.__init__`: the
same values as `UUID(text)`, and anything else still goes through `UUID` itself."""

from __future__ import annotations

import pickle
import uuid

import pytest

from sco_registry.store.rows import _uuid


def test_hex_text_is_the_uuid_it_names() -> None:
    for u in [uuid.uuid4() for _ in range(200)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]:
        for text in (u.hex, u.hex.upper()):
            got = _uuid(text)
            assert type(got) is uuid.UUID
            assert got == u and hash(got) == hash(u) and str(got) == str(u)
            assert got.is_safe is uuid.SafeUUID.unknown
            assert got.version == u.version and pickle.loads(pickle.dumps(got)) == u


def test_other_values_go_through_uuid() -> None:
    u = uuid.uuid4()
    assert _uuid(u) is u  # asyncpg gives UUIDs already
    assert _uuid(None) is None
    assert _uuid(str(u)) == u  # dashed text: UUID's own parsing
    odd = ("-" + "f" * 31, "0x" + "f" * 30, "f" * 31 + "_", "f_" + "f" * 30, " " + "f" * 31)
    for text in (*odd, "g" * 32, "f" * 33, "f" * 31, "{" + "f" * 32 + "}"):
        try:
            want = uuid.UUID(text)
        except ValueError:
            with pytest.raises(ValueError):
                _uuid(text)
        else:
            assert _uuid(text) == want
