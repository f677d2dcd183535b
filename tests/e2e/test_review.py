"""主管部门审核 end to end: a reviewer's queue, approving and returning, the base told at once."""

from __future__ import annotations

from typing import Any

from domain.permissions import Permission
from domain.services import classes, review
from domain.services.sessions import resolve_actor
from domain.workflow import Status
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import logged_in_admin, services_of
from tests.e2e.test_accounts import admin, register
from tests.e2e.test_classes import PDF, declare
from tests.services.test_classes import a_form, make_id

BOSS = 1001
REVIEWER = 5005
INITIAL = "审核员初始密码 2026"
CHANGED = "审核员自己的新密码呀"
ID_WUHAN_REVIEWER = make_id("42010019750505002")
ID_YICHANG_REVIEWER = make_id("42010019700202003")
CLASS_ONE = "2026年武汉专业科目培训班"
CLASS_TWO = "2026年武汉公需科目培训班"


async def registered_boss(stack: Stack) -> Person:
    """王芳 registers a base in 武汉市 through the chat and stays logged in."""
    boss = admin(stack, BOSS)
    await register(boss)
    await boss.press("确认注册")
    return boss


async def submitted_class(stack: Stack, name: str) -> int:
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        form = classes.parse_class_form(a_form(name=name), svc.clock.now().date())
        declared = await classes.declare(uow, svc.clock, actor, form)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        await classes.submit_class(uow, svc.clock, actor, declared.id or 0)
    return declared.id or 0


async def class_status(stack: Stack, class_id: int) -> Status:
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        return (await classes.get_class(uow, actor, class_id)).status


async def reviewer(
    stack: Stack,
    *,
    telegram_id: int = REVIEWER,
    id_number: str = ID_WUHAN_REVIEWER,
    regions: tuple[str, ...] = ("武汉市",),
) -> Person:
    """Created by the operator; logs in with the initial password and must change it first."""
    svc = services_of(stack)
    async with svc.uow() as uow:
        await review.create_reviewer(
            uow,
            svc.hasher,
            svc.clock,
            name="周审核",
            id_number=id_number,
            mobile="13600001111",
            initial_password=INITIAL,
            regions=regions,
        )
    person = Person(stack.emu.user(user_id=telegram_id, first_name="周审核"), stack.settle)
    await person.say("/login")
    await person.say(id_number)
    first = texts(await person.say(INITIAL))
    assert "初始密码" in first and "修改密码" in person.buttons()
    assert "/review" not in first
    await person.say("/password")
    await person.say(INITIAL)
    await person.say(CHANGED)
    assert "密码已修改" in texts(await person.say(CHANGED))
    return person


