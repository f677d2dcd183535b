"""Reminders from real data: what the services stored, gathered for every base, queued once.

Bases are registered, admins added, plans uploaded and submitted, classes approved and scores
submitted through the real services; deadlines and mutes go straight to their repositories.
Every test runs on SQLite and, when ``CEBOT_TEST_DATABASE_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from domain.clock import FixedClock
from domain.model import (
    Actor,
    AnnualSubmission,
    Deadline,
    DeadlineKind,
    Membership,
    OutboxMessage,
    Role,
    SubmissionKind,
)
from domain.permissions import Permission
from domain.ports import PasswordHasher
from domain.services import classes, review, scores, submissions
from domain.workflow import Action, Status
from scheduler.gather import (
    ACT_NOW,
    BEFORE,
    OVERDUE,
    TODAY,
    deadlines_around,
    enqueue_due,
    planning_inputs,
)
from scheduler.overview import Standing, base_deadlines
from scheduler.planning import ReminderRules
from storage.crypto import FieldCipher
from storage.filestore import LocalFileStore
from storage.uow import UnitOfWorkFactory
from tests.conftest import NOW
from tests.services.helpers import id_of
from tests.services.test_classes import add_admin, declared, make_id, wuhan_admin, yichang_admin
from tests.services.test_review import reviewer
from tests.services.test_scores import learner
from tests.storage.test_class_repository import a_class
from tests.storage.test_repositories import a_base, a_user
from tests.unit import samples

RULES = ReminderRules()
ZONE = RULES.timezone
YEAR = 2026
PLAN_DUE = datetime(2026, 12, 6, 17, 0, tzinfo=ZONE)  # NOW (11-29 09:00) is its 7-day morning
SUMMARY_DUE = datetime(2027, 1, 31, 17, 0, tzinfo=ZONE)  # no occasion yet
# The sample class ends on 2026-03-03: 271 days later is NOW's day, due at 23:59.
SCORES_DAYS = 271


@pytest.fixture
def blobs(tmp_path: Path, cipher: FieldCipher) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files", cipher)


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


async def set_deadlines(uow_factory: UnitOfWorkFactory, *deadlines: Deadline) -> None:
    async with uow_factory() as uow:
        for deadline in deadlines:
            await uow.deadlines.set(deadline)


async def season(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> tuple[dict[str, Actor], int, int]:
    """Two bases and their people, one plan submitted, two approved classes, one with scores in.

    武汉 (王芳, super admin): 赵磊 manages scores only, 陈静 and 刘洋 manage plans, and 刘洋 has
    muted plan reminders; its plan is not filed and its class's scores are not in.
    宜昌 (马力, super admin): its plan is submitted and its class's scores too.
    """
    alice = await wuhan_admin(uow_factory, hasher, clock)
    mallory = await yichang_admin(uow_factory, hasher, clock)
    people = {"alice": alice, "mallory": mallory}
    for key, name, first17, telegram_user_id, permission in (
        ("bob", "赵磊", "42010619900101123", 2002, Permission.SCORES_MANAGE),
        ("carol", "陈静", "42010619851212456", 2003, Permission.PLANS_MANAGE),
        ("dave", "刘洋", "42010619800505789", 2004, Permission.PLANS_MANAGE),
    ):
        people[key] = await add_admin(
            uow_factory,
            hasher,
            clock,
            alice,
            name=name,
            id_number=make_id(first17),
            telegram_user_id=telegram_user_id,
            permissions={permission},
        )
    async with uow_factory() as uow:
        await uow.mutes.mute(people["dave"].user_id, DeadlineKind.ANNUAL_PLAN)

    async with uow_factory() as uow:
        await submissions.upload(
            uow, blobs, clock, mallory, SubmissionKind.PLAN, YEAR, samples.pdf(), "计划.pdf"
        )
    async with uow_factory() as uow:
        await submissions.submit(uow, clock, mallory, SubmissionKind.PLAN, YEAR)

    wuhan_class_id = id_of(await declared(uow_factory, clock, alice, name="武汉专业科目培训班"))
    yichang_class_id = id_of(await declared(uow_factory, clock, mallory, name="宜昌公需科目培训班"))
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, alice, wuhan_class_id)
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, mallory, yichang_class_id)
    checker = await reviewer(uow_factory, hasher, clock, regions=())
    for class_id in (wuhan_class_id, yichang_class_id):
        async with uow_factory() as uow:
            await review.approve(uow, clock, checker, class_id)
    async with uow_factory() as uow:
        await scores.add_learner(uow, clock, mallory, yichang_class_id, learner(1))
    async with uow_factory() as uow:
        await scores.submit_scores(uow, clock, mallory, yichang_class_id)

    await set_deadlines(
        uow_factory,
        Deadline(year=YEAR, kind=DeadlineKind.ANNUAL_PLAN, due_at=PLAN_DUE),
        Deadline(year=YEAR, kind=DeadlineKind.ANNUAL_SUMMARY, due_at=SUMMARY_DUE),
        Deadline(year=YEAR, kind=DeadlineKind.CLASS_SCORES, days_after_end=SCORES_DAYS),
    )
    return people, wuhan_class_id, yichang_class_id


async def queued(uow_factory: UnitOfWorkFactory) -> list[OutboxMessage]:
    """Everything pending, claimed far in the future so no lease or time stands in the way."""
    async with uow_factory() as uow:
        found = await uow.outbox.claim(
            datetime(2030, 1, 1, tzinfo=ZONE), limit=1000, lease=timedelta(seconds=1)
        )
        await uow.rollback()  # the claim was only a way to read them: no trace left
    return [m for m in found if m.kind.startswith("reminder:")]


async def enqueue(uow_factory: UnitOfWorkFactory, clock: FixedClock, **kw: Any) -> int:
    async with uow_factory() as uow:
        return await enqueue_due(uow, clock, RULES, **kw)


# --- gathering ---------------------------------------------------------------------------------


async def test_planning_inputs_cover_every_base_and_every_approved_class(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    people, wuhan_class, yichang_class = await season(uow_factory, hasher, clock, blobs)
    alice, mallory = people["alice"], people["mallory"]
    async with uow_factory(readonly=True) as uow:
        obligations, holders = await planning_inputs(uow, YEAR, RULES)
        nothing = await planning_inputs(uow, YEAR + 1, RULES)
    assert nothing == ([], [])

    owed = {(o.base_id, o.subject): (o.kind, o.due_at, o.done) for o in obligations}
    wuhan, yichang = alice.base_id, mallory.base_id
    assert owed == {
        (wuhan, f"annual_plan:2026:{wuhan}"): (DeadlineKind.ANNUAL_PLAN, PLAN_DUE, False),
        (yichang, f"annual_plan:2026:{yichang}"): (DeadlineKind.ANNUAL_PLAN, PLAN_DUE, True),
        (wuhan, f"annual_summary:2026:{wuhan}"): (DeadlineKind.ANNUAL_SUMMARY, SUMMARY_DUE, False),
        (yichang, f"annual_summary:2026:{yichang}"): (
            DeadlineKind.ANNUAL_SUMMARY,
            SUMMARY_DUE,
            False,
        ),
        (wuhan, f"class_scores:{wuhan_class}"): (
            DeadlineKind.CLASS_SCORES,
            local(29, 23, 59, month=11),
            False,
        ),
        (yichang, f"class_scores:{yichang_class}"): (
            DeadlineKind.CLASS_SCORES,
            local(29, 23, 59, month=11),
            True,
        ),
    }
    held = {(h.base_id, h.user_id): h.permissions for h in holders}
    assert held == {
        (wuhan, alice.user_id): frozenset(Permission),
        (wuhan, people["bob"].user_id): frozenset({Permission.SCORES_MANAGE}),
        (wuhan, people["carol"].user_id): frozenset({Permission.PLANS_MANAGE}),
        (wuhan, people["dave"].user_id): frozenset({Permission.PLANS_MANAGE}),
        (yichang, mallory.user_id): frozenset(Permission),
    }


# --- queueing ----------------------------------------------------------------------------------


async def test_only_those_who_owe_and_hold_the_permission_are_reminded_once(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    people, wuhan_class, _ = await season(uow_factory, hasher, clock, blobs)
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    wuhan = alice.base_id
    ids = {people[k].user_id: k for k in people}

    assert await enqueue(uow_factory, clock) == 4
    messages = await queued(uow_factory)
    assert sorted((ids[m.user_id], m.subject, m.occasion) for m in messages) == sorted(
        [
            ("alice", f"annual_plan:2026:{wuhan}", "before:7"),
            ("carol", f"annual_plan:2026:{wuhan}", "before:7"),  # dave muted plans
            ("alice", f"class_scores:{wuhan_class}", "day"),
            ("bob", f"class_scores:{wuhan_class}", "day"),  # carol and dave hold no scores
        ]
    )  # nothing for 宜昌: its plan and its scores are in; the summary's first occasion is ahead

    plan_message = next(m for m in messages if m.user_id == carol.user_id)
    assert plan_message.kind == "reminder:annual_plan" and plan_message.text_key == BEFORE
    assert plan_message.params == {
        "base": "武汉职业培训学院",
        "what": "年度培训计划",
        "item": "2026",
        "due": "2026-12-06 17:00",
        "days": "7",
    }
    assert plan_message.text_key.format(**plan_message.params) == (
        "截止提醒：武汉职业培训学院的年度培训计划（2026）将于 2026-12-06 17:00 截止（还有 7 天）。"
    )
    assert (plan_message.button_key, plan_message.link) == (ACT_NOW, "annual:2026:plan")
    assert plan_message.not_before == NOW and plan_message.state.value == "pending"

    scores_message = next(m for m in messages if m.user_id == bob.user_id)
    assert scores_message.kind == "reminder:class_scores" and scores_message.text_key == TODAY
    assert scores_message.params["item"] == "武汉专业科目培训班"
    assert scores_message.params["what"] == "学员成绩"
    assert scores_message.params["due"] == "2026-11-29 23:59"
    assert scores_message.link == f"scores:{wuhan_class}"

    # Planned again, at once or later the same day: nothing new.
    assert await enqueue(uow_factory, clock) == 0
    clock.set(local(29, 18, month=11))
    assert await enqueue(uow_factory, clock) == 0
    assert len(await queued(uow_factory)) == 4


async def test_night_gives_nothing_and_the_morning_catches_up(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    await season(uow_factory, hasher, clock, blobs)
    for night in (local(29, 21, month=11), local(30, 2, month=11), local(30, 7, 59, month=11)):
        clock.set(night)
        assert await enqueue(uow_factory, clock) == 0
    assert await queued(uow_factory) == []
    clock.set(local(30, 8, month=11))  # the first run after the night: the occasions passed by then
    assert await enqueue(uow_factory, clock) == 4


async def test_submitting_stops_the_reminders_and_overdue_ones_say_so(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    people, wuhan_class, _ = await season(uow_factory, hasher, clock, blobs)
    alice = people["alice"]
    assert await enqueue(uow_factory, clock) == 4

    # 陈静 files and submits the plan; three days before the deadline only the scores remain.
    async with uow_factory() as uow:
        await submissions.upload(
            uow, blobs, clock, people["carol"], SubmissionKind.PLAN, YEAR, samples.pdf(), "a.pdf"
        )
    async with uow_factory() as uow:
        await submissions.submit(uow, clock, people["carol"], SubmissionKind.PLAN, YEAR)
    clock.set(local(3, 9))
    assert await enqueue(uow_factory, clock) == 2
    new = [m for m in await queued(uow_factory) if m.occasion != "day" and m.occasion != "before:7"]
    assert {(m.subject, m.occasion) for m in new} == {(f"class_scores:{wuhan_class}", "overdue:1")}
    overdue = next(m for m in new if m.user_id == alice.user_id)
    assert overdue.text_key == OVERDUE and overdue.params["days"] == "4"
    assert overdue.text_key.format(**overdue.params) == (
        "截止提醒：武汉职业培训学院的学员成绩（武汉专业科目培训班）已于 2026-11-29 23:59 截止，"
        "已逾期 4 天，请尽快提交。"
    )


async def test_a_person_of_two_bases_is_reminded_for_each(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        one, two = [await uow.bases.add(a_base(n)) for n in (1, 2)]
        both = await uow.users.add(a_user(1))
        assert one.id and two.id and both.id
        for base in (one, two):
            assert base.id is not None
            await uow.memberships.add(
                Membership(base_id=base.id, user_id=both.id, is_super=True, created_at=NOW)
            )
    await set_deadlines(
        uow_factory, Deadline(year=YEAR, kind=DeadlineKind.ANNUAL_PLAN, due_at=PLAN_DUE)
    )
    assert await enqueue(uow_factory, clock) == 2
    assert {m.params["base"] for m in await queued(uow_factory)} == {one.name, two.name}


async def test_the_years_around_today_are_planned_unless_one_is_named(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        base = await uow.bases.add(a_base(1))
        user = await uow.users.add(a_user(1))
        assert base.id and user.id
        await uow.memberships.add(
            Membership(base_id=base.id, user_id=user.id, is_super=True, created_at=NOW)
        )
    await set_deadlines(
        uow_factory,
        # Next year's plan, due this December: planned now.
        Deadline(year=2027, kind=DeadlineKind.ANNUAL_PLAN, due_at=PLAN_DUE),
        # Long gone: not planned unless asked for by year.
        Deadline(
            year=2023, kind=DeadlineKind.ANNUAL_SUMMARY, due_at=datetime(2023, 12, 1, tzinfo=ZONE)
        ),
    )
    assert await enqueue(uow_factory, clock) == 1
    assert await enqueue(uow_factory, clock, year=2023) == 1
    assert sorted((m.subject, m.occasion) for m in await queued(uow_factory)) == [
        (f"annual_plan:2027:{base.id}", "before:7"),
        (f"annual_summary:2023:{base.id}", "overdue:10"),
    ]


async def test_the_deadlines_around_today_are_last_years_this_years_and_next_years(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Years counted in the platform's time zone: 2026-12-31 16:00 UTC is already 2027 there."""
    await set_deadlines(
        uow_factory,
        *(
            Deadline(year=year, kind=kind, due_at=datetime(year, 12, 1, 17, tzinfo=ZONE))
            for year in (2028, 2024, 2026, 2025, 2027)
            for kind in (DeadlineKind.ANNUAL_SUMMARY, DeadlineKind.ANNUAL_PLAN)
        ),
        Deadline(year=2026, kind=DeadlineKind.CLASS_SCORES, days_after_end=30),
    )
    async with uow_factory(readonly=True) as uow:
        today = await deadlines_around(uow, NOW, RULES)
        eve = await deadlines_around(uow, datetime(2026, 12, 31, 15, 59, tzinfo=UTC), RULES)
        new_year = await deadlines_around(uow, datetime(2026, 12, 31, 16, 0, tzinfo=UTC), RULES)
        everything = await uow.deadlines.list()

    def shown(found: list[Deadline]) -> list[tuple[int, DeadlineKind]]:
        return [(d.year, d.kind) for d in found]

    assert shown(today) == [
        (2025, DeadlineKind.ANNUAL_PLAN),
        (2025, DeadlineKind.ANNUAL_SUMMARY),
        (2026, DeadlineKind.ANNUAL_PLAN),
        (2026, DeadlineKind.ANNUAL_SUMMARY),
        (2026, DeadlineKind.CLASS_SCORES),
        (2027, DeadlineKind.ANNUAL_PLAN),
        (2027, DeadlineKind.ANNUAL_SUMMARY),
    ]
    assert today == [d for d in everything if 2025 <= d.year <= 2027]  # in the stored order
    assert eve == today
    assert [year for year, _ in shown(new_year)] == [2026] * 3 + [2027] * 2 + [2028] * 2


