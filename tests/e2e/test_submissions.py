"""年度培训计划 / 年度工作总结 / 年度工作材料 end to end: versions, refusals, damage, materials."""

from __future__ import annotations

import hashlib
from typing import Any

from domain.model import SubmissionKind
from domain.services import submissions
from domain.workflow import Status
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import services_of
from tests.e2e.test_accounts import admin, register
from tests.e2e.test_roles import actor, second_base_admin
from tests.unit import samples

PDF = samples.pdf()
DOCX = samples.docx()


async def boss(stack: Stack) -> Person:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    return person


def documents(person: Person) -> list[Any]:
    return [m for m in person.user.messages if m.from_bot and m.document is not None]


async def send_file(person: Person, data: bytes, name: str, **kw: Any) -> str:
    before = len(person.user.messages)
    await person.user.send_document(data, name, **kw)
    await person.settle()
    return texts([m for m in person.user.messages[before:] if m.from_bot])


async def audit_actions(stack: Stack, prefix: str) -> list[str]:
    svc = services_of(stack)
    who = await actor(stack, 1001)
    async with svc.uow(readonly=True) as uow:
        events = await uow.audit.list(who.base_id, action_prefix=prefix, limit=100)
    return [e.action for e in reversed(events)]


async def test_plan_versions_download_submit_and_withdraw(stack: Stack) -> None:
    alice = await boss(stack)
    screen = texts(await alice.say("/plan"))
    assert "年度培训计划 · 2026 年" in screen and "尚未上传" in screen
    assert "请把文件作为附件发给我" in texts(await alice.press("上传文件"))
    first = await send_file(alice, PDF, "2026年培训计划.pdf", mime_type="application/pdf")
    assert "已上传" in first and "当前版本：第 1 版 2026年培训计划.pdf" in first and "王芳" in first

    await alice.press("上传文件")
    second = await send_file(alice, DOCX, "2026年培训计划（修订）.docx")
    assert "当前版本：第 2 版 2026年培训计划（修订）.docx" in second
    assert "历次版本" in second and "第 1 版 2026年培训计划.pdf" in second

    await alice.press("下载第 1 版")
    assert documents(alice)[-1].document.data == PDF
    await alice.press("下载第 2 版")
    assert documents(alice)[-1].document.data == DOCX

    submitted = texts(await alice.press("提交审核"))
    assert "已提交审核" in submitted and "待审核" in submitted
    assert "上传文件" not in alice.buttons()
    refused = texts(await alice.press_data(alice.user.messages[-1].message_id, "sb:up:2026:plan"))
    assert "不能修改：只有草稿或已退回的报送可以上传" in refused
    back = texts(await alice.press("撤回"))
    assert "已撤回" in back and "上传文件" in alice.buttons()
    actions = await audit_actions(stack, "submission.")
    assert actions.count("submission.upload") == 2 and actions.count("submission.download") == 2
    assert "submission.submit" in actions and "submission.withdraw" in actions

    summary = texts(await alice.say("/summary"))
    assert "年度工作总结 · 2026 年" in summary and "尚未上传" in summary


async def test_refused_files_keep_the_step_and_store_nothing(stack: Stack) -> None:
    alice = await boss(stack)
    await alice.say("/plan")
    await alice.press("上传文件")
    for data, name, reason in (
        (samples.exe(), "计划.pdf", "被改了扩展名"),
        (b"", "计划.pdf", "文件是空的"),
        (samples.zip_bomb(), "计划.docx", "压缩"),
    ):
        said = await send_file(alice, data, name)
        assert "请换一个文件发送" in said and "抱歉" not in said and reason in said
    too_big = await send_file(alice, b"", "计划.pdf", size_override=25 * 1024 * 1024)
    assert "20 MB" in too_big
    assert await audit_actions(stack, "submission.upload") == []

    odd = await send_file(alice, PDF, "../../etc/计划.pdf")
    assert "已上传" in odd and "计划.pdf" in odd
    svc = services_of(stack)
    who = await actor(stack, 1001)
    async with svc.uow(readonly=True) as uow:
        stored = await uow.submissions.find(who.base_id, 2026, SubmissionKind.PLAN)
    assert stored is not None
    (entry,) = stored.files
    assert "/" not in entry.stored.safe_name and ".." not in entry.stored.safe_name