async def test_reviewer_approves_and_returns_and_the_base_hears_at_once(stack: Stack) -> None:
    boss = await registered_boss(stack)
    first = await submitted_class(stack, CLASS_ONE)
    second = await submitted_class(stack, CLASS_TWO)
    checker = await reviewer(stack)

    welcome = texts(await checker.say("/logout") + await login_again(checker))
    assert "主管部门审核员" in welcome and "待审核事项" in checker.buttons()

    overview = texts(await checker.press("待审核事项"))
    assert "待审核事项" in overview
    assert checker.buttons() == ["培训班（2）", "学员成绩（0）", "年度报送（0）"]
    queue = texts(await checker.press("培训班（2）"))
    assert "共 2 个" in queue
    assert queue.index(CLASS_ONE) < queue.index(CLASS_TWO)  # longest waiting first
    assert "武汉职业培训学院 · 武汉市" in queue
    assert checker.buttons() == [f"1. {CLASS_ONE}", f"2. {CLASS_TWO}", "返回"]

    card = texts(await checker.press(CLASS_ONE))
    assert CLASS_ONE in card and "专业科目" in card and "线下" in card
    assert "政策解读" in card and "第三天" in card  # the plan text
    assert "提交审核" in card  # the history
    assert checker.buttons() == ["审核通过", "退回", "返回队列"]

    boss_before = len(boss.user.messages)
    done = texts(await checker.press("审核通过"))
    assert "已审核通过" in done and CLASS_ONE in done
    await boss.settle()
    notice = [m for m in boss.user.messages[boss_before:] if m.from_bot]
    assert len(notice) == 1
    assert CLASS_ONE in notice[0].text and "已通过" in notice[0].text
    assert "审核结果：武汉职业培训学院的培训班" in notice[0].text  # the notice names the base
    assert [b.text for b in notice[0].reply_markup.buttons] == ["查看培训班"]
    assert await class_status(stack, first) is Status.APPROVED

    assert "共 1 项" in texts(await checker.say("/review"))
    assert checker.buttons() == ["培训班（1）", "学员成绩（0）", "年度报送（0）"]
    queue = texts(await checker.press("培训班（1）"))
    assert "共 1 个" in queue and CLASS_ONE not in queue
    await checker.press(CLASS_TWO)
    asked = texts(await checker.press("退回"))
    assert "退回原因" in asked
    too_long = texts(await checker.say("字" * 501))
    assert "500" in too_long and "请重新输入" in too_long
    assert await class_status(stack, second) is Status.SUBMITTED

    boss_before = len(boss.user.messages)
    returned = texts(await checker.say("培训学时与课程安排不符，请核对后重新提交"))
    assert "已退回" in returned
    await boss.settle()
    notice = [m for m in boss.user.messages[boss_before:] if m.from_bot]
    assert len(notice) == 1
    assert CLASS_TWO in notice[0].text and "已被主管部门退回" in notice[0].text
    assert "培训学时与课程安排不符" in notice[0].text
    assert await class_status(stack, second) is Status.RETURNED

    assert "目前没有待审核的培训班" in texts(await checker.press("返回队列"))
    assert checker.buttons() == ["返回"]
    assert "目前没有待审核的事项" in texts(await checker.press("返回"))


async def login_again(person: Person) -> list[Any]:
    await person.say("/login")
    await person.say(ID_WUHAN_REVIEWER)
    return await person.say(CHANGED)


async def test_a_manager_who_blocked_the_bot_is_skipped(stack: Stack) -> None:
    boss = await registered_boss(stack)
    await logged_in_admin(
        stack,
        boss_telegram_id=BOSS,
        telegram_id=2002,
        name="李专员",
        id_number=make_id("42010019800303001"),
        mobile="13900002222",
        permissions=[Permission.CLASSES_MANAGE],
    )
    clerk = Person(stack.emu.user(user_id=2002, first_name="李专员"), stack.settle)
    clerk.user.block()
    class_id = await submitted_class(stack, CLASS_ONE)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("培训班（1）")
    await checker.press(CLASS_ONE)
    boss_before = len(boss.user.messages)
    done = texts(await checker.press("审核通过"))
    assert "已审核通过" in done and "抱歉" not in done
    await boss.settle()
    assert any(CLASS_ONE in (m.text or "") for m in boss.user.messages[boss_before:])
    assert not [m for m in clerk.user.messages if m.from_bot and CLASS_ONE in (m.text or "")]
    assert await class_status(stack, class_id) is Status.APPROVED


async def test_other_region_sees_nothing_and_forged_presses_change_nothing(stack: Stack) -> None:
    boss = await registered_boss(stack)
    class_id = await submitted_class(stack, CLASS_ONE)
    outsider = await reviewer(
        stack, telegram_id=6006, id_number=ID_YICHANG_REVIEWER, regions=("宜昌市",)
    )
    queue = texts(await outsider.say("/review"))
    assert "目前没有待审核的事项" in queue and CLASS_ONE not in queue
    screen = outsider.user.messages[-1].message_id
    for data in (f"rv:o:{class_id}", f"rv:ok:{class_id}", f"rv:ret:{class_id}"):
        refused = texts(await outsider.press_data(screen, data))
        assert "未找到" in refused and CLASS_ONE not in refused
    assert await class_status(stack, class_id) is Status.SUBMITTED
    assert not [m for m in boss.user.messages if m.from_bot and "审核结果" in (m.text or "")]

    # A class not submitted (a draft) is no reviewer's business, not even in the right region.
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        form = classes.parse_class_form(a_form(name="草稿班"), svc.clock.now().date())
        draft = await classes.declare(uow, svc.clock, actor, form)
    checker = await reviewer(stack)
    screen = (await checker.say("/review"))[-1].message_id
    refused = texts(await checker.press_data(screen, f"rv:ok:{draft.id}"))
    assert "未找到" in refused
    assert await class_status(stack, draft.id or 0) is Status.DRAFT


