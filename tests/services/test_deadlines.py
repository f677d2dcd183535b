"""The operator's deadlines: set, replaced, listed; the rules of each kind."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.clock import FixedClock
from domain.errors import Invalid
from domain.model import DeadlineKind
from domain.services import deadlines
from storage.uow import UnitOfWorkFactory

ZONE = ZoneInfo("Asia/Shanghai")


def test_due_is_read_in_the_platform_time_zone() -> None:
    assert deadlines.parse_due("2026-12-31T17:00", ZONE) == datetime(2026, 12, 31, 17, tzinfo=ZONE)
    assert deadlines.parse_due("2026-12-31", ZONE) == datetime(2026, 12, 31, 23, 59, tzinfo=ZONE)
    with pytest.raises(Invalid) as refused:
        deadlines.parse_due("年底", ZONE)
    assert refused.value.key == deadlines.DUE_UNREADABLE


async def test_set_replace_and_list(uow_factory: UnitOfWorkFactory, clock: FixedClock) -> None:
    due = datetime(2026, 12, 31, 17, tzinfo=ZONE)
    async with uow_factory() as uow:
        await deadlines.set_deadline(
            uow, clock, year=2026, kind=DeadlineKind.ANNUAL_PLAN, due_at=due
        )
    later = datetime(2027, 1, 15, 17, tzinfo=ZONE)
    async with uow_factory() as uow:
        await deadlines.set_deadline(
            uow, clock, year=2026, kind=DeadlineKind.ANNUAL_PLAN, due_at=later
        )
    async with uow_factory() as uow:
        await deadlines.set_deadline(
            uow, clock, year=2026, kind=DeadlineKind.CLASS_SCORES, days_after_end=15
        )
    async with uow_factory(readonly=True) as uow:
        found = {d.kind: d for d in await deadlines.list_deadlines(uow, year=2026)}
    assert found[DeadlineKind.ANNUAL_PLAN].due_at == later
    assert found[DeadlineKind.CLASS_SCORES].days_after_end == 15
    assert len(found) == 2


async def test_each_kind_needs_its_own_kind_of_due(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        for kwargs, key in (
            ({"kind": DeadlineKind.ANNUAL_SUMMARY}, deadlines.DUE_REQUIRED),
            ({"kind": DeadlineKind.CLASS_SCORES}, deadlines.DAYS_REQUIRED),
            ({"kind": DeadlineKind.CLASS_SCORES, "days_after_end": 400}, deadlines.DAYS_RANGE),
        ):
            with pytest.raises(Invalid) as refused:
                await deadlines.set_deadline(uow, clock, year=2026, **kwargs)
            assert refused.value.key == key
