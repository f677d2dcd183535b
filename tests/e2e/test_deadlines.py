"""/deadlines end to end: where the base stands, a button to the thing owed, mutes, reviewers.

The operator's deadlines are set through the service (``cebot deadline set`` is tested in
test_cli_deadlines); the suite's moment is 2026-11-29 09:00 in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.handlers.deadlines import MUTE
from domain.model import DeadlineKind
from domain.permissions import Permission
from domain.services import deadlines
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import logged_in_admin, services_of
from tests.e2e.test_review import BOSS, registered_boss, reviewer
from tests.services.test_classes import make_id

ZONE = ZoneInfo("Asia/Shanghai")
CLERK = 2002


async def set_deadlines(stack: Stack) -> None:
    svc = services_of(stack)
    for kind, due in (
        (DeadlineKind.ANNUAL_PLAN, datetime(2026, 12, 31, 17, tzinfo=ZONE)),
        (DeadlineKind.ANNUAL_SUMMARY, datetime(2026, 11, 20, 17, tzinfo=ZONE)),
    ):
        async with svc.uow() as uow:
            await deadlines.set_deadline(uow, svc.clock, year=2026, kind=kind, due_at=due)
    async with svc.uow() as uow:
        await deadlines.set_deadline(
            uow, svc.clock, year=2026, kind=DeadlineKind.CLASS_SCORES, days_after_end=15
        )


async def muted_kinds(stack: Stack, telegram_id: int) -> set[DeadlineKind]:
    svc = services_of(stack)
    async with svc.uow(readonly=True) as uow:
        session = await uow.sessions.get_open_for_telegram_user(telegram_id)
        assert session is not None, "the admin is logged in"
        return await uow.mutes.for_user(session.user_id)


async def test_the_admin_sees_each_deadline_opens_it_and_mutes_a_kind(stack: Stack) -> None:
    boss = await registered_boss(stack)
    await set_deadlines(stack)

    screen = texts(await boss.say("/deadlines"))
    assert "截止日期与提醒（武汉职业培训学院）" in screen
    assert "1. 年度工作总结（2026）：2026-11-20 17:00 截止 · 已逾期 9 天" in screen
    assert "2. 年度培训计划（2026）：2026-12-31 17:00 截止 · 未提交，还有 32 天" in screen
    assert "提醒在截止前 14、7、3、1 天和截止当天的 08:30 发送" in screen
    assert "逾期后每 3 天提醒一次，最多 30 天" in screen
    assert boss.buttons() == [
        "1. 去处理",
        "2. 去处理",
        "关闭“年度培训计划”提醒",
        "关闭“年度工作总结”提醒",
        "关闭“年度工作材料”提醒",
        "关闭“学员成绩”提醒",
        "返回功能列表",
    ]

    muted = texts(await boss.press("关闭“年度培训计划”提醒"))
    assert "已关闭提醒：年度培训计划。" in muted
    assert "开启“年度培训计划”提醒" in boss.buttons()
    assert await muted_kinds(stack, BOSS) == {DeadlineKind.ANNUAL_PLAN}
    await boss.press("开启“年度培训计划”提醒")
    assert "已关闭提醒" not in boss.last_text()
    assert await muted_kinds(stack, BOSS) == set()

    summary = texts(await boss.press("1. 去处理"))
    assert "2026" in summary and "年度工作总结" in summary


async def test_the_menu_leads_there_and_forged_toggles_change_nothing(stack: Stack) -> None:
    boss = await registered_boss(stack)
    await set_deadlines(stack)
    await logged_in_admin(
        stack,
        boss_telegram_id=BOSS,
        telegram_id=CLERK,
        name="李专员",
        id_number=make_id("42010019800303001"),
        mobile="13900002222",
        permissions=[Permission.CLASSES_MANAGE],
    )
    clerk = Person(stack.emu.user(user_id=CLERK, first_name="李专员"), stack.settle)
    await clerk.say("/menu")
    screen = texts(await clerk.press("截止日期与提醒"))
    assert "您的角色不负责任何有截止日期的报送" in screen
    assert clerk.buttons() == ["返回功能列表"]

    message_id = clerk.user.messages[-1].message_id
    refused = texts(await clerk.press_data(message_id, MUTE.encode("annual_plan")))
    assert refused == "您没有执行此操作的权限。"
    assert await muted_kinds(stack, CLERK) == set()
    boss_message = boss.user.messages[-1].message_id
    forged = texts(await boss.press_data(boss_message, MUTE.encode("no_such_kind")))
    assert "这个按钮已失效或不属于您，操作未执行" in forged
    assert await muted_kinds(stack, BOSS) == set()


async def test_a_reviewer_sees_the_deadlines_the_operator_set(stack: Stack) -> None:
    await registered_boss(stack)
    await set_deadlines(stack)
    svc = services_of(stack)
    for year in (2024, 2027):  # last year, this year and next are shown: 2024 is long gone
        async with svc.uow() as uow:
            await deadlines.set_deadline(
                uow,
                svc.clock,
                year=year,
                kind=DeadlineKind.ANNUAL_PLAN,
                due_at=datetime(year, 12, 31, 17, tzinfo=ZONE),
            )
    checker = await reviewer(stack)
    screen = texts(await checker.say("/deadlines"))
    assert "平台设定的截止日期" in screen
    assert "2026 年年度培训计划：2026-12-31 17:00" in screen
    assert "2026 年学员成绩：培训班结束后 15 天" in screen
    assert "2027 年年度培训计划：2027-12-31 17:00" in screen
    assert "2024 年" not in screen
