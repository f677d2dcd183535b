"""主管部门审核 of annual submissions end to end: the plan, summary and materials of a year.

The base's side is arranged through the services (its own chat is tested in test_submissions);
the reviewer works in the chat: the overview, the queue, the card with its files, the download,
approve and return, and the notices the base's managers get.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from bot.handlers.review.decisions import DRAFT_KEY
from domain.clock import FixedClock
from domain.model import AnnualSubmission, AuditEvent, MaterialKind, SubmissionKind
from domain.permissions import Permission
from domain.services import submissions
from domain.services.sessions import resolve_actor, resolve_reviewer
from domain.workflow import Status
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import logged_in_admin, services_of
from tests.e2e.test_review import (
    BOSS,
    CLASS_ONE,
    ID_YICHANG_REVIEWER,
    REVIEWER,
    registered_boss,
    reviewer,
    submitted_class,
)
from tests.e2e.test_review_scores import notices
from tests.services.test_classes import make_id
from tests.unit import samples

PDF = samples.pdf()
DOCX = samples.docx()
PNG = samples.png()
PLAN_V1 = "2026年培训计划.pdf"
PLAN_V2 = "2026年培训计划（修订）.docx"
GUIDE = "2026年继续教育学习指南"
LONG_NAME = "关于印发2026年度专业技术人员继续教育工作要点的通知附件一（最终版）.docx"
BASE = "武汉职业培训学院"
PLANNER = 2002
MATERIALS_CLERK = 2003


async def _boss(stack: Stack) -> Any:
    svc = services_of(stack)
    async with svc.uow() as uow:
        found = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
    return found


async def submitted_plan(stack: Stack, *versions: tuple[bytes, str]) -> int:
    """王芳 uploads the 2026 plan in these versions (the last is current) and submits it."""
    svc = services_of(stack)
    view = None
    for data, name in versions or ((PDF, PLAN_V1),):
        async with svc.uow() as uow:
            view = await submissions.upload(
                uow, svc.blobs, svc.clock, await _boss(stack), SubmissionKind.PLAN, 2026, data, name
            )
    async with svc.uow() as uow:
        await submissions.submit(uow, svc.clock, await _boss(stack), SubmissionKind.PLAN, 2026)
    assert view is not None and view.submission is not None
    return view.submission.id or 0


async def draft_summary(stack: Stack) -> int:
    svc = services_of(stack)
    async with svc.uow() as uow:
        view = await submissions.upload(
            uow,
            svc.blobs,
            svc.clock,
            await _boss(stack),
            SubmissionKind.SUMMARY,
            2026,
            PDF,
            "总结.pdf",
        )
    assert view.submission is not None
    return view.submission.id or 0


async def submitted_material(stack: Stack) -> int:
    """A study guide with two files, the second with a name too long for a button, submitted."""
    svc = services_of(stack)
    async with svc.uow() as uow:
        view = await submissions.add_material(
            uow,
            svc.blobs,
            svc.clock,
            await _boss(stack),
            2026,
            MaterialKind.STUDY_GUIDE,
            GUIDE,
            PDF,
            "学习指南.pdf",
        )
    assert view.submission is not None
    material_id = view.submission.id or 0
    async with svc.uow() as uow:
        await submissions.add_file(
            uow, svc.blobs, svc.clock, await _boss(stack), material_id, DOCX, LONG_NAME
        )
    async with svc.uow() as uow:
        await submissions.submit_material(uow, svc.clock, await _boss(stack), material_id)
    return material_id


async def stored(stack: Stack, submission_id: int) -> AnnualSubmission:
    svc = services_of(stack)
    async with svc.uow(readonly=True) as uow:
        found = await uow.submissions.get(submission_id)
    assert found is not None
    return found


async def downloads(stack: Stack) -> list[AuditEvent]:
    svc = services_of(stack)
    boss = await _boss(stack)
    async with svc.uow(readonly=True) as uow:
        return await uow.audit.list(boss.base_id, action_prefix="submission.download")


async def reviewer_user_id(stack: Stack, telegram_id: int = REVIEWER) -> int:
    svc = services_of(stack)
    async with svc.uow() as uow:
        found = await resolve_reviewer(uow, svc.clock, telegram_id, svc.session_policy)
    return found.user_id


async def manager(stack: Stack, telegram_id: int, name: str, permission: Permission) -> Person:
    """Another admin of 王芳's base holding one permission, logged in."""
    serial, role = {
        PLANNER: ("42010019820505003", "计划专员"),
        MATERIALS_CLERK: ("42010019830606004", "材料专员"),
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


def documents(person: Person) -> list[Any]:
    return [m for m in person.user.messages if m.from_bot and m.document is not None]


async def test_overview_queue_card_and_the_current_version_downloaded(
    stack: Stack, clock: FixedClock
) -> None:
    await registered_boss(stack)
    plan_id = await submitted_plan(stack, (PDF, PLAN_V1), (DOCX, PLAN_V2))
    clock.advance(timedelta(minutes=1))
    await submitted_material(stack)
    await draft_summary(stack)  # a draft is the base's own business: not counted
    await submitted_class(stack, CLASS_ONE)
    checker = await reviewer(stack)

    overview = texts(await checker.say("/review"))
    assert "待审核事项：共 3 项" in overview
    assert checker.buttons() == ["培训班（1）", "学员成绩（0）", "年度报送（2）"]

    queue = texts(await checker.press("年度报送（2）"))
    assert "待审核的年度报送：共 2 份（第 1/1 页），先提交的在前。" in queue
    assert f"1. {BASE} · 武汉市 · 2026 年度培训计划 · 提交于 2026-" in queue
    assert f"2. {BASE} · 武汉市 · 2026 年度工作材料 · {GUIDE} · 提交于 2026-" in queue
    assert checker.buttons() == ["1. 2026 年度培训计划", f"2. {GUIDE}", "返回"]

    card = texts(await checker.press("1. 2026 年度培训计划"))
    assert "年度报送审核（待审核）" in card
    assert f"继续教育基地：{BASE}（武汉市）" in card
    assert "年度：2026" in card and "类别：年度培训计划" in card
    assert f"1. {PLAN_V2}（" in card  # the current version with its size
    assert f"第 1 版 {PLAN_V1}" in card  # the earlier one, named
    assert "王芳 提交审核" in card  # the history, who acted by name
    assert "材料标题" not in card
    assert checker.buttons() == [f"下载：{PLAN_V2}", "审核通过", "退回", "返回队列"]

    await checker.press(f"下载：{PLAN_V2}")
    (document,) = documents(checker)
    assert document.document.filename == PLAN_V2
    assert document.document.data == DOCX  # byte for byte what the base uploaded
    assert document.caption == "2026 年年度培训计划"
    (event,) = await downloads(stack)
    assert event.actor_user_id == await reviewer_user_id(stack)
    assert event.subject == "plan 2026" and (event.new_value or "").startswith("v2 #")
    assert (await stored(stack, plan_id)).status is Status.SUBMITTED  # a download decides nothing

    assert "共 2 份" in texts(await checker.press("返回队列"))
    card = texts(await checker.press(GUIDE))
    assert f"材料标题：{GUIDE}\n材料类型：学习指南" in card and "类别：年度工作材料" in card
    assert "1. 学习指南.pdf（" in card and f"2. {LONG_NAME}（" in card
    assert "早先的版本" not in card
    buttons = checker.buttons()
    assert buttons[0] == "下载：学习指南.pdf"
    assert buttons[1].startswith("下载：关于印发") and buttons[1].endswith("….docx")
    assert len(buttons[1]) < len(f"下载：{LONG_NAME}")
    await checker.press(buttons[1])
    long_one = documents(checker)[-1]
    assert long_one.document.filename == LONG_NAME and long_one.document.data == DOCX
    assert long_one.caption == f"2026 年年度工作材料：{GUIDE}"


async def test_approved_plan_reaches_the_plan_managers_with_a_button_to_the_year(
    stack: Stack, clock: FixedClock
) -> None:
    boss = await registered_boss(stack)
    planner = await manager(stack, PLANNER, "孙计划", Permission.PLANS_MANAGE)
    clerk = await manager(stack, MATERIALS_CLERK, "吴材料", Permission.MATERIALS_MANAGE)
    plan_id = await submitted_plan(stack)
    clock.advance(timedelta(minutes=1))
    material_id = await submitted_material(stack)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("年度报送（2）")
    await checker.press("1. 2026 年度培训计划")

    before = {p: len(p.user.messages) for p in (boss, planner, clerk)}
    done = texts(await checker.press("审核通过"))
    assert f"已审核通过：2026 年年度培训计划（{BASE}）。已通知该基地的管理员。" in done
    for person in (boss, planner, clerk):
        await person.settle()
    for person in (boss, planner):  # the super admin and the plan manager
        (notice,) = notices(person, before[person])
        assert notice.text == "审核结果：武汉职业培训学院2026年的“年度培训计划”已通过主管部门审核。"
        assert [b.text for b in notice.reply_markup.buttons] == ["查看"]
        assert [b.callback_data for b in notice.reply_markup.buttons] == ["sb:ov:2026:plan"]
    assert notices(clerk, before[clerk]) == []  # materials are not their business
    assert (await stored(stack, plan_id)).status is Status.APPROVED
    assert (await stored(stack, material_id)).status is Status.SUBMITTED

    queue = texts(await checker.press("返回队列"))
    assert "共 1 份" in queue and "年度培训计划" not in queue
    await checker.press(GUIDE)
    before = {p: len(p.user.messages) for p in (boss, planner, clerk)}
    await checker.press("审核通过")
    for person in (boss, planner, clerk):
        await person.settle()
    for person in (boss, clerk):
        (notice,) = notices(person, before[person])
        assert f"武汉职业培训学院2026年的年度工作材料“{GUIDE}”已通过主管部门审核" in notice.text
        assert [b.callback_data for b in notice.reply_markup.buttons] == [f"sb:mat:{material_id}"]
    assert notices(planner, before[planner]) == []
    assert (await stored(stack, material_id)).status is Status.APPROVED
    assert "目前没有待审核的事项" in texts(await checker.say("/review"))

    svc = services_of(stack)
    async with svc.uow(readonly=True) as uow:
        events = await uow.audit.list(
            (await _boss(stack)).base_id, action_prefix="submission.approve"
        )
    assert sorted(e.subject for e in events) == [
        f"material 2026 #{material_id} {GUIDE}",
        "plan 2026",
    ]


async def test_a_returned_material_is_editable_again_and_the_reason_reaches_the_base(
    stack: Stack,
) -> None:
    boss = await registered_boss(stack)
    clerk = await manager(stack, MATERIALS_CLERK, "吴材料", Permission.MATERIALS_MANAGE)
    await clerk.say("/language")
    await clerk.press("English")
    material_id = await submitted_material(stack)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("年度报送（1）")
    await checker.press(GUIDE)

    asked = texts(await checker.press("退回"))
    assert f"退回“2026 年年度工作材料：{GUIDE}”：请输入退回原因" in asked
    assert stack.app.user_data[REVIEWER][DRAFT_KEY] == {
        "kind": "submission",
        "item_id": material_id,
    }
    refused = texts(await checker.say("字" * 501))
    assert "500" in refused and "请重新输入" in refused
    assert (await stored(stack, material_id)).status is Status.SUBMITTED

    before = {p: len(p.user.messages) for p in (boss, clerk)}
    reason = "附件一缺少盖章页，请补充后重新提交"
    returned = texts(await checker.say(reason))
    assert f"已退回：2026 年年度工作材料：{GUIDE}（{BASE}）。退回原因：{reason}" in returned
    assert DRAFT_KEY not in stack.app.user_data[REVIEWER]

    material = await stored(stack, material_id)
    assert material.status is Status.RETURNED and material.is_editable
    assert material.history[-1].reason == reason
    svc = services_of(stack)
    async with svc.uow() as uow:  # the base can change it again: a file is added
        view = await submissions.add_file(
            uow, svc.blobs, svc.clock, await _boss(stack), material_id, PNG, "盖章页.png"
        )
    assert len(view.current_files) == 3

    await boss.settle()
    (notice,) = notices(boss, before[boss])
    assert notice.text == (
        f"审核结果：武汉职业培训学院2026年的年度工作材料“{GUIDE}”已被主管部门退回。\n"
        f"退回原因：{reason}\n请修改后重新提交。"
    )
    assert [b.text for b in notice.reply_markup.buttons] == ["查看"]
    assert [b.callback_data for b in notice.reply_markup.buttons] == [f"sb:mat:{material_id}"]
    await clerk.settle()
    (english,) = [m for m in clerk.user.messages[before[clerk] :] if m.from_bot]
    assert "returned" in english.text and reason in english.text and GUIDE in english.text
    assert "武汉职业培训学院" in english.text  # every notice names the base
    assert "退回原因" not in english.text and "审核结果" not in english.text
    assert [b.text for b in english.reply_markup.buttons] == ["View"]
    assert [b.callback_data for b in english.reply_markup.buttons] == [f"sb:mat:{material_id}"]

    # The base submits it again; the reviewer sees the return in its history.
    async with svc.uow() as uow:
        await submissions.submit_material(uow, svc.clock, await _boss(stack), material_id)
    await checker.say("/review")
    card = texts(await checker.press("年度报送（1）") + await checker.press(GUIDE))
    assert f"周审核 退回（原因：{reason}）" in card and "3. 盖章页.png（" in card


async def test_a_returned_plan_notice_opens_the_year_and_old_drafts_still_return(
    stack: Stack,
) -> None:
    boss = await registered_boss(stack)
    plan_id = await submitted_plan(stack)
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("年度报送（1）")
    await checker.press("2026 年度培训计划")
    await checker.press("退回")
    assert stack.app.user_data[REVIEWER][DRAFT_KEY] == {"kind": "submission", "item_id": plan_id}
    # As a draft stored before the id's key was renamed would hold it:
    stack.app.user_data[REVIEWER][DRAFT_KEY] = {"kind": "submission", "class_id": plan_id}
    before = len(boss.user.messages)
    assert "已退回：2026 年年度培训计划" in texts(await checker.say("计划学时不足"))
    plan = await stored(stack, plan_id)
    assert plan.status is Status.RETURNED and plan.is_editable
    await boss.settle()
    (notice,) = notices(boss, before)
    assert "武汉职业培训学院2026年的“年度培训计划”已被主管部门退回" in notice.text
    assert "退回原因：计划学时不足" in notice.text
    assert [b.callback_data for b in notice.reply_markup.buttons] == ["sb:ov:2026:plan"]

    svc = services_of(stack)
    async with svc.uow() as uow:  # a new version is accepted again
        view = await submissions.upload(
            uow,
            svc.blobs,
            svc.clock,
            await _boss(stack),
            SubmissionKind.PLAN,
            2026,
            DOCX,
            "v2.docx",
        )
    assert view.current is not None and view.current.number == 2


async def test_other_region_sees_nothing_and_forged_presses_change_nothing(stack: Stack) -> None:
    boss = await registered_boss(stack)
    plan_id = await submitted_plan(stack)
    material_id = await submitted_material(stack)
    summary_id = await draft_summary(stack)
    plan_entry = (await stored(stack, plan_id)).current_files[0].id
    material_entry = (await stored(stack, material_id)).current_files[0].id

    outsider = await reviewer(
        stack, telegram_id=6006, id_number=ID_YICHANG_REVIEWER, regions=("宜昌市",)
    )
    overview = texts(await outsider.say("/review"))
    assert "目前没有待审核的事项" in overview
    screen = outsider.user.messages[-1].message_id
    assert "目前没有待审核的年度报送" in texts(await outsider.press_data(screen, "rv:aq:0"))
    for data in (
        f"rv:ao:{plan_id}",
        f"rv:aok:{plan_id}",
        f"rv:aret:{plan_id}",
        f"rv:af:{plan_id}:{plan_entry}",
        f"rv:aok:{material_id}",
        f"rv:af:{material_id}:{material_entry}",
    ):
        refused = texts(await outsider.press_data(screen, data))
        assert "未找到" in refused and "年度培训计划" not in refused and GUIDE not in refused
    assert documents(outsider) == []
    assert DRAFT_KEY not in stack.app.user_data.get(6006, {})

    # In the right region: a draft, another submission's file and malformed data are refused.
    checker = await reviewer(stack)
    screen = (await checker.say("/review"))[-1].message_id
    for data in (
        f"rv:ao:{summary_id}",
        f"rv:aok:{summary_id}",
        f"rv:aret:{summary_id}",
        f"rv:af:{plan_id}:{material_entry}",  # the material's file asked for under the plan
        f"rv:af:{plan_id}:999999",
    ):
        assert "未找到" in texts(await checker.press_data(screen, data))
    for data in ("rv:af:abc:1", f"rv:af:{plan_id}:x", "rv:ao:-1", "rv:aok:1e3"):
        assert "失效" in texts(await checker.press_data(screen, data))
    assert documents(checker) == []
    assert await downloads(stack) == []
    assert (await stored(stack, summary_id)).status is Status.DRAFT

    await checker.press_data(screen, f"rv:aok:{plan_id}")
    again = texts(await checker.press_data(screen, f"rv:aok:{plan_id}"))
    assert "当前状态为“已通过”，不能执行“审核通过”" in again
    assert "未找到" in texts(await checker.press_data(screen, f"rv:aret:{plan_id}"))
    assert "未找到" in texts(await checker.press_data(screen, f"rv:af:{plan_id}:{plan_entry}"))
    assert (await stored(stack, plan_id)).status is Status.APPROVED
    assert (await stored(stack, material_id)).status is Status.SUBMITTED
    await boss.settle()
    assert len(notices(boss, 0)) == 1  # the one approval in the right region


async def test_an_admin_cannot_review_submissions(stack: Stack) -> None:
    boss = await registered_boss(stack)
    plan_id = await submitted_plan(stack)
    entry = (await stored(stack, plan_id)).current_files[0].id
    screen = (await boss.say("/review"))[-1].message_id
    assert "只有主管部门审核员" in boss.last_text()
    for data in (
        "rv:aq:0",
        f"rv:ao:{plan_id}",
        f"rv:aok:{plan_id}",
        f"rv:aret:{plan_id}",
        f"rv:af:{plan_id}:{entry}",
    ):
        assert "只有主管部门审核员" in texts(await boss.press_data(screen, data))
    assert documents(boss) == []
    assert await downloads(stack) == []
    assert (await stored(stack, plan_id)).status is Status.SUBMITTED


async def test_a_damaged_file_is_reported_to_the_reviewer_not_sent(stack: Stack) -> None:
    await registered_boss(stack)
    plan_id = await submitted_plan(stack)
    svc = services_of(stack)
    path = svc.blobs.path_of(hashlib.sha256(PDF).hexdigest())  # type: ignore[attr-defined]
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))
    checker = await reviewer(stack)
    await checker.say("/review")
    await checker.press("年度报送（1）")
    await checker.press("2026 年度培训计划")
    said = texts(await checker.press(f"下载：{PLAN_V1}"))
    assert "已损坏或被改动" in said
    assert documents(checker) == []
    async with svc.uow(readonly=True) as uow:
        damaged = await uow.audit.list((await _boss(stack)).base_id, action_prefix="file.damaged")
    assert [e.actor_user_id for e in damaged] == [await reviewer_user_id(stack)]
    assert (await stored(stack, plan_id)).status is Status.SUBMITTED
