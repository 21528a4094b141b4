"""`sco-registry serve` freezes its start-up heap (`freeze_startup_heap`): objects allocated
before it are out of the collector's generations, objects allocated after it are not; and
the collector runs less often from then on (`SERVING_GC_THRESHOLD`)."""

from __future__ import annotations

import gc

from sco_registry.cli.serving import SERVING_GC_THRESHOLD, freeze_startup_heap


class _Held:
    """A container the collector tracks (instances of plain classes are)."""


def test_objects_made_before_are_frozen_and_objects_made_after_are_not() -> None:
    thresholds = gc.get_threshold()
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
        gc.set_threshold(*thresholds)


def test_the_young_generation_is_collected_less_often() -> None:
    thresholds = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        freeze_startup_heap()
        assert gc.get_threshold() == SERVING_GC_THRESHOLD
        # 5,000 tracked objects kept alive: under 700 they would have set off young
        # collections (the control, below); under the serving threshold none.
        gc.collect()
        before = gc.get_stats()[0]["collections"]
        held = [_Held() for _ in range(5000)]
        assert gc.get_stats()[0]["collections"] == before
        gc.set_threshold(700, 10, 10)
        more = [_Held() for _ in range(5000)]
        assert gc.get_stats()[0]["collections"] > before
        del held, more
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
