"""An approved class on a fresh database, arranged through the real services as an admin would.

Each measured import gets a database of its own, so no run sees another's learners; the class is
always the first one declared there, so one score file (whose template marker names the class id)
serves every run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from domain import validators
from domain.clock import FixedClock
from domain.model import Actor
from domain.ports import UnitOfWork
from domain.scoresheet import ClassHeading
from domain.services import auth, classes, review, scores
from domain.services.sessions import SessionPolicy, resolve_actor, resolve_reviewer
from storage.crypto import FieldCipher, Keyring
from storage.db import make_engine
from storage.migrate import upgrade_engine
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
"""The suite's fixed moment (2026-11-29 09:00 in Asia/Shanghai): the class below is in its past."""
TODAY = NOW.date()
POLICY = SessionPolicy()
PASSWORD = "湖北继教 2026 春"
INITIAL_PASSWORD = "初始密码 abc 123"
NEW_PASSWORD = "春风十里不如你呀"
ADMIN_TELEGRAM_ID = 1001
REVIEWER_TELEGRAM_ID = 5005


def make_id(first17: str) -> str:
    return first17 + validators.id_number_check_char(first17)


class UnitsOfWork(Protocol):
    """``storage.uow.UnitOfWorkFactory`` as the services see it: a maker of the port."""

    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...


@dataclass
class Arranged:
    """A migrated database holding one base, its super admin and one approved class."""

    engine: AsyncEngine
    uow_factory: UnitsOfWork
    clock: FixedClock
    actor: Actor
    class_id: int
    heading: ClassHeading


def cheap_hasher() -> Argon2PasswordHasher:
    """The suite's deliberately cheap parameters: arranging is not what is measured."""
    return Argon2PasswordHasher(memory_cost=1024, iterations=1)


@asynccontextmanager
async def approved_class(database: Path, keyring: Keyring | None = None) -> AsyncIterator[Arranged]:
    """A fresh SQLite file at ``database`` (removed first if present), disposed of on leaving.

    ``keyring`` is for a caller that starts the whole bot on the database afterwards (it needs the
    same keys); a fresh one otherwise."""
    database.unlink(missing_ok=True)  # noqa: ASYNC240 (before anything runs: nothing to block)
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade_engine(engine)
        uow_factory: UnitsOfWork = UnitOfWorkFactory(
            engine, FieldCipher(keyring or Keyring.generate())
        )
        clock = FixedClock(NOW)
        hasher = cheap_hasher()
        actor = await _super_admin(uow_factory, hasher, clock)
        class_id = await _approve(
            uow_factory, hasher, clock, actor, await _declare(uow_factory, clock, actor)
        )
        async with uow_factory(readonly=True) as uow:
            heading = await scores.heading(uow, actor, class_id)
        yield Arranged(engine, uow_factory, clock, actor, class_id, heading)
    finally:
        await engine.dispose()


async def _super_admin(
    uow_factory: UnitsOfWork, hasher: Argon2PasswordHasher, clock: FixedClock
) -> Actor:
    form = auth.Registration(
        base_name="武汉职业培训学院",
        credit_code="91350100M000100Y43",
        region="武汉市",
        address="武汉市洪山区珞喻路 1 号",
        contact_person="李明",
        contact_phone="027-87654321",
        admin_name="王芳",
        admin_id_number="11010519491231002X",
        admin_mobile="13812345678",
        password_hash=await hasher.hash(PASSWORD),
    )
    async with uow_factory() as uow:
        await auth.register_base(uow, clock, form, telegram_user_id=ADMIN_TELEGRAM_ID)
    async with uow_factory() as uow:
        actor = await resolve_actor(uow, clock, ADMIN_TELEGRAM_ID, POLICY)
    return actor


async def _declare(uow_factory: UnitsOfWork, clock: FixedClock, actor: Actor) -> int:
    form = classes.ClassForm(
        name="2026年专业技术人员继续教育专业科目培训班",
        year="2026",
        category="专业科目",
        mode="线下",
        start_date="2026年3月1日",
        end_date="2026/3/3",
        location="武汉市洪山区珞喻路 1 号",
        hours="24",
        capacity="120",
        fee="1200",
        audience="全省中级职称专业技术人员",
        description="三天集中面授，含结业考核。",
        plan_text="第一天：政策解读\n第二天：专业课程\n第三天：考核",
    )
    async with uow_factory() as uow:
        declared = await classes.declare(uow, clock, actor, classes.parse_class_form(form, TODAY))
    assert declared.id is not None
    return declared.id


async def _approve(
    uow_factory: UnitsOfWork,
    hasher: Argon2PasswordHasher,
    clock: FixedClock,
    actor: Actor,
    class_id: int,
) -> int:
    async with uow_factory() as uow:
        await classes.submit_class(uow, clock, actor, class_id)
    reviewer_id = make_id("42010019750505002")
    async with uow_factory() as uow:
        await review.create_reviewer(
            uow,
            hasher,
            clock,
            name="审核员",
            id_number=reviewer_id,
            mobile="13600001111",
            initial_password=INITIAL_PASSWORD,
        )
    async with uow_factory() as uow:
        await auth.login(
            uow,
            hasher,
            clock,
            telegram_user_id=REVIEWER_TELEGRAM_ID,
            id_number=reviewer_id,
            password=INITIAL_PASSWORD,
        )
    async with uow_factory() as uow:
        await auth.change_password(
            uow,
            hasher,
            clock,
            telegram_user_id=REVIEWER_TELEGRAM_ID,
            old_password=INITIAL_PASSWORD,
            new_password=NEW_PASSWORD,
            new_password_again=NEW_PASSWORD,
            policy=POLICY,
        )
    async with uow_factory() as uow:
        checker = await resolve_reviewer(uow, clock, REVIEWER_TELEGRAM_ID, POLICY)
    async with uow_factory() as uow:
        await review.approve(uow, clock, checker, class_id)
    return class_id
