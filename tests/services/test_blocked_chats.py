"""Blocked chats: recorded, cleared by unblocking or by logging in from the chat."""

from __future__ import annotations

from datetime import timedelta

from domain.clock import FixedClock
from domain.ports import PasswordHasher
from domain.services import auth, blocked_chats
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import ID_ALICE, PASSWORD
from tests.services.test_classes import wuhan_admin


async def blocked(uow_factory: UnitOfWorkFactory, chat_id: int) -> bool:
    async with uow_factory(readonly=True) as uow:
        return chat_id in await uow.blocked_chats.blocked_among([chat_id, 424242])


async def test_blocking_twice_and_unblocking_twice_are_harmless(
    uow_factory: UnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        await blocked_chats.chat_blocked(uow, clock, 1001)
    clock.advance(timedelta(hours=1))
    async with uow_factory() as uow:
        await uow.blocked_chats.block(1001, clock.now(), "403 again")
    assert await blocked(uow_factory, 1001)
    async with uow_factory(readonly=True) as uow:
        assert await uow.blocked_chats.blocked_among([]) == set()
    async with uow_factory() as uow:
        assert await blocked_chats.chat_unblocked(uow, 1001) is True
    async with uow_factory() as uow:
        assert await blocked_chats.chat_unblocked(uow, 1001) is False
    assert not await blocked(uow_factory, 1001)


async def test_logging_in_from_a_blocked_chat_makes_it_reachable(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await wuhan_admin(uow_factory, hasher, clock)
    async with uow_factory() as uow:
        await blocked_chats.chat_blocked(uow, clock, 1001)
    async with uow_factory() as uow:
        await auth.logout(uow, clock, 1001)
    assert await blocked(uow_factory, 1001)
    async with uow_factory() as uow:
        await auth.login(
            uow, hasher, clock, telegram_user_id=1001, id_number=ID_ALICE, password=PASSWORD
        )
    assert not await blocked(uow_factory, 1001)
