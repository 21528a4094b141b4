"""Hypothesis strategies of valid history files, over the plain builder (`history.py`): a
history is drawn as a seed and a size, so a failing example is reproduced by
`build_history(seed, years=..., files=...)` outside Hypothesis, and shrinks towards fewer
years and files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.strategies.history import build_history


@dataclass(frozen=True)
class History:
    """A generated history: its files in import order and how to build it again."""

    seed: int
    years: int
    parts: int  # the files asked for (fewer when the records allow fewer cuts)
    shuffle: bool
    files: tuple[dict[str, Any], ...]

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return (
            f"build_history({self.seed}, years={self.years}, files={self.parts}, "
            f"shuffle={self.shuffle})"
        )


def _build(seed: int, years: int, files: int, shuffle: bool) -> History:
    built = build_history(seed, years=years, files=files, shuffle=shuffle)
    return History(seed, years, files, shuffle, tuple(built))


def histories(
    *, max_years: int = 3, max_files: int = 1, shuffle: bool = True
) -> st.SearchStrategy[History]:
    """Valid histories of 1..max_years years after the SCO's founding, in 1..max_files files
    (fewer when the records allow no more cuts)."""
    return st.builds(
        _build,
        seed=st.integers(0, 2**32 - 1),
        years=st.integers(1, max_years),
        files=st.integers(1, max_files),
        shuffle=st.just(shuffle),
    )
