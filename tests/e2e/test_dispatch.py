"""The outbox emptied through the real Bot API stack: sent once, 5xx retried, blocked fails."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.reminders import TelegramSender
from domain.model import OutboxMessage, OutboxState
from domain.services.sessions import resolve_actor
from scheduler.dispatch import LEASE, DispatchReport, dispatch_due, dispatch_once
from scheduler.pacing import Pacer
from tests.e2e.conftest import Stack
from tests.e2e.setup import fixed_clock, services_of, sql_units
from tests.e2e.test_accounts import admin, register


async def boss_user_id(stack: Stack) -> int:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    svc = services_of(stack)
    async with svc.uow() as uow:
        return (await resolve_actor(uow, svc.clock, 1001, svc.session_policy)).user_id


def reminder(user_id: int, occasion: str, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        user_id=user_id,
        subject="annual_plan:2026",
        occasion=occasion,
        kind="reminder:annual_plan",
        text_key="截止提醒：{what}将于 {due} 截止。",
        params={"what": "年度培训计划", "due": "2026-12-31 17:00"},
        button_key="立即处理",
        link="module:plan",
        not_before=now,
        created_at=now,
    )


async def dispatch(stack: Stack) -> DispatchReport:
    svc = services_of(stack)
    pacer = Pacer(per_chat_interval=0.0)
    return await dispatch_once(svc.uow, svc.clock, TelegramSender(stack.app, svc), pacer)


async def outbox_states(stack: Stack) -> dict[OutboxState, int]:
    svc = services_of(stack)
    async with svc.uow(readonly=True) as uow:
        return await uow.outbox.counts()


async def test_each_message_is_sent_once_with_its_button(stack: Stack) -> None:
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    now = svc.clock.now()
    async with svc.uow() as uow:
        added = await uow.outbox.add_many([reminder(user_id, "before:7", now)] * 2)
    assert added == 1
    before = len(stack.emu.user(user_id=1001).messages)
    report = await dispatch(stack)
    assert (report.sent, report.failed, report.retried) == (1, 0, 0)
    boss = stack.emu.user(user_id=1001)
    (notice,) = [m for m in boss.messages[before:] if m.from_bot]
    assert notice.text is not None and notice.reply_markup is not None
    assert "截止提醒：年度培训计划将于 2026-12-31 17:00 截止" in notice.text
    assert [(b.text, b.callback_data) for b in notice.reply_markup.buttons] == [
        ("立即处理", "menu:open:plan")
    ]
    assert (await dispatch(stack)).handled == 0
    assert (await outbox_states(stack)).get(OutboxState.SENT) == 1


async def test_a_server_error_is_retried_later_and_a_blocked_user_fails(stack: Stack) -> None:
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    now = svc.clock.now()
    async with svc.uow() as uow:
        await uow.outbox.add_many([reminder(user_id, "before:3", now)])
    stack.emu.fail_next("sendMessage", "500")
    report = await dispatch(stack)
    assert report.retried == 1 and report.sent == 0
    assert (await dispatch(stack)).handled == 0  # not due again until the back-off passed
    fixed_clock(stack).advance(timedelta(minutes=2))
    assert (await dispatch(stack)).sent == 1

    stack.emu.user(user_id=1001).block()
    async with svc.uow() as uow:
        await uow.outbox.add_many([reminder(user_id, "before:1", svc.clock.now())])
    report = await dispatch(stack)
    assert report.failed == 1
    assert (await outbox_states(stack)).get(OutboxState.FAILED) == 1


def decision(user_id: int, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        user_id=user_id,
        subject="class:7",
        occasion="approve:2",
        kind="decision:class",
        text_key="审核结果：您基地的培训班“{name}”已通过主管部门审核。",
        params={"name": "公需科目培训班"},
        button_key="查看培训班",
        link="class:7",
        not_before=now,
        created_at=now,
    )


async def queue(stack: Stack, *messages: OutboxMessage) -> None:
    svc = services_of(stack)
    async with svc.uow() as uow:
        await uow.outbox.add_many(messages)


async def blocked(stack: Stack, chat_id: int) -> bool:
    svc = services_of(stack)
    async with svc.uow(readonly=True) as uow:
        return chat_id in await uow.blocked_chats.blocked_among([chat_id])


async def test_after_a_403_reminders_stop_trying_the_chat_until_it_unblocks(stack: Stack) -> None:
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    boss = stack.emu.user(user_id=1001)
    boss.block(tell=False)  # the bot was offline: it learns only from Telegram's 403
    await queue(stack, reminder(user_id, "before:7", svc.clock.now()))
    assert (await dispatch(stack)).failed == 1
    assert await blocked(stack, 1001)
    sends = stack.emu.api.count("sendMessage")

    await queue(stack, reminder(user_id, "before:3", svc.clock.now()))
    assert (await dispatch(stack)).failed == 1
    assert stack.emu.api.count("sendMessage") == sends  # not tried at all

    await queue(stack, decision(user_id, svc.clock.now()))
    assert (await dispatch(stack)).failed == 1  # a decision is still tried: Telegram says 403
    assert stack.emu.api.count("sendMessage") == sends + 1

    boss.unblock()  # Telegram tells the bot (my_chat_member): reachable again
    await stack.settle(boss)
    assert not await blocked(stack, 1001)
    await queue(stack, reminder(user_id, "before:1", svc.clock.now()))
    assert (await dispatch(stack)).sent == 1
    (last,) = [m for m in boss.messages[-1:] if m.from_bot]
    assert last.text is not None
    assert "截止提醒" in last.text


async def test_telegram_telling_of_a_block_stops_reminders_before_any_403(stack: Stack) -> None:
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    boss = stack.emu.user(user_id=1001)
    boss.block()
    await stack.settle(boss)
    assert await blocked(stack, 1001)
    sends = stack.emu.api.count("sendMessage")
    await queue(stack, reminder(user_id, "before:7", svc.clock.now()))
    report = await dispatch(stack)
    assert (report.sent, report.failed) == (0, 1)
    assert stack.emu.api.count("sendMessage") == sends


async def test_a_decision_notice_opens_todays_screen_for_its_link(stack: Stack) -> None:
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    message = decision(user_id, svc.clock.now())
    await queue(stack, message)
    assert (await dispatch(stack)).sent == 1
    notice = stack.emu.user(user_id=1001).messages[-1]
    assert notice.reply_markup is not None
    assert notice.text == "审核结果：您基地的培训班“公需科目培训班”已通过主管部门审核。"
    assert [(b.text, b.callback_data) for b in notice.reply_markup.buttons] == [
        ("查看培训班", "cls:card:7")
    ]


async def test_a_restart_between_planning_and_sending_loses_nothing_and_doubles_nothing(
    stack: Stack,
) -> None:
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    await queue(stack, reminder(user_id, "before:7", svc.clock.now()))
    await stack.restart()  # the process dies after the planner committed, before any send
    boss = stack.emu.user(user_id=1001)
    before = len(boss.messages)
    assert (await dispatch(stack)).sent == 1
    await queue(stack, reminder(user_id, "before:7", svc.clock.now()))  # planned again
    assert (await dispatch(stack)).handled == 0
    assert len([m for m in boss.messages[before:] if m.from_bot]) == 1


async def test_a_crash_between_send_and_mark_sends_once_more_after_the_lease(stack: Stack) -> None:
    """At-least-once (scheduler/dispatch.py): the message was claimed and sent, the process died
    before marking it; the lease keeps it from everyone until it runs out, then it goes again."""
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    await queue(stack, reminder(user_id, "before:7", svc.clock.now()))
    async with svc.uow() as uow:
        (claimed,) = await uow.outbox.claim(svc.clock.now(), limit=10, lease=LEASE)
    await TelegramSender(stack.app, svc).send(1001, claimed)  # … and the process dies here
    await stack.restart()

    assert (await dispatch(stack)).handled == 0  # still leased to the dead dispatcher
    fixed_clock(stack).advance(LEASE + timedelta(seconds=1))
    assert (await dispatch(stack)).sent == 1
    assert (await dispatch(stack)).handled == 0
    boss = stack.emu.user(user_id=1001)
    reminders = [m for m in boss.messages if m.from_bot and "截止提醒" in (m.text or "")]
    assert len(reminders) == 2  # the one window of at-least-once: one message, sent twice


async def test_dispatch_due_goes_on_batch_after_batch_until_nothing_is_due(stack: Stack) -> None:
    """The job's pace is the pacer's, not one batch a tick."""
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    stack.emu.limits_enabled = False  # one chat, a hundred messages: the pacing is not the point
    await queue(stack, *(reminder(user_id, f"n:{n}", svc.clock.now()) for n in range(120)))
    sender, pacer = TelegramSender(stack.app, svc), Pacer(per_chat_interval=0.0, per_second=1e6)
    report = await dispatch_due(svc.uow, svc.clock, sender, pacer, batch=50)
    assert (report.sent, report.failed, report.retried) == (120, 0, 0)
    assert (await dispatch_due(svc.uow, svc.clock, sender, pacer, batch=50)).handled == 0


async def pending_not_before(stack: Stack) -> OutboxMessage:
    svc = services_of(stack)
    async with sql_units(stack)() as uow:
        (message,) = await uow.outbox.claim(
            svc.clock.now() + timedelta(days=1), limit=10, lease=LEASE
        )
        await uow.rollback()  # the claim was only a way to read it: no trace left
    return message


async def test_429_beyond_the_rate_limiters_retries_waits_retry_after(stack: Stack) -> None:
    """python-telegram-bot's AIORateLimiter retries a 429 three times by itself; a fourth is
    the dispatcher's: the message waits ``retry_after`` and the chat is held as long."""
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    await queue(stack, reminder(user_id, "before:7", svc.clock.now()))
    for _ in range(4):
        stack.emu.fail_next("sendMessage", "429")
    report = await dispatch(stack)
    assert (report.sent, report.retried) == (0, 1)
    waiting = await pending_not_before(stack)
    assert waiting.not_before == svc.clock.now() + timedelta(seconds=1)
    assert waiting.attempts == 1 and waiting.last_error == "429"
    fixed_clock(stack).advance(timedelta(seconds=1))
    assert (await dispatch(stack)).sent == 1


