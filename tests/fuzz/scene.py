"""A populated base, arranged through the domain services once and copied for every run.

Random input only reaches deep states (a class under review, a learner's row, a reviewer's
queue) if those states exist: typing at random never completes an eleven-step registration.
So the scene is built once per session into a SQLite file (and its data folder, where the
uploaded files are) through the same services the bot calls, and each hypothesis example, and
each soak run, starts the real Application on a copy.

The reviewer's queue holds something of every kind, more than a page of classes and of annual
submissions: the submitted classes, the scores of five approved classes, the year's plan and
summary and several materials. A second reviewer covers another region, so his presses on the
same items must change nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.bootstrap import Overrides
from bot.config import Settings
from bot.emulator import Emulator
from bot.lifecycle import stop
from domain.clock import FixedClock
from domain.model import MaterialKind, ReviewerActor, SubmissionKind, User
from domain.permissions import Permission
from domain.scoresheet import Column
from domain.services import auth, classes, review, scores, submissions
from domain.services.sessions import resolve_actor
from storage.crypto import Keyring
from storage.passwords import Argon2PasswordHasher
from tests.conftest import NOW
from tests.e2e.conftest import Stack
from tests.e2e.scores_setup import learner_id
from tests.e2e.setup import first_login, logged_in_admin, services_of
from tests.e2e.test_classes import PDF
from tests.services.test_classes import a_form, make_id

BOSS = 1001
"""王芳, super admin of 武汉职业培训学院, logged in."""
CLERK = 1002
"""李专员, an admin of the same base with classes, scores and plans, logged in."""
STRANGER = 1003
"""Nobody yet: may register, log in with wrong credentials, press what is not theirs."""
REVIEWER = 5005
"""周审核, reviewer for 武汉市, logged in with a changed password."""
OUTSIDER = 5006
"""吴审核, reviewer for 黄石市 only, logged in with a changed password: nothing here is his."""
PROBE = 9999
"""Only ever sends /start: the liveness check."""

PASSWORD = "湖北继教 2026 春"
BOSS_ID = "11010519491231002X"
CLERK_ID = make_id("42010019800101001")
REVIEWER_ID = make_id("42010019750505002")
CREDIT_CODE = "91350100M000100Y43"
REVIEWER_PASSWORD = "审核员自己的新密码呀"
OUTSIDER_ID = make_id("42020019780808003")
OUTSIDER_PASSWORD = "黄石审核员的新密码"
SUBMITTED_CLASSES = 10
"""Submitted classes waiting in the queue: more than a page
(``bot.handlers.review.screens.PAGE_SIZE``)."""
APPROVED_CLASSES = 6
"""Approved classes with two learners each: the first one's scores a draft, the others'
submitted, waiting for the reviewer."""
SUBMITTED_MATERIALS = 8
"""With the plan and the summary, more than a page of annual submissions."""


@dataclass
class Scene:
    """Where the template lives and what every copy needs to start from it."""

    directory: Path
    keyring: Keyring

    @property
    def database(self) -> Path:
        return self.directory / "cebot.db"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def copy_to(self, target: Path) -> str:
        """Copies the template database and data folder (the stored files) into ``target``
        and returns the database's URL; the copy's data folder is ``target / "data"``."""
        target.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.database}{suffix}")
            if source.exists():
                shutil.copyfile(source, target / f"cebot.db{suffix}")
        if self.data.exists():
            shutil.copytree(self.data, target / "data", dirs_exist_ok=True)
        return f"sqlite+aiosqlite:///{target / 'cebot.db'}"


def settings_for(database_url: str, data_dir: Path, keyring: Keyring) -> Settings:
    return Settings.from_mapping(
        {
            "CEBOT_DATABASE_URL": database_url,
            "CEBOT_DATA_DIR": str(data_dir),
            "CEBOT_SECRET_KEYS": keyring.to_json(),
        }
    )


def overrides_for(emu: Emulator, clock: FixedClock | None = None) -> Overrides:
    return Overrides(
        clock=clock or FixedClock(NOW),
        hasher=Argon2PasswordHasher(memory_cost=1024, iterations=1),
        token=emu.token,
        bot_api_url=emu.root_url,
        migrate=True,
    )


async def build_scene(directory: Path) -> Scene:
    """The template: one base with its boss and a clerk, a reviewer, classes in three states."""
    keyring = Keyring.generate()
    scene = Scene(directory, keyring)
    url = f"sqlite+aiosqlite:///{scene.database}"
    async with Emulator() as emu:
        stack = Stack(emu, settings_for(url, scene.data, keyring), overrides_for(emu))
        await stack.start()
        try:
            await _populate(stack)
        finally:
            await stop(stack.app)
    return scene


async def _populate(stack: Stack) -> None:
    svc = services_of(stack)
    async with svc.uow() as uow:
        await auth.register_base(
            uow,
            svc.clock,
            auth.Registration(
                base_name="武汉职业培训学院",
                credit_code=CREDIT_CODE,
                region="武汉市",
                address="武汉市洪山区珞喻路 1 号",
                contact_person="李明",
                contact_phone="027-87654321",
                admin_name="王芳",
                admin_id_number=BOSS_ID,
                admin_mobile="13812345678",
                password_hash=await svc.hasher.hash(PASSWORD),
            ),
            telegram_user_id=BOSS,
        )
    await logged_in_admin(
        stack,
        boss_telegram_id=BOSS,
        telegram_id=CLERK,
        name="李专员",
        id_number=CLERK_ID,
        mobile="13900001111",
        permissions=[
            Permission.CLASSES_MANAGE,
            Permission.SCORES_MANAGE,
            Permission.PLANS_MANAGE,
        ],
        password=PASSWORD,
    )
    checker = await _reviewer(
        stack, REVIEWER, "周审核", REVIEWER_ID, "13600001111", REVIEWER_PASSWORD, "武汉市"
    )
    await _reviewer(
        stack, OUTSIDER, "吴审核", OUTSIDER_ID, "13600002222", OUTSIDER_PASSWORD, "黄石市"
    )
    as_reviewer = ReviewerActor(session_id=0, user_id=checker.id or 0, user_name=checker.name)
    await _declare(stack, "2026年武汉公需科目培训班")
    for number in range(1, SUBMITTED_CLASSES + 1):
        name = "2026年武汉专业科目培训班" + (f"（第{number}期）" if number > 1 else "")
        await _submit(stack, await _declare(stack, name))
    for number in range(1, APPROVED_CLASSES + 1):
        name = "2026年武汉高级研修班" + (f"（第{number}期）" if number > 1 else "")
        approved = await _declare(stack, name)
        await _submit(stack, approved)
        async with svc.uow() as uow:
            await review.approve(uow, svc.clock, as_reviewer, approved)
        for serial in (1, 2):
            async with svc.uow() as uow:
                actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
                await scores.add_learner(
                    uow,
                    svc.clock,
                    actor,
                    approved,
                    {
                        Column.NAME: f"学员{serial}",
                        Column.ID_NUMBER: learner_id(serial),
                        Column.SCORE: "88",
                        Column.HOURS: "24",
                    },
                )
        if number > 1:  # the first one's scores stay with the base, as a draft
            async with svc.uow() as uow:
                actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
                await scores.submit_scores(uow, svc.clock, actor, approved)
    await _annual(stack)
    await _notices_delivered(stack)


async def _notices_delivered(stack: Stack) -> None:
    """The scene's decisions were made long ago: their notices count as sent. Every run starts
    its own emulator with empty chats anyway, and left pending, they would all go out after
    the first decision of every example, at Telegram's pace of one a second to a chat."""
    svc = services_of(stack)
    async with svc.uow() as uow:
        now = svc.clock.now()
        for message in await uow.outbox.claim(now, limit=1000, lease=timedelta(minutes=5)):
            await uow.outbox.mark_sent(message.id or 0, now)


