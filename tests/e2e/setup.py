"""Arranging a scene through the domain services, so a test spends its chat on what it tests."""

from __future__ import annotations

from collections.abc import Iterable

from bot.runtime import SERVICES_KEY, Services
from domain.clock import FixedClock
from domain.permissions import Permission
from domain.services import admins, auth, roles
from domain.services.sessions import resolve_actor
from storage.uow import UnitOfWorkFactory
from tests.e2e.conftest import Stack


def services_of(stack: Stack) -> Services:
    found = stack.app.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


def fixed_clock(stack: Stack) -> FixedClock:
    """The test's clock the stack runs on, for a test that moves time on."""
    found = services_of(stack).clock
    assert isinstance(found, FixedClock)
    return found


def sql_units(stack: Stack) -> UnitOfWorkFactory:
    """The storage's units of work, for a test that reaches past the repositories to SQL."""
    found = services_of(stack).uow
    assert isinstance(found, UnitOfWorkFactory)
    return found


async def logged_in_admin(
    stack: Stack,
    *,
    boss_telegram_id: int,
    telegram_id: int,
    name: str,
    id_number: str,
    mobile: str,
    permissions: Iterable[Permission],
    role_name: str = "专员",
    password: str = "登录用的一个好密码",
) -> None:
    """The boss (a logged-in super admin) adds a person with a new role, who then logs in."""
    svc = services_of(stack)
    initial = "临时初始密码 2026"
    async with svc.uow() as uow:
        boss = await resolve_actor(uow, svc.clock, boss_telegram_id, svc.session_policy)
        role = await roles.create_role(uow, svc.clock, boss, role_name, permissions)
    async with svc.uow() as uow:
        boss = await resolve_actor(uow, svc.clock, boss_telegram_id, svc.session_policy)
        await admins.add_new_admin(
            uow,
            svc.hasher,
            svc.clock,
            boss,
            name=name,
            id_number=id_number,
            mobile=mobile,
            initial_password=initial,
            role_id=role.id,
        )
    await first_login(
        stack, telegram_id=telegram_id, id_number=id_number, initial=initial, password=password
    )


async def first_login(
    stack: Stack, *, telegram_id: int, id_number: str, initial: str, password: str
) -> None:
    """Someone given an ``initial`` password logs in from ``telegram_id`` and, as the bot insists,
    changes it to ``password``."""
    svc = services_of(stack)
    async with svc.uow() as uow:
        await auth.login(
            uow,
            svc.hasher,
            svc.clock,
            telegram_user_id=telegram_id,
            id_number=id_number,
            password=initial,
        )
    async with svc.uow() as uow:
        await auth.change_password(
            uow,
            svc.hasher,
            svc.clock,
            telegram_user_id=telegram_id,
            old_password=initial,
            new_password=password,
            new_password_again=password,
            policy=svc.session_policy,
        )
