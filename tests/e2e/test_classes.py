"""培训班管理 end to end: declare (typed or file plan), review steps, copy, delete, forgeries."""

from __future__ import annotations

from typing import Any

from domain.services import auth, classes
from domain.workflow import Status
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import services_of as services
from tests.e2e.test_accounts import admin
from tests.e2e.test_roles import CAROL_PASSWORD, actor, super_admin
from tests.services.helpers import CODE_TWO, ID_CAROL, registration

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NAME = "2026年专业技术人员继续教育专业科目培训班"
PLAN = "第一天 政策解读\n第二天 专业课程"


async def declare(
    person: Person,
    *,
    name: str = NAME,
    mode: str = "线下",
    start: str = "2026-03-01",
    end: str = "2026/3/3",
    plan: str | None = PLAN,
) -> list[Any]:
    """Through /classes up to the plan; with ``plan`` None the caller sends it."""
    await person.say("/classes")
    await person.press("申报培训班")
    await person.say(name)
    await person.press("2026")
    await person.press("专业科目")
    await person.press(mode)
    await person.say(start)
    answer = await person.say(end)
    if mode != "线上":
        answer = await person.say("武汉市洪山区珞喻路 1 号")
    await person.say("24")
    await person.say("120")
    await person.say("0")
    await person.say("全省中级职称专业技术人员")
    answer = await person.press("跳过")
    if plan is not None:
        answer = await person.say(plan)
    return answer


async def stored_classes(stack: Stack, telegram_user_id: int = 1001) -> list[Any]:
    svc = services(stack)
    who = await actor(stack, telegram_user_id)
    async with svc.uow() as uow:
        items, _total = await classes.list_classes(uow, who, limit=100)
    return items


async def test_declare_submit_withdraw_edit_resubmit(stack: Stack) -> None:
    alice = await super_admin(stack)
    summary = texts(await declare(alice))
    assert "请核对培训班信息" in summary and NAME in summary and "专业科目" in summary
    assert "修改培训地点" in alice.buttons() and "✅ 保存为草稿" in alice.buttons()

    card = texts(await alice.press("保存为草稿"))
    assert "已保存为草稿" in card and "状态：草稿" in card and PLAN in card
    (saved,) = await stored_classes(stack)
    assert (saved.status, saved.plan_text, saved.fee) == (Status.DRAFT, PLAN, 0)

    card = texts(await alice.press("提交审核"))
    assert "已提交审核" in card and "状态：待审核" in card and "王芳" in card
    assert "修改" not in alice.buttons() and "删除" not in alice.buttons()
    card = texts(await alice.press("撤回"))
    assert "状态：草稿" in card

    await alice.press("修改")
    await alice.press("修改学时")
    assert "学时：36" in texts(await alice.say("36"))
    card = texts(await alice.press("保存为草稿"))
    assert "学时：36" in card
    card = texts(await alice.press("提交审核"))
    assert "状态：待审核" in card
    (saved,) = await stored_classes(stack)
    assert saved.status is Status.SUBMITTED and saved.hours == 36
    assert [c.action.value for c in saved.history] == ["submit", "withdraw", "submit"]

    listing = texts(await alice.say("/classes"))
    assert f"{NAME} · 2026 · 待审核" in listing


async def audit_actions(stack: Stack, prefix: str) -> list[str]:
    svc = services(stack)
    who = await actor(stack, 1001)
    async with svc.uow(readonly=True) as uow:
        return [e.action for e in await uow.audit.list(who.base_id, action_prefix=prefix)]


def sent_documents(person: Person) -> list[Any]:
    return [m for m in person.user.messages if m.from_bot and m.document is not None]


async def test_a_pdf_plan_is_stored_and_downloaded_back_byte_identical(stack: Stack) -> None:
    alice = await super_admin(stack)
    await declare(alice, plan=None)
    await alice.user.send_document(PDF, "2026年培训方案.pdf", mime_type="application/pdf")
    await alice.settle()
    summary = alice.last_text()
    assert "请核对培训班信息" in summary and "2026年培训方案.pdf" in summary

    card = texts(await alice.press("保存为草稿"))
    assert "培训方案：文件“2026年培训方案.pdf”" in card
    (saved,) = await stored_classes(stack)
    assert saved.plan_text is None and saved.plan_file_id is not None

    await alice.press("下载计划")
    (document,) = sent_documents(alice)
    assert document.document.filename == "2026年培训方案.pdf"
    assert document.document.data == PDF
    assert await audit_actions(stack, "file.") == ["file.upload"]


async def test_a_renamed_program_and_an_oversized_file_are_refused(stack: Stack) -> None:
    alice = await super_admin(stack)
    await declare(alice, plan=None)
    await alice.user.send_document(b"MZ" + b"\0" * 200, "培训方案.pdf", mime_type="application/pdf")
    await alice.settle()
    assert "不能接收" in alice.last_text() and "请重新输入" in alice.last_text()

    downloads_before = len(stack.emu.requests_for("getFile"))
    await alice.user.send_document(
        PDF, "大文件.pdf", mime_type="application/pdf", size_override=25 * 1024 * 1024
    )
    await alice.settle()
    assert "超过了" in alice.last_text() and "20" in alice.last_text()
    assert len(stack.emu.requests_for("getFile")) == downloads_before  # never fetched
    assert await audit_actions(stack, "file.") == []

    # Still at the plan step: a typed plan is taken.
    assert "请核对培训班信息" in texts(await alice.say(PLAN))


