"""/profile (机构信息) and /audit (操作记录) end to end."""

from __future__ import annotations

from domain.permissions import Permission
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import logged_in_admin
from tests.e2e.test_accounts import admin, register


async def registered(stack: Stack) -> Person:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    return person


async def test_profile_field_is_validated_confirmed_saved_and_audited(stack: Stack) -> None:
    person = await registered(stack)
    shown = texts(await person.say("/profile"))
    assert "机构名称：武汉职业培训学院" in shown and "联系人：李明" in shown
    await person.press("修改联系人")
    assert "表情" in texts(await person.say("🙂🙂"))
    proposal = texts(await person.say("张 伟"))
    assert "李明" in proposal and "张 伟" in proposal and "确认修改" in proposal
    saved = texts(await person.press("确认修改"))
    assert "已保存" in saved and "联系人：张 伟" in saved
    trail = texts(await person.say("/audit"))
    assert "修改联系人" in trail and "李明 → 张 伟" in trail


async def test_contact_mobile_is_masked_in_the_audit_trail(stack: Stack) -> None:
    person = await registered(stack)
    await person.say("/profile")
    await person.press("修改联系电话")
    await person.say("13912345678")
    await person.press("确认修改")
    trail = texts(await person.say("/audit"))
    assert "139****5678" in trail and "13912345678" not in trail


async def test_region_is_chosen_with_a_button_and_discard_changes_nothing(stack: Stack) -> None:
    person = await registered(stack)
    await person.say("/profile")
    await person.press("修改所在市州")
    await person.press("宜昌市")
    assert "未作修改" in texts(await person.press("取消"))
    assert "所在市州：武汉市" in texts(await person.say("/profile"))
    await person.press("修改所在市州")
    await person.press("宜昌市")
    await person.press("确认修改")
    assert "所在市州：宜昌市" in texts(await person.say("/profile"))


async def test_profile_and_audit_need_their_rights(stack: Stack) -> None:
    await registered(stack)
    await logged_in_admin(
        stack,
        boss_telegram_id=1001,
        telegram_id=2002,
        name="赵磊",
        id_number="420106199001011231",
        mobile="13912345678",
        permissions={Permission.CLASSES_MANAGE},
    )
    clerk = Person(stack.emu.user(user_id=2002, first_name="赵磊"), stack.settle)
    assert "没有执行此操作的权限" in texts(await clerk.say("/profile"))
    assert "超级管理员" in texts(await clerk.say("/audit"))
    menu = (await clerk.say("/menu"))[-1]
    assert "继续教育机构信息管理" not in clerk.buttons() and "操作记录" not in clerk.buttons()
    await clerk.press_data(menu.message_id, "prof:edit:name")
    await clerk.say("黑客学院")
    boss = admin(stack)
    assert "机构名称：武汉职业培训学院" in texts(await boss.say("/profile"))


async def test_audit_filters_by_kind_and_by_admin(stack: Stack) -> None:
    person = await registered(stack)
    await person.say("/logout")
    await person.say("/login")
    await person.say("11010519491231002X")
    await person.say("湖北继教 2026 春")
    await person.say("/audit")
    accounts = texts(await person.press("账户"))
    assert "登录" in accounts and "注册基地" not in accounts
    await person.press("按管理员筛选")
    by_wang = texts(await person.press("王芳"))
    assert "注册基地" in by_wang