async def _reviewer(
    stack: Stack,
    telegram_id: int,
    name: str,
    id_number: str,
    mobile: str,
    password: str,
    region: str,
) -> User:
    """Made as the operator makes one, logged in from ``telegram_id``, password changed."""
    svc = services_of(stack)
    initial = "审核员初始密码 2026"
    async with svc.uow() as uow:
        user = await review.create_reviewer(
            uow,
            svc.hasher,
            svc.clock,
            name=name,
            id_number=id_number,
            mobile=mobile,
            initial_password=initial,
            regions=(region,),
        )
    await first_login(
        stack, telegram_id=telegram_id, id_number=id_number, initial=initial, password=password
    )
    return user


async def _annual(stack: Stack) -> None:
    """The year's plan and summary and SUBMITTED_MATERIALS materials submitted; one material
    left as a draft."""
    svc = services_of(stack)
    year = submissions.this_year(svc.clock)
    for kind, filename in (
        (SubmissionKind.PLAN, "年度培训计划.pdf"),
        (SubmissionKind.SUMMARY, "总结.pdf"),
    ):
        async with svc.uow() as uow:
            actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
            await submissions.upload(uow, svc.blobs, svc.clock, actor, kind, year, PDF, filename)
        async with svc.uow() as uow:
            actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
            await submissions.submit(uow, svc.clock, actor, kind, year)
    for number in range(SUBMITTED_MATERIALS + 1):
        async with svc.uow() as uow:
            actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
            view = await submissions.add_material(
                uow,
                svc.blobs,
                svc.clock,
                actor,
                year,
                MaterialKind.WORK_NOTICE,
                f"工作通知第{number + 1}号",
                PDF,
                f"通知{number + 1}.pdf",
            )
        if number < SUBMITTED_MATERIALS:
            assert view.submission is not None
            async with svc.uow() as uow:
                actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
                await submissions.submit_material(uow, svc.clock, actor, view.submission.id or 0)


async def _submit(stack: Stack, class_id: int) -> None:
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        await classes.submit_class(uow, svc.clock, actor, class_id)


async def _declare(stack: Stack, name: str) -> int:
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        form = classes.parse_class_form(a_form(name=name), svc.clock.now().date())
        declared = await classes.declare(uow, svc.clock, actor, form)
    return declared.id or 0