async def test_a_file_altered_on_disk_is_reported_not_sent(stack: Stack) -> None:
    alice = await boss(stack)
    await alice.say("/plan")
    await alice.press("上传文件")
    await send_file(alice, PDF, "计划.pdf")
    svc = services_of(stack)
    path = svc.blobs.path_of(hashlib.sha256(PDF).hexdigest())  # type: ignore[attr-defined]
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))
    before = len(documents(alice))
    said = texts(await alice.press("下载第 1 版"))
    assert "已损坏或被改动" in said
    assert len(documents(alice)) == before


async def test_materials_add_replace_remove_edit_submit_delete(stack: Stack) -> None:
    alice = await boss(stack)
    listing = texts(await alice.say("/materials"))
    assert "2026 年度工作材料：共 0 份" in listing
    await alice.press("新增材料")
    await alice.press("学习指南")
    assert "100" in texts(await alice.say("标" * 101))
    await alice.say("2026年继续教育学习指南")
    added = await send_file(alice, PDF, "学习指南.pdf")
    assert "已添加" in added and "完成" in alice.buttons()
    await send_file(alice, DOCX, "附件.docx")
    card = texts(await alice.press("完成"))
    assert "年度工作材料：2026年继续教育学习指南" in card and "类别：学习指南" in card
    assert "1. 学习指南.pdf" in card and "2. 附件.docx" in card

    await alice.press("替换 1")
    replaced = await send_file(alice, samples.png(), "扫描件.png")
    assert "已替换" in replaced and "1. 扫描件.png" in replaced and "已替换或移除的文件" in replaced
    removed = texts(await alice.press("移除 2"))
    assert "已移除" in removed and "2. 附件.docx" not in removed.split("已替换或移除的文件")[0]
    assert "移除 1" not in alice.buttons()  # the last file stays

    await alice.press("修改标题")
    assert "已修改" in texts(await alice.say("2026年学习指南（正式版）"))
    await alice.press("修改类别")
    assert "类别：工作通知" in texts(await alice.press("工作通知"))

    submitted = texts(await alice.press("提交审核"))
    assert (
        "待审核" in submitted
        and "删除" not in alice.buttons()
        and "添加文件" not in alice.buttons()
    )
    await alice.press("撤回")
    await alice.press("删除")
    gone = texts(await alice.press("确认删除"))
    assert "已删除" in gone
    assert "共 0 份" in texts(await alice.press("返回材料列表"))


async def test_another_base_reaches_nothing(stack: Stack) -> None:
    alice = await boss(stack)
    await alice.say("/materials")
    await alice.press("新增材料")
    await alice.press("工作通知")
    await alice.say("关于开展继续教育的通知")
    await send_file(alice, PDF, "通知.pdf")
    await alice.press("完成")
    svc = services_of(stack)
    who = await actor(stack, 1001)
    async with svc.uow(readonly=True) as uow:
        (material,), _ = await submissions.list_materials(uow, who, 2026)
    entry = material.current_files[0]
    mallory = await second_base_admin(stack)
    await mallory.say("/materials")
    screen = mallory.user.messages[-1].message_id
    for data in (
        f"sb:mat:{material.id}",
        f"sb:mf:{material.id}:{entry.id}",
        f"sb:mrm:{material.id}:{entry.id}",
        f"sb:msub:{material.id}",
        f"sb:mdelok:{material.id}",
    ):
        said = texts(await mallory.press_data(screen, data))
        assert "未找到" in said and "关于开展" not in said
    assert not documents(mallory)
    async with svc.uow(readonly=True) as uow:
        (still,), _ = await submissions.list_materials(uow, who, 2026)
    assert still.status is Status.DRAFT and len(still.current_files) == 1
