"""A guarded fast path for the canonical JSON the log hashes and stores.

The canonical form is the standard library's `json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)` (`chain.canonical_json`).
`orjson` with `OPT_SORT_KEYS` writes the same bytes for values made only of dicts with `str`
keys, lists, `str`, `int` within 64 bits, `bool` and `None`; it differs on floats (`1e-7`
for `1e-07`, `1e16` for `1e+16`, NaN and infinities as `null`), refuses ints beyond 64 bits,
lone surrogates, non-`str` keys and nesting deeper than 254, and encodes what the standard
library refuses (UUIDs, dates, enums, dataclasses) or writes otherwise (subclasses of `str`
and `int`). So orjson is used only when `plain(value)` holds (exact types, no float, depth
bounded) and it does not refuse; everything else goes to the standard library, which
answers (or raises) as it always did. `tests/property/test_fastjson.py` compares the two
over arbitrary values. The hash definition does not change: these are the same bytes."""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTS = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps
_loads = orjson.loads
_JSONEncodeError = orjson.JSONEncodeError
_JSONDecodeError = orjson.JSONDecodeError
_stdlib_loads = json.JSONDecoder().decode
# Nineteen digits in a row: an integer that may lie beyond 64 bits, which orjson would
# read as a float where the standard library reads an int (or part of a long mantissa).
# Found by mapping every digit to "0" and looking for nineteen of them (both in C, about
# a nanosecond a byte; a regular expression took eight).
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19

_stdlib_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_stdlib_ascii = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode

# Deeper values go to the standard library (orjson refuses 255 levels).
MAX_DEPTH = 200


def plain(value: Any, depth: int = 0) -> bool:
    """`value` holds only dicts with `str` keys, lists, `str`, `int`, `bool` and `None`
    (exact types, so no subclass), nested at most MAX_DEPTH deep."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return True
    if depth >= MAX_DEPTH:
        return False
    if t is dict:
        for k, v in value.items():
            if type(k) is not str:
                return False
            tv = type(v)
            if tv is str or tv is int or tv is bool or v is None:
                continue
            if not plain(v, depth + 1):
                return False
        return True
    if t is list:
        for v in value:
            tv = type(v)
            if tv is str or tv is int or tv is bool or v is None:
                continue
            if not plain(v, depth + 1):
                return False
        return True
    return False


def canonical_text(value: Any) -> str:
    """The canonical JSON of `value` as text (`chain.canonical_json` decoded)."""
    if plain(value):
        try:
            return _dumps(value, option=_OPTS).decode("utf-8")
        except _JSONEncodeError:
            pass
    return _stdlib_canonical(value)


def canonical_bytes(value: Any) -> bytes:
    """`chain.canonical_json(value)`: the canonical JSON as UTF-8."""
    if plain(value):
        try:
            return _dumps(value, option=_OPTS)
        except _JSONEncodeError:
            pass
    return _stdlib_canonical(value).encode("utf-8")


def ascii_sorted_text(value: Any) -> str:
    """`json.dumps(value, sort_keys=True, separators=(",", ":"))` (non-ASCII escaped,
    NaN allowed): the idempotency fingerprint's form, kept as it was so that fingerprints
    already stored still match. orjson's output is that same text when it is all printable
    ASCII: the standard library also escapes DEL (U+007F), which orjson writes as it is."""
    if plain(value):
        try:
            out = _dumps(value, option=_OPTS)
        except _JSONEncodeError:
            pass
        else:
            if out.isascii() and b"\x7f" not in out:
                return out.decode("ascii")
    return _stdlib_ascii(value)


def roundtrip(value: Any) -> Any:
    """`json.loads(json.dumps(value))`: what a database gives back for `value` (the
    in-memory store's copy). For a plain value orjson's round trip builds the same
    objects (the same types: ints within 64 bits stay ints)."""
    if plain(value):
        try:
            return _loads(_dumps(value))
        except _JSONEncodeError:
            pass
    return json.loads(json.dumps(value))


def loads(text: str) -> Any:
    """`json.loads(text)`, the same objects: orjson where it reads `text` as the standard
    library does, the standard library otherwise.

    orjson reads an integer beyond 64 bits as a float (the standard library as an int),
    and refuses NaN, infinities, numbers beyond the float range (`1e400`), lone
    surrogates and deep nesting, which the standard library reads. So any run of 19 or
    more digits (anywhere, strings included: a false alarm only costs speed) goes to the
    standard library, and so does anything orjson refuses; the rest (every integer of at
    most 18 digits, floats, strings, escapes, whitespace, repeated keys: the last wins in
    both) orjson reads to the very same values (`tests/property/test_fastjson.py`)."""
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: orjson would refuse it anyway
        return _stdlib_loads(text)
    if _NINETEEN_DIGITS not in encoded.translate(_DIGITS_TO_ZERO):
        try:
            return _loads(encoded)
        except _JSONDecodeError:
            pass
    return _stdlib_loads(text)
