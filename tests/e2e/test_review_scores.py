"""主管部门审核 of learners' scores end to end: the overview, the queue, approve, return, export."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook

from bot.handlers.review.decisions import DRAFT_KEY
from bot.scheduling import PACER_KEY
from domain.clock import FixedClock
from domain.model import ScoreSheet
from domain.permissions import Permission
from domain.scoresheet import Column
from domain.services import scores
from domain.services.sessions import resolve_actor
from domain.workflow import Status
from scheduler.pacing import Pacer
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.scores_setup import approved_class, learner_id, recorded
from tests.e2e.setup import logged_in_admin, services_of
from tests.e2e.test_review import (
    BOSS,
    CLASS_ONE,
    CLASS_TWO,
    ID_YICHANG_REVIEWER,
    REVIEWER,
    class_status,
    registered_boss,
    reviewer,
    submitted_class,
)
from tests.services.test_classes import make_id

ZHANG = learner_id(21)
LI = learner_id(22)
SCORER = 2002
CLASS_CLERK = 2003


async def submitted_scores(stack: Stack, name: str = CLASS_ONE) -> int:
    """An approved class of 王芳's base with 张三 (85, passed) and 李四 (failed), submitted."""
    class_id = await approved_class(stack, name)
    await recorded(
        stack,
        class_id,
        {Column.NAME: "张三", Column.ID_NUMBER: ZHANG, Column.SCORE: "85"},
        {Column.NAME: "李四", Column.ID_NUMBER: LI, Column.PASSED: "不合格"},
    )
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        await scores.submit_scores(uow, svc.clock, actor, class_id)
    return class_id


async def sheet(stack: Stack, class_id: int) -> ScoreSheet:
    svc = services_of(stack)
    async with svc.uow() as uow:
        return await scores.sheet_of(uow, class_id)


async def sheet_status(stack: Stack, class_id: int) -> Status:
    return (await sheet(stack, class_id)).status


async def clerk(stack: Stack, telegram_id: int, name: str, permission: Permission) -> Person:
    """Another admin of 王芳's base holding one permission, logged in."""
    serial, role = {
        SCORER: ("42010019800303001", "成绩专员"),
        CLASS_CLERK: ("42010019810404002", "培训专员"),
    }[telegram_id]
    await logged_in_admin(
        stack,
        boss_telegram_id=BOSS,
        telegram_id=telegram_id,
        name=name,
        id_number=make_id(serial),
        mobile=f"1390000{telegram_id:04d}",
        permissions=[permission],
        role_name=role,
    )
    return Person(stack.emu.user(user_id=telegram_id, first_name=name), stack.settle)


def notices(person: Person, since: int, about: str = "") -> list[Any]:
    """Notices of decisions whose text names ``about``."""
    return [
        m
        for m in person.user.messages[since:]
        if m.from_bot and "审核结果" in (m.text or "") and about in (m.text or "")
    ]


def score_notices(person: Person, since: int) -> list[Any]:
    """The class's own approval, made while arranging, is pushed through the outbox too and
    arrives with the first dispatch: only the notices on scores count here."""
    return notices(person, since, about="学员成绩")