async def test_an_admin_cannot_review(stack: Stack) -> None:
    boss = await registered_boss(stack)
    class_id = await submitted_class(stack, CLASS_ONE)
    refused = texts(await boss.say("/review"))
    assert "只有主管部门审核员" in refused
    screen = boss.user.messages[-1].message_id
    forged = texts(await boss.press_data(screen, f"rv:ok:{class_id}"))
    assert "只有主管部门审核员" in forged
    assert await class_status(stack, class_id) is Status.SUBMITTED


async def test_reviewer_reads_the_plan_file_and_the_notice_opens_the_class(stack: Stack) -> None:
    boss = await registered_boss(stack)
    await declare(boss, name=CLASS_ONE, plan=None)
    await boss.user.send_document(PDF, "武汉培训方案.pdf", mime_type="application/pdf")
    await boss.settle()
    await boss.press("保存为草稿")
    await boss.press("提交审核")
    checker = await reviewer(stack)

    # The forced first change of password leads to the reviewer's own function list.
    home = texts(await checker.press("打开功能列表"))
    assert "主管部门审核员" in home and "请先选择" not in home
    assert checker.buttons() == ["待审核事项", "截止日期", "修改密码", "退出登录"]
    await checker.press("待审核事项")
    assert "共 1 个" in texts(await checker.press("培训班（1）"))

    card = texts(await checker.press(CLASS_ONE))
    assert "下载培训方案" in card and "王芳 提交审核" in card  # who submitted, by name
    assert checker.buttons()[0] == "下载培训方案"
    await checker.press("下载培训方案")
    (document,) = [m for m in checker.user.messages if m.from_bot and m.document is not None]
    assert document.document.filename == "武汉培训方案.pdf"
    assert document.document.data == PDF
    svc = services_of(stack)
    async with svc.uow() as uow:
        boss_actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        events = await uow.audit.list(boss_actor.base_id, action_prefix="file.download")
    assert [(e.action, e.actor_user_id is not None) for e in events] == [("file.download", True)]

    await checker.press("审核通过")
    await boss.settle()
    opened = texts(await boss.press("查看培训班"))
    assert CLASS_ONE in opened and "已通过" in opened and "周审核 审核通过" in opened

    # The command list names /review, in both languages.
    assert "review" in dict(stack.emu.commands_for(""))
    assert "review" in dict(stack.emu.commands_for("en"))


async def test_a_returned_class_is_corrected_and_resubmitted_then_approved(stack: Stack) -> None:
    boss = await registered_boss(stack)
    class_id = await submitted_class(stack, CLASS_ONE)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("培训班（1）")
    await checker.press(CLASS_ONE)
    await checker.press("退回")
    await checker.say("学时与课程安排不符")
    await boss.settle()

    card = texts(await boss.press("查看培训班"))
    assert "状态：已退回" in card and "周审核 退回（原因：学时与课程安排不符）" in card
    assert "修改" in boss.buttons() and "提交审核" in boss.buttons()
    await boss.press("修改")
    await boss.press("修改学时")
    await boss.say("36")
    await boss.press("保存为草稿")
    card = texts(await boss.press("提交审核"))
    assert "状态：待审核" in card and "学时：36" in card

    await checker.say("/review")
    queue = texts(await checker.press("培训班（1）"))
    assert "共 1 个" in queue and CLASS_ONE in queue
    card = texts(await checker.press(CLASS_ONE))
    assert "学时：36" in card and "退回（原因：学时与课程安排不符）" in card
    await checker.press("审核通过")
    assert await class_status(stack, class_id) is Status.APPROVED
    svc = services_of(stack)
    async with svc.uow() as uow:
        actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
        history = (await classes.get_class(uow, actor, class_id)).history
    assert [h.action.value for h in history] == ["submit", "return", "submit", "approve"]
