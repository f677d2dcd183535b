"""The outbox against a real, migrated database (SQLite and PostgreSQL).

Writing is insert-or-ignore on (recipient, subject, occasion); claiming hands out due rows under a
lease, and on PostgreSQL two dispatchers claiming at once never get the same row.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import NotFound
from domain.model import OutboxMessage, OutboxState
from storage.repositories.reminders import BATCH
from storage.uow import UnitOfWorkFactory
from tests.storage.test_repositories import a_user

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def two_users(uow_factory: UnitOfWorkFactory) -> tuple[int, int]:
    async with uow_factory() as uow:
        first = await uow.users.add(a_user(1))
        second = await uow.users.add(a_user(2))
        await uow.commit()
    assert first.id is not None and second.id is not None
    return first.id, second.id


def a_message(
    user_id: int, subject: str = "annual_plan:2026:1", **changes: object
) -> OutboxMessage:
    values: dict[str, object] = {
        "user_id": user_id,
        "subject": subject,
        "occasion": "before:7",
        "kind": "reminder:annual_plan",
        "text_key": "截止提醒：{base}的{what}（{item}）将于 {due} 截止（还有 {days} 天）。",
        "params": {"base": "武汉职业培训学院", "what": "年度培训计划", "days": "7"},
        "button_key": "立即处理",
        "link": "module:plan",
        "not_before": T0,
        "created_at": T0,
    }
    values.update(changes)
    return OutboxMessage(**values)  # type: ignore[arg-type]


async def add(uow_factory: UnitOfWorkFactory, messages: list[OutboxMessage]) -> int:
    async with uow_factory() as uow:
        added = await uow.outbox.add_many(messages)
        await uow.commit()
    return added


async def claim(
    uow_factory: UnitOfWorkFactory, now: datetime, limit: int = 10
) -> list[OutboxMessage]:
    async with uow_factory() as uow:
        claimed = await uow.outbox.claim(now, limit=limit, lease=LEASE)
        await uow.commit()
    return claimed


async def counts(uow_factory: UnitOfWorkFactory) -> dict[OutboxState, int]:
    async with uow_factory(readonly=True) as uow:
        return await uow.outbox.counts()


def is_postgresql(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


# --- writing -----------------------------------------------------------------------------------


async def test_adding_the_same_message_twice_stores_it_once(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = await two_users(uow_factory)
    first = [a_message(alice), a_message(bob), a_message(alice, occasion="before:3")]
    assert await add(uow_factory, first) == 3
    # Planned again: the same three (with other texts, even) and one new; a repeat in the call.
    again = [
        a_message(alice, params={"days": "6"}),
        a_message(bob),
        a_message(alice, occasion="before:3"),
        a_message(bob, subject="class_scores:7"),
        a_message(bob, subject="class_scores:7"),
    ]
    assert await add(uow_factory, again) == 1
    assert await add(uow_factory, []) == 0
    assert (await counts(uow_factory))[OutboxState.PENDING] == 4

    claimed = await claim(uow_factory, T0)
    stored = next(m for m in claimed if m.user_id == alice and m.occasion == "before:7")
    # The first write wins: a later plan never rewrites a message already queued.
    assert stored.params == {"base": "武汉职业培训学院", "what": "年度培训计划", "days": "7"}
    assert stored.text_key == first[0].text_key and stored.link == "module:plan"
    assert stored.kind == "reminder:annual_plan" and stored.state is OutboxState.PENDING
    assert stored.attempts == 0 and stored.created_at == T0 and stored.id is not None


async def test_many_messages_go_in_batches_and_count_exactly(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = await two_users(uow_factory)
    many = [a_message(alice, subject=f"class_scores:{n}") for n in range(BATCH * 2 + 7)]
    assert await add(uow_factory, many) == len(many)
    # Half old, half new, across batch boundaries: only the new ones count.
    mixed = many[::2] + [a_message(bob, subject=f"class_scores:{n}") for n in range(BATCH + 3)]
    assert await add(uow_factory, mixed) == BATCH + 3
    assert (await counts(uow_factory))[OutboxState.PENDING] == len(many) + BATCH + 3


# --- claiming ----------------------------------------------------------------------------------


async def test_claim_takes_only_what_is_due_and_holds_it_for_the_lease(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = await two_users(uow_factory)
    later = T0 + timedelta(hours=1)
    await add(uow_factory, [a_message(alice), a_message(bob, not_before=later)])

    assert await claim(uow_factory, T0 - timedelta(seconds=1)) == []
    (first,) = await claim(uow_factory, T0)
    assert first.user_id == alice
    # Held: neither this dispatcher nor another gets it again while the lease runs.
    assert await claim(uow_factory, T0 + LEASE - timedelta(seconds=1)) == []
    # The lease ran out (the dispatcher died before marking it): it is handed out again.
    (again,) = await claim(uow_factory, T0 + LEASE + timedelta(seconds=1))
    assert again.id == first.id

    both = await claim(uow_factory, later + LEASE * 3)
    assert [m.user_id for m in both] == [alice, bob]  # oldest due first


async def test_claim_respects_the_limit_in_order(uow_factory: UnitOfWorkFactory) -> None:
    alice, _ = await two_users(uow_factory)
    await add(
        uow_factory,
        [
            a_message(alice, subject=f"class_scores:{n}", not_before=T0 + timedelta(minutes=n))
            for n in range(5, 0, -1)
        ],
    )
    now = T0 + timedelta(hours=1)
    assert await claim(uow_factory, now, limit=0) == []
    first = await claim(uow_factory, now, limit=2)
    assert [m.subject for m in first] == ["class_scores:1", "class_scores:2"]
    rest = await claim(uow_factory, now, limit=10)
    assert [m.subject for m in rest] == ["class_scores:3", "class_scores:4", "class_scores:5"]


async def test_sent_failed_and_retried_messages(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = await two_users(uow_factory)
    await add(
        uow_factory,
        [a_message(alice), a_message(bob), a_message(alice, subject="class_scores:7")],
    )
    claimed = {(m.user_id, m.subject): m for m in await claim(uow_factory, T0)}
    sent = claimed[(alice, "annual_plan:2026:1")]
    blocked = claimed[(bob, "annual_plan:2026:1")]
    busy = claimed[(alice, "class_scores:7")]
    assert sent.id and blocked.id and busy.id

    retry_at = T0 + timedelta(seconds=30)
    async with uow_factory() as uow:
        await uow.outbox.mark_sent(sent.id, T0 + timedelta(seconds=1))
        await uow.outbox.mark_failed(blocked.id, "Forbidden: bot was blocked by the user")
        await uow.outbox.retry_later(busy.id, retry_at, "Timed out")
        await uow.commit()
    assert await counts(uow_factory) == {
        OutboxState.PENDING: 1,
        OutboxState.SENT: 1,
        OutboxState.FAILED: 1,
    }

    # Put back with its lease cleared: due again at ``retry_at``, not when the lease would end.
    assert await claim(uow_factory, retry_at - timedelta(seconds=1)) == []
    (retried,) = await claim(uow_factory, retry_at)
    assert retried.id == busy.id and retried.attempts == 1
    assert retried.last_error == "Timed out" and retried.not_before == retry_at
    async with uow_factory() as uow:
        await uow.outbox.retry_later(busy.id, retry_at + timedelta(minutes=1), "502 Bad Gateway")
        await uow.commit()
    (twice,) = await claim(uow_factory, retry_at + timedelta(hours=1))
    assert twice.attempts == 2 and twice.last_error == "502 Bad Gateway"
    async with uow_factory() as uow:
        await uow.outbox.mark_sent(busy.id, retry_at + timedelta(hours=1))
        await uow.commit()
    assert await counts(uow_factory) == {
        OutboxState.PENDING: 0,
        OutboxState.SENT: 2,
        OutboxState.FAILED: 1,
    }

    # Sent and failed messages are never claimed again, however late.
    assert await claim(uow_factory, T0 + timedelta(days=30)) == []


async def test_marking_a_message_that_is_not_there_says_so(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        with pytest.raises(NotFound):
            await uow.outbox.mark_sent(404, T0)
        with pytest.raises(NotFound):
            await uow.outbox.retry_later(404, T0, "x")
        with pytest.raises(NotFound):
            await uow.outbox.mark_failed(404, "x")
    assert await counts(uow_factory) == dict.fromkeys(OutboxState, 0)


async def test_dispatchers_claiming_together_share_the_rows_without_doubles(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Each claims, commits and claims again until nothing is left; on SQLite they take turns."""
    alice, bob = await two_users(uow_factory)
    await add(
        uow_factory,
        [a_message(user, subject=f"class_scores:{n}") for n in range(40) for user in (alice, bob)],
    )

    async def dispatcher() -> list[int]:
        mine: list[int] = []
        while batch := await claim(uow_factory, T0, limit=7):
            mine.extend(m.id for m in batch if m.id is not None)
            await asyncio.sleep(0)
        return mine

    shares = await asyncio.gather(*(dispatcher() for _ in range(4)))
    everything = [message_id for share in shares for message_id in share]
    assert len(everything) == 80 and len(set(everything)) == 80