async def test_overview_counts_both_kinds_and_approved_scores_reach_the_score_managers(
    stack: Stack,
) -> None:
    boss = await registered_boss(stack)
    scorer = await clerk(stack, SCORER, "赵成绩", Permission.SCORES_MANAGE)
    class_clerk = await clerk(stack, CLASS_CLERK, "钱培训", Permission.CLASSES_MANAGE)
    class_id = await submitted_scores(stack)
    await submitted_class(stack, CLASS_TWO)
    checker = await reviewer(stack)

    overview = texts(await checker.say("/review"))
    assert "待审核事项：共 2 项" in overview
    assert checker.buttons() == ["培训班（1）", "学员成绩（1）", "年度报送（0）"]

    queue = texts(await checker.press("学员成绩（1）"))
    assert "待审核的学员成绩：共 1 个培训班（第 1/1 页）" in queue
    assert f"1. 武汉职业培训学院 · 武汉市 · {CLASS_ONE} · 2 名学员 · 提交于 " in queue
    assert checker.buttons() == [f"1. {CLASS_ONE}", "返回"]

    card = texts(await checker.press(CLASS_ONE))
    assert "学员成绩审核（待审核）" in card and "武汉职业培训学院（武汉市）" in card
    assert "培训日期：2026-03-01 至 2026-03-03" in card and "学时：24" in card
    assert "学员 2 名：合格 1 名，不合格 1 名，共授予 24 学时" in card
    assert "王芳 提交审核" in card  # the sheet's history, who acted by name
    assert ZHANG not in card and "张三" not in card  # no learner's details on the card
    assert checker.buttons() == ["下载成绩表", "审核通过", "退回", "返回队列"]

    before = {p: len(p.user.messages) for p in (boss, scorer, class_clerk)}
    done = texts(await checker.press("审核通过"))
    assert f"已审核通过：{CLASS_ONE}的学员成绩（武汉职业培训学院）" in done
    for person in (boss, scorer, class_clerk):
        await person.settle()
    for person in (boss, scorer):  # the super admin and the score manager, not the class clerk
        (notice,) = score_notices(person, before[person])
        assert f"武汉职业培训学院培训班“{CLASS_ONE}”的学员成绩已通过主管部门审核" in notice.text
        assert [b.text for b in notice.reply_markup.buttons] == ["查看成绩"]
        assert [b.callback_data for b in notice.reply_markup.buttons] == [f"sc:sheet:{class_id}"]
    assert score_notices(class_clerk, before[class_clerk]) == []
    assert await sheet_status(stack, class_id) is Status.APPROVED

    opened = texts(await boss.press("查看成绩"))
    assert CLASS_ONE in opened and "周审核 审核通过" in opened

    assert "目前没有待审核的学员成绩" in texts(await checker.press("返回队列"))
    assert checker.buttons() == ["返回"]
    assert "待审核事项：共 1 项" in texts(await checker.press("返回"))
    assert checker.buttons() == ["培训班（1）", "学员成绩（0）", "年度报送（0）"]
    assert await class_status(stack, class_id) is Status.APPROVED  # the class itself untouched


async def test_returned_scores_unlock_and_the_base_reads_the_reason_in_its_language(
    stack: Stack,
) -> None:
    boss = await registered_boss(stack)
    scorer = await clerk(stack, SCORER, "赵成绩", Permission.SCORES_MANAGE)
    await scorer.say("/language")
    await scorer.press("English")
    class_id = await submitted_scores(stack)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("学员成绩（1）")
    await checker.press(CLASS_ONE)

    asked = texts(await checker.press("退回"))
    assert f"退回“{CLASS_ONE}的学员成绩”：请输入退回原因" in asked
    assert stack.app.user_data[REVIEWER][DRAFT_KEY] == {"kind": "scores", "item_id": class_id}
    refused = texts(await checker.say("字" * 501))
    assert "500" in refused and "请重新输入" in refused
    assert await sheet_status(stack, class_id) is Status.SUBMITTED

    before = {p: len(p.user.messages) for p in (boss, scorer)}
    returned = texts(await checker.say("李四的成绩与考核记录不符"))
    assert f"已退回：{CLASS_ONE}的学员成绩（武汉职业培训学院）" in returned
    assert "退回原因：李四的成绩与考核记录不符" in returned
    assert DRAFT_KEY not in stack.app.user_data[REVIEWER]
    found = await sheet(stack, class_id)
    assert found.is_editable and found.status is Status.RETURNED
    assert await class_status(stack, class_id) is Status.APPROVED

    await boss.settle()
    (notice,) = score_notices(boss, before[boss])
    assert f"武汉职业培训学院培训班“{CLASS_ONE}”的学员成绩已被主管部门退回" in notice.text
    assert "退回原因：李四的成绩与考核记录不符\n请修改后重新报送。" in notice.text
    assert [b.text for b in notice.reply_markup.buttons] == ["查看成绩"]
    await scorer.settle()
    (english,) = [m for m in scorer.user.messages[before[scorer] :] if m.from_bot]
    assert "returned" in english.text and "李四的成绩与考核记录不符" in english.text
    assert CLASS_ONE in english.text and "退回" not in english.text
    assert [b.text for b in english.reply_markup.buttons] == ["View scores"]

    # The base opens the sheet from the notice, corrects nothing here, submits again.
    opened = texts(await boss.press("查看成绩"))
    assert "周审核 退回（原因：李四的成绩与考核记录不符）" in opened
    assert "添加学员" in boss.buttons() and "报送成绩" in boss.buttons()
    await boss.press("报送成绩")
    await boss.press("确认报送")
    assert await sheet_status(stack, class_id) is Status.SUBMITTED

    await checker.say("/review")
    card = texts(await checker.press("学员成绩（1）") + await checker.press(CLASS_ONE))
    assert "退回（原因：李四的成绩与考核记录不符）" in card
    await checker.press("审核通过")
    history = (await sheet(stack, class_id)).history
    assert [h.action.value for h in history] == ["submit", "return", "submit", "approve"]


