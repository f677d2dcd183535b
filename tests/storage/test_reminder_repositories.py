"""Deadlines, mutes and the planning read model against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.errors import Conflict
from domain.model import (
    AnnualSubmission,
    Deadline,
    DeadlineKind,
    MaterialKind,
    Membership,
    Role,
    ScoreSheet,
    SubmissionKind,
)
from domain.permissions import Permission
from domain.ports import Holder
from domain.workflow import Action, Status
from storage.uow import UnitOfWorkFactory
from tests.storage.test_class_repository import a_class
from tests.storage.test_repositories import a_base, a_user

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
PLAN_DUE = datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI)


# --- deadlines ---------------------------------------------------------------------------------


async def test_a_deadline_is_one_per_year_and_kind_and_setting_again_replaces_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        plan = await uow.deadlines.set(
            Deadline(year=2026, kind=DeadlineKind.ANNUAL_PLAN, due_at=PLAN_DUE)
        )
        scores = await uow.deadlines.set(
            Deadline(year=2026, kind=DeadlineKind.CLASS_SCORES, days_after_end=15)
        )
        await uow.deadlines.set(
            Deadline(year=2027, kind=DeadlineKind.ANNUAL_PLAN, due_at=PLAN_DUE.replace(year=2027))
        )
        await uow.commit()
    assert plan.id is not None and plan.due_at == PLAN_DUE and plan.due_at.tzinfo is UTC
    assert scores.days_after_end == 15 and scores.due_at is None

    later = PLAN_DUE + timedelta(days=7)
    async with uow_factory() as uow:
        moved = await uow.deadlines.set(
            Deadline(year=2026, kind=DeadlineKind.ANNUAL_PLAN, due_at=later)
        )
        await uow.deadlines.set(
            Deadline(year=2026, kind=DeadlineKind.CLASS_SCORES, days_after_end=30)
        )
        await uow.commit()
    assert moved.id == plan.id and moved.due_at == later

    async with uow_factory(readonly=True) as uow:
        this_year = await uow.deadlines.list(year=2026)
        every = await uow.deadlines.list()
        none = await uow.deadlines.list(year=2030)
    assert [(d.kind, d.due_at, d.days_after_end) for d in this_year] == [
        (DeadlineKind.ANNUAL_PLAN, later, None),
        (DeadlineKind.CLASS_SCORES, None, 30),
    ]
    assert [(d.year, d.kind) for d in every] == [
        (2026, DeadlineKind.ANNUAL_PLAN),
        (2026, DeadlineKind.CLASS_SCORES),
        (2027, DeadlineKind.ANNUAL_PLAN),
    ]
    assert none == []


async def test_a_deadline_has_a_due_time_or_a_number_of_days_never_both_nor_neither(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await uow.deadlines.set(Deadline(year=2026, kind=DeadlineKind.ANNUAL_SUMMARY))
        with pytest.raises(Conflict):
            await uow.deadlines.set(
                Deadline(
                    year=2026,
                    kind=DeadlineKind.ANNUAL_SUMMARY,
                    due_at=PLAN_DUE,
                    days_after_end=3,
                )
            )
        # The unit of work is still usable after the refusal (the write ran in a savepoint).
        await uow.deadlines.set(
            Deadline(year=2026, kind=DeadlineKind.ANNUAL_SUMMARY, due_at=PLAN_DUE)
        )
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert [d.kind for d in await uow.deadlines.list()] == [DeadlineKind.ANNUAL_SUMMARY]


# --- mutes -------------------------------------------------------------------------------------


async def test_mutes_per_person_and_kind(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        alice = await uow.users.add(a_user(1))
        bob = await uow.users.add(a_user(2))
        await uow.commit()
    assert alice.id is not None and bob.id is not None

    async with uow_factory() as uow:
        await uow.mutes.mute(alice.id, DeadlineKind.ANNUAL_PLAN)
        await uow.mutes.mute(alice.id, DeadlineKind.ANNUAL_PLAN)  # twice: still once
        await uow.mutes.mute(alice.id, DeadlineKind.CLASS_SCORES)
        await uow.mutes.mute(bob.id, DeadlineKind.ANNUAL_SUMMARY)
        await uow.mutes.unmute(bob.id, DeadlineKind.ANNUAL_PLAN)  # never muted: nothing happens
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.mutes.for_user(alice.id) == {
            DeadlineKind.ANNUAL_PLAN,
            DeadlineKind.CLASS_SCORES,
        }
        assert await uow.mutes.all() == {
            (alice.id, DeadlineKind.ANNUAL_PLAN),
            (alice.id, DeadlineKind.CLASS_SCORES),
            (bob.id, DeadlineKind.ANNUAL_SUMMARY),
        }

    async with uow_factory() as uow:
        await uow.mutes.unmute(alice.id, DeadlineKind.ANNUAL_PLAN)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.mutes.for_user(alice.id) == {DeadlineKind.CLASS_SCORES}
        assert await uow.mutes.for_user(404) == set()


# --- what planning reads -----------------------------------------------------------------------


async def test_planning_reads_memberships_with_their_roles(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        wuhan = await uow.bases.add(a_base(1))
        yichang = await uow.bases.add(a_base(2, name="宜昌职业技术学院"))
        boss, clerk, idle = [await uow.users.add(a_user(n)) for n in (1, 2, 3)]
        assert wuhan.id and yichang.id and boss.id and clerk.id and idle.id
        scorer = await uow.roles.add(
            Role(base_id=wuhan.id, name="成绩员", permissions=frozenset({Permission.SCORES_MANAGE}))
        )
        await uow.memberships.add(
            Membership(base_id=wuhan.id, user_id=boss.id, is_super=True, created_at=T0)
        )
        await uow.memberships.add(
            Membership(base_id=wuhan.id, user_id=clerk.id, role_id=scorer.id, created_at=T0)
        )
        await uow.memberships.add(Membership(base_id=wuhan.id, user_id=idle.id, created_at=T0))
        await uow.memberships.add(
            Membership(base_id=yichang.id, user_id=clerk.id, is_super=True, created_at=T0)
        )
        await uow.commit()

    async with uow_factory(readonly=True) as uow:
        names = await uow.planning.base_names()
        holders = await uow.planning.permission_holders()
        only_wuhan = await uow.planning.permission_holders(wuhan.id)
    assert names == {wuhan.id: wuhan.name, yichang.id: "宜昌职业技术学院"}
    assert sorted(holders) == sorted(
        [
            Holder(boss.id, wuhan.id, frozenset(Permission)),
            Holder(clerk.id, wuhan.id, frozenset({Permission.SCORES_MANAGE})),
            Holder(idle.id, wuhan.id, frozenset()),  # no role: listed, holding nothing
            Holder(clerk.id, yichang.id, frozenset(Permission)),
        ]
    )
    assert sorted(only_wuhan) == sorted(h for h in holders if h.base_id == wuhan.id)


def submission(
    base_id: int, kind: SubmissionKind, year: int = 2026, *actions: Action
) -> AnnualSubmission:
    item = AnnualSubmission(
        base_id=base_id,
        year=year,
        kind=kind,
        title="学习指南" if kind is SubmissionKind.MATERIAL else "",
        material_kind=MaterialKind.STUDY_GUIDE if kind is SubmissionKind.MATERIAL else None,
        created_at=T0,
    )
    for n, action in enumerate(actions):
        item.apply(
            action, T0 + timedelta(minutes=n), None, "请补充" if action is Action.RETURN else None
        )
    return item


async def test_planning_reads_what_each_base_has_handed_in(
    uow_factory: UnitOfWorkFactory,
) -> None:
    submit, approve, give_back = Action.SUBMIT, Action.APPROVE, Action.RETURN
    plan, summary, material = SubmissionKind.PLAN, SubmissionKind.SUMMARY, SubmissionKind.MATERIAL
    async with uow_factory() as uow:
        one, two, three = [await uow.bases.add(a_base(n)) for n in (1, 2, 3)]
        assert one.id and two.id and three.id
        for item in (
            submission(one.id, plan, 2026, submit),  # in
            submission(one.id, summary, 2026),  # a draft: not in
            submission(one.id, material, 2026, submit, give_back),  # returned: not in
            submission(one.id, material, 2026, submit, approve),  # one material in is enough
            submission(two.id, plan, 2026, submit, approve),  # approved: in
            submission(two.id, summary, 2026, submit, give_back),
            submission(two.id, material, 2026),
            submission(three.id, plan, 2025, submit),  # another year
        ):
            await uow.submissions.add(item)

        approved = await uow.classes.add(a_class(one.id, 1, status=Status.APPROVED))
        scored = await uow.classes.add(a_class(two.id, 2, status=Status.APPROVED))
        returned = await uow.classes.add(a_class(two.id, 3, status=Status.APPROVED))
        await uow.classes.add(a_class(one.id, 4))  # a draft owes no scores
        await uow.classes.add(a_class(one.id, 5, year=2025, status=Status.APPROVED))
        assert approved.id and scored.id and returned.id
        sheet = ScoreSheet(class_id=scored.id)
        sheet.apply(submit, T0, None)
        await uow.scores.save_sheet(sheet)
        back = ScoreSheet(class_id=returned.id)
        back.apply(submit, T0, None)
        back.apply(give_back, T0, None, "人数不符")
        await uow.scores.save_sheet(back)
        await uow.commit()

    async with uow_factory(readonly=True) as uow:
        done = await uow.planning.annual_done([2026])
        nothing = await uow.planning.annual_done([])
        classes = await uow.planning.approved_classes([2026])
        no_classes = await uow.planning.approved_classes([])
    assert done == {(one.id, 2026, plan), (one.id, 2026, material), (two.id, 2026, plan)}
    assert nothing == set() and no_classes == []
    assert [(c.class_id, c.base_id, c.year, c.end_date, c.scores_in) for c in classes] == [
        (approved.id, one.id, 2026, date(2026, 3, 3), False),
        (scored.id, two.id, 2026, date(2026, 3, 3), True),
        (returned.id, two.id, 2026, date(2026, 3, 3), False),
    ]
    assert classes[0].name == approved.name