async def test_dates_in_several_forms_and_refused_dates_and_locations(stack: Stack) -> None:
    alice = await super_admin(stack)
    await alice.say("/classes")
    await alice.press("申报培训班")
    await alice.say(NAME)
    await alice.press("2026")
    await alice.press("公需科目")
    await alice.press("线上")
    refused = texts(await alice.say("2025-12-30"))
    assert "不在 2026 年内" in refused
    await alice.say("2026年3月5日")
    refused = texts(await alice.say("20260301"))
    assert "早于开始日期" in refused and "2026-03-05" in refused
    asked = texts(await alice.say("2026/3/6"))
    assert "请输入学时" in asked and "培训地点" not in asked  # online: no location
    for answer in ("24", "100", "0", "全体"):
        await alice.say(answer)
    await alice.press("跳过")
    summary = texts(await alice.say(PLAN))
    assert "开始日期：2026-03-05" in summary and "结束日期：2026-03-06" in summary
    assert "培训类别：公需科目" in summary and "培训方式：线上" in summary

    # Offline without a location: refused, and the location is asked for.
    await alice.press("修改培训方式")
    asked = texts(await alice.press("线下"))
    assert "须填写培训地点" in asked and "请输入培训地点" in asked
    assert "培训地点：武汉市江夏区" in texts(await alice.say("武汉市江夏区"))
    card = texts(await alice.press("保存为草稿"))
    assert "培训地点：武汉市江夏区" in card and "培训方式：线下" in card
    (saved,) = await stored_classes(stack)
    assert (saved.start_date.isoformat(), saved.end_date.isoformat()) == (
        "2026-03-05",
        "2026-03-06",
    )


async def test_copy_to_next_year_and_delete_a_draft(stack: Stack) -> None:
    alice = await super_admin(stack)
    await declare(alice)
    await alice.press("保存为草稿")
    await alice.press("复制为新草稿")
    card = texts(await alice.press("2027"))
    assert "已复制为新草稿" in card and "年度：2027" in card and "开始日期：2027-03-01" in card
    assert sorted(c.year for c in await stored_classes(stack)) == [2026, 2027]

    await alice.press("删除")
    assert "确定删除" in alice.last_text()
    assert "已删除" in texts(await alice.press("确认删除"))
    assert [c.year for c in await stored_classes(stack)] == [2026]

    listing = texts(await alice.say("/classes"))
    assert "共 1 个" in listing
    await alice.press("按年度筛选")
    assert "共 1 个" in texts(await alice.press("2026"))
    await alice.press("按状态筛选")
    assert "还没有符合条件的培训班" in texts(await alice.press("待审核"))


async def test_a_submitted_class_cannot_be_edited_or_deleted(stack: Stack) -> None:
    alice = await super_admin(stack)
    await declare(alice)
    await alice.press("保存为草稿")
    card_messages = await alice.press("提交审核")
    (saved,) = await stored_classes(stack)
    assert "修改" not in alice.buttons() and "删除" not in alice.buttons()
    message_id = card_messages[-1].message_id
    refused = texts(await alice.press_data(message_id, f"cls:edit:{saved.id}"))
    assert "不能修改" in refused
    refused = texts(await alice.press_data(message_id, f"cls:delok:{saved.id}"))
    assert "不能删除" in refused
    refused = texts(await alice.press_data(message_id, f"cls:del:{saved.id}"))
    assert "不能删除" in refused
    (after,) = await stored_classes(stack)
    assert after == saved


async def test_another_base_cannot_see_or_change_the_class(stack: Stack) -> None:
    alice = await super_admin(stack)
    await declare(alice)
    await alice.press("保存为草稿")
    (saved,) = await stored_classes(stack)

    svc = services(stack)
    form = registration(
        base_name="宜昌继续教育中心",
        credit_code=CODE_TWO,
        id_number=ID_CAROL,
        admin_name="陈静",
        mobile="13712345678",
        password_hash=await svc.hasher.hash(CAROL_PASSWORD),
    )
    async with svc.uow() as uow:
        await auth.register_base(uow, svc.clock, form, telegram_user_id=3003)
    carol = admin(stack, user_id=3003)
    listing = await carol.say("/classes")
    assert "共 0 个" in texts(listing) and NAME not in texts(listing)
    anchor = listing[-1].message_id
    for data in (
        f"cls:card:{saved.id}",
        f"cls:sub:{saved.id}",
        f"cls:edit:{saved.id}",
        f"cls:del:{saved.id}",
        f"cls:delok:{saved.id}",
        f"cls:copyto:{saved.id}:2027",
        f"cls:plan:{saved.id}",
        f"cls:sub:{saved.id}x",
    ):
        answer = texts(await carol.press_data(anchor, data))
        assert NAME not in answer
        assert "未找到" in answer or "已失效" in answer, (data, answer)
    assert await stored_classes(stack) == [saved]
    assert texts(await carol.say("/classes")).count("共 0 个") == 1
