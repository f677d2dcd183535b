"""学员成绩管理 in the chat: one learner added, found, edited, deleted; submission locks."""

from __future__ import annotations

from decimal import Decimal

from domain.permissions import Permission
from domain.scoresheet import Column
from domain.workflow import Status
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.scores_setup import (
    approved_class,
    learner_id,
    recorded,
    sheet_status,
    stored_learners,
)
from tests.e2e.setup import logged_in_admin
from tests.e2e.test_accounts import admin, register
from tests.services.test_classes import make_id

ZHANG = learner_id(11)
LI = learner_id(12)


def id_messages_deleted(person: Person) -> list[bool]:
    """Every message the person typed with an ID-card number in it: deleted after reading?"""
    typed = [
        m for m in person.user.messages if not m.from_bot and "42010119900101" in (m.text or "")
    ]
    assert typed
    return [m.deleted for m in typed]


async def boss_with_class(stack: Stack) -> tuple[Person, int]:
    boss = admin(stack)
    await register(boss)
    await boss.press("确认注册")
    return boss, await approved_class(stack)


async def test_only_approved_classes_are_listed_and_the_sheet_counts(stack: Stack) -> None:
    boss, class_id = await boss_with_class(stack)
    await recorded(
        stack,
        class_id,
        {Column.NAME: "张三", Column.ID_NUMBER: ZHANG, Column.SCORE: "85"},
        {Column.NAME: "李四", Column.ID_NUMBER: LI, Column.PASSED: "不合格"},
    )
    listing = texts(await boss.say("/scores"))
    assert "审核通过的培训班共 1 个" in listing and "2026年武汉专业科目培训班" in listing
    sheet = texts(await boss.press("2026年武汉专业科目培训班"))
    assert "成绩报送：未报送" in sheet
    assert "学员 2 名：合格 1 名，不合格 1 名，共授予 24 学时" in sheet
    for action in ("下载成绩模板", "导入成绩文件", "学员名单", "查找学员", "添加学员", "导出成绩"):
        assert action in boss.buttons()

    names = texts(await boss.press("学员名单"))
    assert "张三 420***********" in names and ZHANG not in names  # masked
    assert "85 分（合格） · 24 学时" in names and "不合格 · 0 学时" in names


async def test_add_a_learner_step_by_step_with_refusals_and_the_id_deleted(stack: Stack) -> None:
    boss, class_id = await boss_with_class(stack)
    await boss.say("/scores")
    await boss.press("2026年武汉专业科目培训班")
    assert "请输入学员姓名" in texts(await boss.press("添加学员"))
    assert "身份证号码" in texts(await boss.say("张三"))

    refused = texts(await boss.say(ZHANG[:17] + ("0" if ZHANG[17] != "0" else "1")))
    assert "校验位不正确" in refused
    asked = texts(await boss.say(" " + ZHANG.lower()))
    assert "请输入成绩" in asked
    assert all(id_messages_deleted(boss))

    assert "0 到 100" in texts(await boss.say("105"))
    assert "获得学时" in texts(await boss.say("92.5"))
    assert "不能超过 24" in texts(await boss.say("30"))
    assert "证书编号" in texts(await boss.say("20"))
    card = texts(await boss.say("hb-2026-001"))
    assert "已添加学员" in card and "92.5 分（合格）" in card and "获得学时：20" in card
    assert "证书编号：HB-2026-001" in card and ZHANG not in card

    (saved,) = await stored_learners(stack, class_id)
    assert saved.id_number == ZHANG and saved.score == Decimal("92.5") and saved.hours == 20

    # The same learner again is refused at the end, and the ID step is asked again.
    await boss.press("返回成绩表")
    await boss.press("添加学员")
    await boss.say("张三")
    await boss.say(ZHANG)
    await boss.press("合格")
    await boss.press("按结果自动填写")
    again = texts(await boss.press("跳过"))
    assert "本班已有这名学员（张三）" in again
    assert len(await stored_learners(stack, class_id)) == 1