async def test_a_dropped_connection_is_retried_and_a_lost_reply_may_repeat(stack: Stack) -> None:
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    boss = stack.emu.user(user_id=1001)
    before = len(boss.messages)
    await queue(stack, reminder(user_id, "before:7", svc.clock.now()))
    stack.emu.fail_next("sendMessage", "drop")  # nothing went out
    assert (await dispatch(stack)).retried == 1
    fixed_clock(stack).advance(timedelta(minutes=1))
    assert (await dispatch(stack)).sent == 1
    assert len([m for m in boss.messages[before:] if m.from_bot]) == 1

    await queue(stack, reminder(user_id, "before:3", svc.clock.now()))
    stack.emu.fail_next("sendMessage", "lost_reply")  # it went out; the bot cannot know
    assert (await dispatch(stack)).retried == 1
    fixed_clock(stack).advance(timedelta(minutes=1))
    assert (await dispatch(stack)).sent == 1
    assert len([m for m in boss.messages[before:] if m.from_bot]) == 3  # at-least-once


async def test_a_batch_that_would_outlast_its_claim_hands_the_rest_back(stack: Stack) -> None:
    """Four messages to one chat take over three seconds at a message a second; with a claim of
    four seconds the dispatcher stops at two (the margin) and releases the rest, unsent, for the
    next claim: nothing is sent after its lease could have passed to another dispatcher."""
    user_id = await boss_user_id(stack)
    svc = services_of(stack)
    clock = fixed_clock(stack)
    start = clock.now()

    def virtual_now() -> float:
        return (clock.now() - start).total_seconds()

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    pacer = Pacer(per_chat_interval=1.05, clock=virtual_now, sleep=virtual_sleep)
    sender = TelegramSender(stack.app, svc)
    await queue(stack, *(reminder(user_id, f"n:{n}", start) for n in range(4)))
    lease = timedelta(seconds=4)
    first = await dispatch_once(svc.uow, clock, sender, pacer, limit=10, lease=lease)
    assert (first.sent, first.released) == (3, 1)
    second = await dispatch_once(svc.uow, clock, sender, pacer, limit=10, lease=lease)
    assert (second.sent, second.released) == (1, 0)  # claimable at once, not after the lease
