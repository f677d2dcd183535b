"""An approved class of 王芳's base, arranged through the services, for the score tests."""

from __future__ import annotations

from domain import validators
from domain.model import ReviewerActor, ScoreRecord
from domain.scoresheet import Column
from domain.services import classes, review, scores
from domain.services.sessions import resolve_actor
from tests.e2e.conftest import Stack
from tests.e2e.setup import services_of
from tests.services.test_classes import a_form

BOSS = 1001
CLASS_NAME = "2026年武汉专业科目培训班"


def learner_id(serial: int) -> str:
    first17 = f"42010119900101{serial:03d}"
    return first17 + validators.id_number_check_char(first17)


async def approved_class(stack: Stack, name: str = CLASS_NAME, boss: int = BOSS) -> int:
    """Declared, submitted and approved (24 hours, 2026-03-01 to 2026-03-03)."""
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, boss, svc.session_policy)
        form = classes.parse_class_form(a_form(name=name), svc.clock.now().date())
        declared = await classes.declare(uow, svc.clock, actor, form)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, boss, svc.session_policy)
        await classes.submit_class(uow, svc.clock, actor, declared.id or 0)
    async with svc.uow() as uow:
        checker = await uow.users.get_by_id_number(REVIEWER_ID)
        if checker is None:
            checker = await review.create_reviewer(
                uow,
                svc.hasher,
                svc.clock,
                name="周审核",
                id_number=REVIEWER_ID,
                mobile="13600001111",
                initial_password="审核员初始密码 2026",
            )
    async with svc.uow() as uow:
        as_reviewer = ReviewerActor(session_id=0, user_id=checker.id or 0, user_name=checker.name)
        await review.approve(uow, svc.clock, as_reviewer, declared.id or 0)
    return declared.id or 0


REVIEWER_ID = learner_id(900)


async def recorded(stack: Stack, class_id: int, *learners: dict[Column, str]) -> None:
    svc = services_of(stack)
    for values in learners:
        async with svc.uow() as uow:
            actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
            await scores.add_learner(uow, svc.clock, actor, class_id, values)


async def stored_learners(stack: Stack, class_id: int) -> list[ScoreRecord]:
    svc = services_of(stack)
    async with svc.uow() as uow:
        return list(await uow.scores.list_for_class(class_id))


async def sheet_status(stack: Stack, class_id: int) -> object:
    svc = services_of(stack)
    async with svc.uow() as uow:
        return (await scores.sheet_of(uow, class_id)).status