async def test_find_edit_and_delete_one_learner(stack: Stack) -> None:
    boss, class_id = await boss_with_class(stack)
    await recorded(
        stack, class_id, {Column.NAME: "张三", Column.ID_NUMBER: ZHANG, Column.SCORE: "85"}
    )
    await boss.say("/scores")
    await boss.press("2026年武汉专业科目培训班")
    await boss.press("查找学员")
    missing = texts(await boss.say(LI))
    assert "没有这个身份证号码的学员" in missing
    await boss.press("再查一次")
    card = texts(await boss.say(ZHANG))
    assert "学员：张三" in card and "85 分（合格）" in card
    assert all(id_messages_deleted(boss))

    await boss.press("修改成绩")
    edited = texts(await boss.say("不合格"))
    assert "已修改" in edited and "成绩：不合格" in edited and "获得学时：0" in edited
    await boss.press("修改获得学时")
    assert "不合格的学员获得学时应为 0" in texts(await boss.say("5"))
    await boss.press("修改成绩")
    edited = texts(await boss.say("75"))
    assert "75 分（合格）" in edited and "获得学时：24" in edited  # the new verdict's hours

    await boss.press("删除学员")
    gone = texts(await boss.press("确认删除"))
    assert "已删除学员“张三”" in gone and "学员 0 名" in gone
    assert await stored_learners(stack, class_id) == []


async def test_submission_locks_the_sheet_and_withdrawal_unlocks(stack: Stack) -> None:
    boss, class_id = await boss_with_class(stack)
    await boss.say("/scores")
    await boss.press("2026年武汉专业科目培训班")
    await boss.press("报送成绩")
    refused = texts(await boss.press("确认报送"))
    assert "还没有登记任何学员成绩" in refused
    await recorded(
        stack, class_id, {Column.NAME: "张三", Column.ID_NUMBER: ZHANG, Column.SCORE: "85"}
    )

    await boss.say("/scores")
    await boss.press("2026年武汉专业科目培训班")
    await boss.press("报送成绩")
    done = texts(await boss.press("确认报送"))
    assert "成绩已报送" in done and "成绩报送：已报送，待审核" in done and "王芳 提交审核" in done
    assert "添加学员" not in boss.buttons() and "导入成绩文件" not in boss.buttons()
    assert await sheet_status(stack, class_id) is Status.SUBMITTED

    # Old buttons pressed after the lock change nothing.
    screen = boss.user.messages[-1].message_id
    assert "已报送" in texts(await boss.press_data(screen, f"sc:add:{class_id}"))
    assert "已报送" in texts(await boss.press_data(screen, f"sc:imp:{class_id}"))
    learner = (await stored_learners(stack, class_id))[0]
    assert "已报送" in texts(await boss.press_data(screen, f"sc:delok:{class_id}:{learner.id}"))
    assert len(await stored_learners(stack, class_id)) == 1

    back = texts(await boss.press("撤回报送"))
    assert "已撤回报送" in back and "添加学员" in boss.buttons()
    assert await sheet_status(stack, class_id) is Status.DRAFT


async def test_another_base_and_a_clerk_without_permission_reach_nothing(stack: Stack) -> None:
    _boss, class_id = await boss_with_class(stack)
    await recorded(
        stack, class_id, {Column.NAME: "张三", Column.ID_NUMBER: ZHANG, Column.SCORE: "85"}
    )
    await logged_in_admin(
        stack,
        boss_telegram_id=1001,
        telegram_id=2002,
        name="李专员",
        id_number=make_id("42010019800303001"),
        mobile="13900002222",
        permissions=[Permission.CLASSES_MANAGE],
    )
    clerk = Person(stack.emu.user(user_id=2002, first_name="李专员"), stack.settle)
    assert "没有执行此操作的权限" in texts(await clerk.say("/scores"))
    screen = clerk.user.messages[-1].message_id
    learner = (await stored_learners(stack, class_id))[0]
    for data in (
        f"sc:sheet:{class_id}",
        f"sc:ppl:{class_id}:0",
        f"sc:exp:{class_id}",
        f"sc:delok:{class_id}:{learner.id}",
    ):
        assert "没有执行此操作的权限" in texts(await clerk.press_data(screen, data))
    assert len(await stored_learners(stack, class_id)) == 1
