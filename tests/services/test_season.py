"""Time travel over a whole deadline season, three hours at a time, night included.

The planner runs at every step as ``cebot run`` would (and at odd moments besides); the outbox
must end up holding exactly the reminders the rules call for: the right people, at each
occasion once, none at night, none after submission, none to a muted kind.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from domain.clock import FixedClock
from domain.model import SubmissionKind
from domain.ports import PasswordHasher
from domain.services import submissions
from storage.filestore import LocalFileStore
from storage.uow import UnitOfWorkFactory
from tests.services.test_gather import (
    RULES,
    YEAR,
    ZONE,
    blobs,  # noqa: F401 (a fixture)
    enqueue,
    queued,
    season,
)
from tests.unit import samples

START = datetime(2026, 11, 15, 0, 0, tzinfo=ZONE)
END = datetime(2027, 1, 10, 0, 0, tzinfo=ZONE)
STEP = timedelta(hours=3)
PLAN_FILED = datetime(2026, 12, 10, 10, 0, tzinfo=ZONE)
"""陈静 files 武汉's plan three days after its deadline (2026-12-06 17:00)."""

PLAN_OCCASIONS = ["before:14", "before:7", "before:3", "before:1", "day", "overdue:1"]
SCORES_OCCASIONS = ["before:14", "before:7", "before:3", "before:1", "day"] + [
    f"overdue:{n}" for n in range(1, 11)
]


async def test_a_season_reminds_the_right_people_once_at_each_occasion_and_never_at_night(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    blobs: LocalFileStore,  # noqa: F811 (the fixture)
) -> None:
    people, wuhan_class, _ = await season(uow_factory, hasher, clock, blobs)
    names = {actor.user_id: name for name, actor in people.items()}
    moment, added, filed = START, 0, False
    while moment < END:
        if not filed and moment >= PLAN_FILED:
            clock.set(moment)
            async with uow_factory() as uow:
                await submissions.upload(
                    uow,
                    blobs,
                    clock,
                    people["carol"],
                    SubmissionKind.PLAN,
                    YEAR,
                    samples.pdf(),
                    "计划.pdf",
                )
            async with uow_factory() as uow:
                await submissions.submit(uow, clock, people["carol"], SubmissionKind.PLAN, YEAR)
            filed = True
        clock.set(moment)
        added += await enqueue(uow_factory, clock)
        clock.set(moment + timedelta(minutes=7))  # planned again a little later: nothing new
        added += await enqueue(uow_factory, clock)
        moment += STEP

    messages = await queued(uow_factory)
    assert added == len(messages)
    keys = Counter((names[m.user_id], m.subject, m.occasion) for m in messages)
    assert max(keys.values()) == 1  # nobody twice for one occasion
    plan_subject = next(m.subject for m in messages if m.kind == "reminder:annual_plan")
    expected = {
        (who, plan_subject, occasion) for who in ("alice", "carol") for occasion in PLAN_OCCASIONS
    } | {
        (who, f"class_scores:{wuhan_class}", occasion)
        for who in ("alice", "bob")
        for occasion in SCORES_OCCASIONS
    }
    assert set(keys) == expected  # 刘洋 muted plans; 宜昌 owes nothing; the summary is far off
    for message in messages:
        local = message.created_at.astimezone(ZONE)
        assert not RULES.is_quiet(local), message
        assert local.hour == 9  # the first run after 08:30 on its day