class DispatcherCrashed(Exception):
    """Leaves the unit of work as a crash would: rolled back."""


async def test_postgresql_skips_rows_another_open_claim_holds(
    uow_factory: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    """Two units of work at once: the second claims while the first has not committed yet.

    Without SKIP LOCKED the second would wait for the first's locks (and this test would time
    out); with it, it passes over the locked rows and takes the rest.
    """
    if not is_postgresql(engine):
        pytest.skip("row locks: PostgreSQL only (SQLite writers are serialised at BEGIN)")
    alice, _ = await two_users(uow_factory)
    await add(uow_factory, [a_message(alice, subject=f"class_scores:{n}") for n in range(5)])

    async with uow_factory() as first, uow_factory() as second:
        held = await first.outbox.claim(T0, limit=3, lease=LEASE)
        rest = await asyncio.wait_for(second.outbox.claim(T0, limit=5, lease=LEASE), timeout=10)
        assert len(held) == 3 and len(rest) == 2
        assert not {m.id for m in held} & {m.id for m in rest}
        await second.commit()
        await first.commit()
    assert await claim(uow_factory, T0) == []
    # A claim that was rolled back (a dispatcher crashed mid-claim) leaves its rows free.
    with pytest.raises(DispatcherCrashed):
        async with uow_factory() as crashed:
            assert len(await crashed.outbox.claim(T0 + LEASE * 2, limit=5, lease=LEASE)) == 5
            raise DispatcherCrashed()
    assert len(await claim(uow_factory, T0 + LEASE * 2)) == 5
