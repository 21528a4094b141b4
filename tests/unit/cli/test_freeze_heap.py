"""`sco-registry serve` freezes its start-up heap (`freeze_startup_heap`): objects allocated
before it are out of the collector's generations, objects allocated after it are not."""

from __future__ import annotations

import gc

from sco_registry.cli.serving import freeze_startup_heap


class _Held:
    """A container the collector tracks (instances of plain classes are)."""


def test_objects_made_before_are_frozen_and_objects_made_after_are_not() -> None:
    try:
        before = _Held()
        frozen = freeze_startup_heap()
        after = _Held()
        assert frozen == gc.get_freeze_count() > 0
        # The collector's generations (gc.get_objects) no longer hold the frozen object...
        tracked = {id(o) for o in gc.get_objects()}
        assert id(before) not in tracked
        # ...and still hold what came after: the control that the check can see an object.
        assert id(after) in tracked
    finally:
        gc.unfreeze()