# --- a constant number of queries --------------------------------------------------------------


@contextmanager
def statements(uow_factory: UnitOfWorkFactory) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    target = uow_factory.engine.sync_engine
    event.listen(target, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", count)


async def add_bases(uow_factory: UnitOfWorkFactory, first: int, last: int) -> None:
    """Bases ``first``..``last``, each with a super admin, a plan manager and an approved class;
    every other base has submitted its plan."""
    async with uow_factory() as uow:
        for n in range(first, last + 1):
            base = await uow.bases.add(a_base(n))
            boss = await uow.users.add(a_user(2 * n))
            clerk = await uow.users.add(a_user(2 * n + 1))
            assert base.id and boss.id and clerk.id
            role = await uow.roles.add(
                Role(
                    base_id=base.id, name="计划员", permissions=frozenset({Permission.PLANS_MANAGE})
                )
            )
            await uow.memberships.add(
                Membership(base_id=base.id, user_id=boss.id, is_super=True, created_at=NOW)
            )
            await uow.memberships.add(
                Membership(base_id=base.id, user_id=clerk.id, role_id=role.id, created_at=NOW)
            )
            await uow.classes.add(a_class(base.id, n, status=Status.APPROVED))
            if n % 2 == 0:
                plan = AnnualSubmission(
                    base_id=base.id, year=YEAR, kind=SubmissionKind.PLAN, created_at=NOW
                )
                plan.apply(Action.SUBMIT, NOW, boss.id)
                await uow.submissions.add(plan)


async def test_three_bases_and_thirty_cost_the_same_number_of_queries(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    await set_deadlines(
        uow_factory,
        Deadline(year=YEAR, kind=DeadlineKind.ANNUAL_PLAN, due_at=PLAN_DUE),
        Deadline(year=YEAR, kind=DeadlineKind.ANNUAL_SUMMARY, due_at=SUMMARY_DUE),
        Deadline(year=YEAR, kind=DeadlineKind.ANNUAL_MATERIALS, due_at=SUMMARY_DUE),
        Deadline(year=YEAR, kind=DeadlineKind.CLASS_SCORES, days_after_end=SCORES_DAYS),
    )

    async def measure() -> tuple[int, int, int, int]:
        with statements(uow_factory) as gathering:
            async with uow_factory(readonly=True) as uow:
                obligations, _ = await planning_inputs(uow, YEAR, RULES)
        with statements(uow_factory) as queueing:
            added = await enqueue(uow_factory, clock)
        return len(gathering), len(obligations), len(queueing), added

    await add_bases(uow_factory, 1, 3)
    few = await measure()
    await add_bases(uow_factory, 4, 30)
    many = await measure()

    # 3 annual kinds and one class per base; plan reminders to both admins of the odd bases,
    # scores reminders to the super admin of every base.
    assert (few[1], few[3]) == (3 * 4, 2 * 2 + 3)
    assert (many[1], many[3]) == (30 * 4, 15 * 2 + 30 - (2 * 2 + 3))
    assert many[0] == few[0] and many[2] == few[2], (few, many)
    # Deadlines, bases, submissions, classes, memberships (+ BEGIN on SQLite); queueing adds the
    # mutes and one INSERT in a savepoint.
    assert few[0] <= 6 and few[2] <= 10, few


async def test_each_base_sees_where_it_stands_and_only_the_kinds_it_acts_on(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock, blobs: LocalFileStore
) -> None:
    people, wuhan_class, yichang_class = await season(uow_factory, hasher, clock, blobs)
    async with uow_factory(readonly=True) as uow:
        wuhan = await base_deadlines(uow, clock, people["alice"], RULES)
        yichang = await base_deadlines(uow, clock, people["mallory"], RULES)
        scorer = await base_deadlines(uow, clock, people["bob"], RULES)
        muted = await base_deadlines(uow, clock, people["dave"], RULES)

    assert wuhan.base_name == "武汉职业培训学院" and wuhan.more == 0
    assert [
        (line.kind, line.item, line.standing, line.days_left, line.link) for line in wuhan.lines
    ] == [
        (
            DeadlineKind.CLASS_SCORES,
            "武汉专业科目培训班",
            Standing.OPEN,
            0,
            f"scores:{wuhan_class}",
        ),
        (DeadlineKind.ANNUAL_PLAN, "2026", Standing.OPEN, 7, "annual:2026:plan"),
        (DeadlineKind.ANNUAL_SUMMARY, "2026", Standing.OPEN, 63, "annual:2026:summary"),
    ]
    assert wuhan.kinds == tuple(DeadlineKind) and wuhan.muted == frozenset()
    # 宜昌 filed its plan and its class's scores: done, listed after what is still open.
    assert [(line.kind, line.standing) for line in yichang.lines] == [
        (DeadlineKind.ANNUAL_SUMMARY, Standing.OPEN),
        (DeadlineKind.CLASS_SCORES, Standing.DONE),
        (DeadlineKind.ANNUAL_PLAN, Standing.DONE),
    ]
    assert yichang.lines[1].link == f"scores:{yichang_class}"
    # A score manager sees the scores only; a muted kind is shown as muted.
    assert [line.kind for line in scorer.lines] == [DeadlineKind.CLASS_SCORES]
    assert scorer.kinds == (DeadlineKind.CLASS_SCORES,)
    assert muted.kinds == (DeadlineKind.ANNUAL_PLAN,)
    assert muted.muted == frozenset({DeadlineKind.ANNUAL_PLAN})

    clock.set(local(30, 9) + timedelta(days=31))  # 2027-01-30: the done plan has aged off
    async with uow_factory(readonly=True) as uow:
        later = await base_deadlines(uow, clock, people["mallory"], RULES)
    assert [(line.kind, line.standing) for line in later.lines] == [
        (DeadlineKind.ANNUAL_SUMMARY, Standing.OPEN),
    ]