async def test_the_queue_is_paged_longest_waiting_first(stack: Stack, clock: FixedClock) -> None:
    await registered_boss(stack)
    names = [f"2026年第{n}期专业科目培训班" for n in range(1, 10)]
    ids = {}
    for name in reversed(names):  # the last declared is the first submitted
        ids[name] = await submitted_scores(stack, name)
        clock.advance(timedelta(minutes=1))
    # Nine approvals arranged above leave nine notices for 王芳's one chat, which the bot would
    # send at Telegram's pace of one a second: the queue's pages are what this test is about.
    stack.app.bot_data[PACER_KEY] = Pacer(per_chat_interval=0.0)
    stack.emu.limits_enabled = False
    checker = await reviewer(stack)
    await checker.say("/review")
    first = texts(await checker.press("学员成绩（9）"))
    assert "共 9 个培训班（第 1/2 页）" in first
    assert first.index(names[8]) < first.index(names[7]) < first.index(names[1])
    assert names[0] not in first
    assert checker.buttons()[-2:] == ["▶", "返回"]
    second = texts(await checker.press("▶"))
    assert "第 2/2 页" in second and f"9. 武汉职业培训学院 · 武汉市 · {names[0]}" in second
    assert checker.buttons() == [f"9. {names[0]}", "◀", "返回"]
    card = texts(await checker.press(names[0]))
    assert names[0] in card and "学员 2 名" in card

    # The last page emptied since it was shown: the last page there is.
    await checker.press("审核通过")
    back = texts(await checker.press_data(checker.user.messages[-1].message_id, "rv:sq:1"))
    assert "共 8 个培训班（第 1/1 页）" in back
    assert await sheet_status(stack, ids[names[0]]) is Status.APPROVED


async def test_a_draft_from_before_kinds_still_returns_its_class(stack: Stack) -> None:
    await registered_boss(stack)
    class_id = await submitted_class(stack, CLASS_ONE)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("培训班（1）")
    await checker.press(CLASS_ONE)
    await checker.press("退回")
    assert stack.app.user_data[REVIEWER][DRAFT_KEY] == {"kind": "class", "item_id": class_id}
    stack.app.user_data[REVIEWER][DRAFT_KEY] = {"class_id": class_id}  # as stored before
    assert "已退回" in texts(await checker.say("学时与课程安排不符"))
    assert await class_status(stack, class_id) is Status.RETURNED


async def test_leaving_the_reason_step_abandons_the_return(stack: Stack) -> None:
    await registered_boss(stack)
    class_id = await submitted_scores(stack)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("学员成绩（1）")
    await checker.press(CLASS_ONE)
    await checker.press("退回")
    queue = texts(await checker.press("返回队列"))
    assert "共 1 个培训班" in queue
    assert DRAFT_KEY not in stack.app.user_data[REVIEWER]
    hint = texts(await checker.say("这句话不是退回原因"))
    assert "已退回" not in hint
    assert await sheet_status(stack, class_id) is Status.SUBMITTED


