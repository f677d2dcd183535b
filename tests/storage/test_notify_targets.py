"""Where to reach people: the Telegram user of each one's most recent session, in one query."""

from __future__ import annotations

from datetime import timedelta

from domain.model import SessionEnd
from domain.services.notify import notification_targets
from storage.uow import UnitOfWorkFactory
from tests.storage.test_repositories import T0, a_user, login


async def test_latest_session_wins_open_or_ended(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        alice = await uow.users.add(a_user(1))
        bob = await uow.users.add(a_user(2))
        never = await uow.users.add(a_user(3))
        other = await uow.users.add(a_user(4))
        # Alice moved from Telegram 101 to 102; the newer session has ended, and still wins.
        await uow.sessions.add(
            login(alice, 101, ended_at=T0 + timedelta(hours=1), end_reason=SessionEnd.LOGOUT)
        )
        await uow.sessions.add(
            login(
                alice,
                102,
                started_at=T0 + timedelta(hours=2),
                last_seen_at=T0 + timedelta(hours=2),
                ended_at=T0 + timedelta(hours=3),
                end_reason=SessionEnd.IDLE,
            )
        )
        await uow.sessions.add(login(bob, 201, started_at=T0 - timedelta(days=1)))
        await uow.sessions.add(login(other, 401))
        await uow.commit()
    assert alice.id and bob.id and never.id and other.id
    async with uow_factory(readonly=True) as uow:
        found = await uow.sessions.latest_telegram_user_ids([alice.id, bob.id, never.id])
        assert found == {alice.id: 102, bob.id: 201}
        assert await uow.sessions.latest_telegram_user_ids([]) == {}
        targets = await notification_targets(uow, [bob.id, never.id, alice.id])
    assert targets == [201, 102]


async def test_a_shared_telegram_user_is_told_once(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        alice = await uow.users.add(a_user(1))
        bob = await uow.users.add(a_user(2))
        await uow.sessions.add(
            login(alice, 300, ended_at=T0 + timedelta(minutes=5), end_reason=SessionEnd.LOGOUT)
        )
        await uow.sessions.add(login(bob, 300, started_at=T0 + timedelta(minutes=6)))
        await uow.commit()
    assert alice.id and bob.id
    async with uow_factory(readonly=True) as uow:
        assert await notification_targets(uow, [alice.id, bob.id]) == [300]
