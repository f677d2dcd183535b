"""A populated base, arranged through the domain services once and copied for every run.

Random input only reaches deep states (a class under review, a learner's row, a reviewer's
queue) if those states exist: typing at random never completes an eleven-step registration.
So the scene is built once per session into a SQLite file through the same services the bot
calls, and each hypothesis example, and each soak run, starts the real Application on a copy.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.app import Overrides
from bot.config import Settings
from bot.emulator import Emulator
from bot.lifecycle import stop
from domain.clock import FixedClock
from domain.model import ReviewerActor
from domain.permissions import Permission
from domain.scoresheet import Column
from domain.services import auth, review, scores
from domain.services import classes as c
from domain.services.sessions import resolve_actor
from storage.crypto import Keyring
from storage.passwords import Argon2PasswordHasher
from tests.conftest import NOW
from tests.e2e.conftest import Stack
from tests.e2e.scores_setup import learner_id
from tests.e2e.setup import logged_in_admin, services_of
from tests.services.test_classes import a_form, make_id

BOSS = 1001
"""王芳, super admin of 武汉职业培训学院, logged in."""
CLERK = 1002
"""李专员, an admin of the same base with classes, scores and plans, logged in."""
STRANGER = 1003
"""Nobody yet: may register, log in with wrong credentials, press what is not theirs."""
REVIEWER = 5005
"""周审核, reviewer for 武汉市, logged in with a changed password."""
PROBE = 9999
"""Only ever sends /start: the liveness check."""

PASSWORD = "湖北继教 2026 春"
BOSS_ID = "11010519491231002X"
CLERK_ID = make_id("42010019800101001")
REVIEWER_ID = make_id("42010019750505002")
CREDIT_CODE = "91350100M000100Y43"
REVIEWER_PASSWORD = "审核员自己的新密码呀"


@dataclass
class Scene:
    """Where the template lives and what every copy needs to start from it."""

    directory: Path
    keyring: Keyring

    @property
    def database(self) -> Path:
        return self.directory / "cebot.db"

    def copy_to(self, target: Path) -> str:
        """Copies the template database into ``target`` and returns its URL."""
        target.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.database}{suffix}")
            if source.exists():
                shutil.copyfile(source, target / f"cebot.db{suffix}")
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
        stack = Stack(emu, settings_for(url, directory / "data", keyring), overrides_for(emu))
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
    async with svc.uow() as uow:
        checker = await review.create_reviewer(
            uow,
            svc.hasher,
            svc.clock,
            name="周审核",
            id_number=REVIEWER_ID,
            mobile="13600001111",
            initial_password="审核员初始密码 2026",
            regions=("武汉市",),
        )
    async with svc.uow() as uow:
        await auth.login(
            uow,
            svc.hasher,
            svc.clock,
            telegram_user_id=REVIEWER,
            id_number=REVIEWER_ID,
            password="审核员初始密码 2026",
        )
    async with svc.uow() as uow:
        await auth.change_password(
            uow,
            svc.hasher,
            svc.clock,
            telegram_user_id=REVIEWER,
            old_password="审核员初始密码 2026",
            new_password=REVIEWER_PASSWORD,
            new_password_again=REVIEWER_PASSWORD,
            policy=svc.session_policy,
        )
    draft = await _declare(stack, "2026年武汉公需科目培训班")
    submitted = await _declare(stack, "2026年武汉专业科目培训班")
    approved = await _declare(stack, "2026年武汉高级研修班")
    for class_id in (submitted, approved):
        async with svc.uow() as uow:
            actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
            await c.submit_class(uow, svc.clock, actor, class_id)
    async with svc.uow() as uow:
        as_reviewer = ReviewerActor(session_id=0, user_id=checker.id or 0, user_name=checker.name)
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
    del draft


async def _declare(stack: Stack, name: str) -> int:
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        form = c.parse_class_form(a_form(name=name), svc.clock.now().date())
        declared = await c.declare(uow, svc.clock, actor, form)
    return declared.id or 0