async def test_other_region_sees_nothing_and_forged_presses_change_nothing(stack: Stack) -> None:
    boss = await registered_boss(stack)
    class_id = await submitted_scores(stack)
    outsider = await reviewer(
        stack, telegram_id=6006, id_number=ID_YICHANG_REVIEWER, regions=("宜昌市",)
    )
    overview = texts(await outsider.say("/review"))
    assert "目前没有待审核的事项" in overview and CLASS_ONE not in overview
    screen = outsider.user.messages[-1].message_id
    assert "目前没有待审核的学员成绩" in texts(await outsider.press_data(screen, "rv:sq:0"))
    for data in (
        f"rv:so:{class_id}",
        f"rv:sok:{class_id}",
        f"rv:sret:{class_id}",
        f"rv:sx:{class_id}",
    ):
        refused = texts(await outsider.press_data(screen, data))
        assert "未找到" in refused and CLASS_ONE not in refused
    assert not [m for m in outsider.user.messages if m.document is not None]
    assert "失效" in texts(await outsider.press_data(screen, "rv:sok:abc"))
    assert await sheet_status(stack, class_id) is Status.SUBMITTED
    assert DRAFT_KEY not in stack.app.user_data.get(6006, {})

    # In the right region: scores never submitted are not found, decided ones refuse a second.
    unsubmitted = await approved_class(stack, CLASS_TWO)
    checker = await reviewer(stack)
    screen = (await checker.say("/review"))[-1].message_id
    for data in (f"rv:so:{unsubmitted}", f"rv:sok:{unsubmitted}", f"rv:sx:{unsubmitted}"):
        assert "未找到" in texts(await checker.press_data(screen, data))
    assert await sheet_status(stack, unsubmitted) is Status.DRAFT
    await checker.press_data(screen, f"rv:sok:{class_id}")
    again = texts(await checker.press_data(screen, f"rv:sok:{class_id}"))
    assert "当前状态为“已通过”，不能执行“审核通过”" in again
    assert "未找到" in texts(await checker.press_data(screen, f"rv:sret:{class_id}"))
    assert await sheet_status(stack, class_id) is Status.APPROVED

    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        exports = await uow.audit.list(actor.base_id, action_prefix="score.export")
    assert exports == []
    await boss.settle()
    assert len(score_notices(boss, 0)) == 1  # the one approval in the right region


async def test_an_admin_cannot_review_scores(stack: Stack) -> None:
    boss = await registered_boss(stack)
    class_id = await submitted_scores(stack)
    screen = (await boss.say("/review"))[-1].message_id
    assert "只有主管部门审核员" in boss.last_text()
    for data in (f"rv:sok:{class_id}", f"rv:sret:{class_id}", f"rv:sx:{class_id}", "rv:home"):
        assert "只有主管部门审核员" in texts(await boss.press_data(screen, data))
    assert not [m for m in boss.user.messages if m.document is not None]
    assert await sheet_status(stack, class_id) is Status.SUBMITTED


async def test_reviewer_downloads_the_submitted_scores(stack: Stack) -> None:
    await registered_boss(stack)
    class_id = await submitted_scores(stack)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("学员成绩（1）")
    await checker.press(CLASS_ONE)
    await checker.press("下载成绩表")
    (document,) = [m for m in checker.user.messages if m.from_bot and m.document is not None]
    assert document.document.filename == f"成绩-{CLASS_ONE}.xlsx"
    assert "含完整身份证号码" in (document.caption or "")
    workbook = load_workbook(io.BytesIO(document.document.data), read_only=True)
    cells = {str(c) for ws in workbook.worksheets for row in ws.values for c in row if c}
    assert {"张三", ZHANG, "李四", LI} <= cells

    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        events = await uow.audit.list(actor.base_id, action_prefix="score.export")
    assert [(e.subject, e.actor_user_id is not None) for e in events] == [(f"#{class_id}", True)]
    assert await sheet_status(stack, class_id) is Status.SUBMITTED  # a download decides nothing
