"""The interpreter settings a serving process runs with (``bot.tuning``)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from bot import tuning


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds, interval = gc.get_threshold(), sys.getswitchinterval()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("restored")
def test_serving_freezes_the_start_up_heap_and_stopping_thaws_it() -> None:
    gc.unfreeze()
    tuning.for_serving()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == tuning.GC_THRESHOLDS
    assert sys.getswitchinterval() == pytest.approx(tuning.SWITCH_INTERVAL_S)
    tuning.after_serving()
    assert gc.get_freeze_count() == 0
