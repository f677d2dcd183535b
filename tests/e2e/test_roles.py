"""角色管理 end to end: list, create with toggles, rename, change permissions, delete, forgeries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.handlers import conversation
from domain.model import Actor, Role
from domain.permissions import Permission
from domain.services import admins, auth, roles
from domain.services.sessions import resolve_actor
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import services_of as services
from tests.e2e.test_accounts import admin, login, register
from tests.services.helpers import CODE_TWO, ID_CAROL, registration

BOB_ID = "420106199001011231"
BOB_INITIAL = "初始密码 abc 123"
BOB_PASSWORD = "春风十里不如你呀"
CAROL_PASSWORD = "三峡大坝高峡出平湖啊"


async def actor(stack: Stack, telegram_user_id: int) -> Actor:
    svc = services(stack)
    async with svc.uow() as uow:
        found = await resolve_actor(uow, svc.clock, telegram_user_id, svc.session_policy)
    return found


async def roles_of(stack: Stack, telegram_user_id: int = 1001) -> dict[str, Role]:
    """What is stored, read through the domain as the base's super admin."""
    svc = services(stack)
    acting = await actor(stack, telegram_user_id)
    async with svc.uow() as uow:
        return {r.name: r for r in await roles.list_roles(uow, acting)}


async def make_role(stack: Stack, name: str, permissions: set[Permission]) -> Role:
    svc = services(stack)
    alice = await actor(stack, 1001)
    async with svc.uow() as uow:
        return await roles.create_role(uow, svc.clock, alice, name, permissions)


async def super_admin(stack: Stack) -> Person:
    alice = admin(stack)
    await register(alice)
    await alice.press("确认注册")
    return alice


async def holder(stack: Stack, role: Role) -> tuple[Person, int]:
    """赵磊 joins with ``role`` via the domain, logs in with the initial password and changes it."""
    svc = services(stack)
    alice = await actor(stack, 1001)
    async with svc.uow() as uow:
        view = await admins.add_new_admin(
            uow,
            svc.hasher,
            svc.clock,
            alice,
            name="赵磊",
            id_number=BOB_ID,
            mobile="13912345678",
            initial_password=BOB_INITIAL,
            role_id=role.id,
        )
    bob = admin(stack, user_id=2002)
    assert "修改密码" in texts(await login(bob, password=BOB_INITIAL, id_number=BOB_ID))
    await bob.say("/password")
    await bob.say(BOB_INITIAL)
    await bob.say(BOB_PASSWORD)
    assert "密码已修改" in texts(await bob.say(BOB_PASSWORD))
    return bob, view.membership_id


async def second_base_admin(stack: Stack) -> Person:
    """陈静 registers another base through the domain (which logs her in) and opens the chat."""
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
    return admin(stack, user_id=3003)


def refusals(person: Person) -> str:
    """Alerts on pressed buttons and messages, as one string."""
    answers = " ".join(a.text or "" for a in person.user.callback_answers)
    return answers + "\n" + texts([m for m in person.user.messages if m.from_bot])


def failed_calls(stack: Stack) -> list[Any]:
    return [r for r in stack.emu.requests if not r.ok]


async def test_create_a_role_with_two_permissions_by_toggles(stack: Stack) -> None:
    alice = await super_admin(stack)
    await alice.say("/menu")
    empty = texts(await alice.press("角色管理"))
    assert "还没有角色" in empty
    assert "请输入新角色的名称" in texts(await alice.press("新增角色"))

    shown = await alice.say(" 培训专员 ")
    keyboard = shown[-1]
    assert "新角色“培训专员”" in keyboard.text
    assert "⬜ 培训班管理" in alice.buttons() and "⬜ 学员成绩管理" in alice.buttons()
    assert "保存" in alice.buttons() and "取消" in alice.buttons()

    for label in ("培训班管理", "年度培训计划", "学员成绩管理", "年度培训计划"):
        edited = await alice.press(label)
        assert [m.message_id for m in edited] == [keyboard.message_id]  # edited in place
    assert "✅ 培训班管理" in alice.buttons() and "✅ 学员成绩管理" in alice.buttons()
    assert "⬜ 年度培训计划" in alice.buttons()
    assert keyboard.edited_count == 4

    card = texts(await alice.press("保存"))
    assert "已创建角色“培训专员”" in card
    assert "培训班管理" in card and "学员成绩管理" in card and "年度培训计划" not in card
    assert "目前没有管理员担任此角色" in card
    stored = await roles_of(stack)
    assert stored["培训专员"].permissions == {Permission.CLASSES_MANAGE, Permission.SCORES_MANAGE}

    listed = texts(await alice.say("/roles"))
    assert "培训专员：2 项权限" in listed
    assert failed_calls(stack) == []  # no "message is not modified", no refused edit


async def test_toggles_survive_a_restart(stack: Stack) -> None:
    alice = await super_admin(stack)
    await alice.say("/roles")
    await alice.press("新增角色")
    await alice.say("资料员")
    await alice.press("年度工作材料报送")
    await stack.restart()
    await alice.press("年度工作总结")
    assert "✅ 年度工作材料报送" in alice.buttons() and "✅ 年度工作总结" in alice.buttons()
    await alice.press("保存")
    assert (await roles_of(stack))["资料员"].permissions == {
        Permission.MATERIALS_MANAGE,
        Permission.SUMMARIES_MANAGE,
    }


async def test_rename_checks_the_name_as_typed(stack: Stack) -> None:
    alice = await super_admin(stack)
    await make_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    await make_role(stack, "成绩专员", {Permission.SCORES_MANAGE})
    await alice.say("/roles")
    await alice.press("培训专员")
    assert "新名称" in texts(await alice.press("重命名"))

    digits = texts(await alice.say("12345"))
    assert "请重新输入" in digits
    taken = texts(await alice.say("成绩专员"))
    assert "已有名为“成绩专员”的角色" in taken and "请重新输入" in taken
    done = texts(await alice.say("教务专员"))
    assert "已将角色重命名为“教务专员”" in done and "培训班管理" in done
    assert set(await roles_of(stack)) == {"教务专员", "成绩专员"}


async def test_duplicate_name_is_refused_and_the_step_repeats(stack: Stack) -> None:
    alice = await super_admin(stack)
    await make_role(stack, "培训专员", set())
    await alice.say("/roles")
    await alice.press("新增角色")
    refused = texts(await alice.say("培训专员"))
    assert "已有名为“培训专员”的角色" in refused
    assert "保存" not in alice.buttons()
    moved_on = texts(await alice.say("培训专员二"))
    assert "新角色“培训专员二”" in moved_on
    assert set(await roles_of(stack)) == {"培训专员"}


async def test_cancel_drops_the_draft_and_its_toggles_are_refused(stack: Stack) -> None:
    alice = await super_admin(stack)
    await alice.say("/roles")
    await alice.press("新增角色")
    keyboard = (await alice.say("临时角色"))[-1]
    await alice.press("培训班管理")
    assert "已取消" in texts(await alice.say("/cancel"))
    answered = len(alice.user.callback_answers)
    assert await alice.press("学员成绩管理") == []  # the old keyboard is still on screen
    assert await alice.press("保存") == []
    refused = [a for a in alice.user.callback_answers[answered:]]
    assert len(refused) == 2 and all("已失效" in (a.text or "") for a in refused)
    assert "✅ 培训班管理" in keyboard.buttons and "⬜ 学员成绩管理" in keyboard.buttons
    assert await roles_of(stack) == {}

    await alice.say("/roles")
    await alice.press("新增角色")
    await alice.say("另一个角色")
    assert "已取消" in texts(await alice.press("取消"))
    assert "未做任何修改" in alice.last_text()
    stale = await alice.press_data(keyboard.message_id, "role:tg:0:1")
    assert stale == []
    assert "已失效" in (alice.user.callback_answers[-1].text or "")
    assert await roles_of(stack) == {}


async def test_out_of_range_or_foreign_toggles_change_nothing(stack: Stack) -> None:
    alice = await super_admin(stack)
    role = await make_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    await alice.say("/roles")
    await alice.press("新增角色")
    keyboard = (await alice.say("新角色甲"))[-1]
    before = keyboard.buttons
    for data in (
        "role:tg:0:8",
        "role:tg:0:99999",
        "role:tg:0:-1",
        f"role:tg:{role.id}:0",  # another role than the draft's
        f"role:save:{role.id}",
    ):
        changed = await alice.press_data(keyboard.message_id, data)
        assert all(m.message_id != keyboard.message_id for m in changed), data
        assert all("失效" in (m.text or "") for m in changed), data
    assert keyboard.buttons == before and keyboard.edited_count == 0
    assert "失效" in refusals(alice)
    await alice.press("保存")
    stored = await roles_of(stack)
    assert stored["新角色甲"].permissions == frozenset()
    assert stored["培训专员"].permissions == {Permission.CLASSES_MANAGE}


async def test_permission_change_applies_at_the_holders_next_action(stack: Stack) -> None:
    alice = await super_admin(stack)
    role = await make_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    bob, _ = await holder(stack, role)
    await bob.say("/menu")
    assert "培训班管理" in bob.buttons() and "学员成绩管理" not in bob.buttons()

    await alice.say("/roles")
    card = texts(await alice.press("培训专员"))
    assert "担任此角色的管理员：赵磊" in card
    await alice.press("修改权限")
    assert "✅ 培训班管理" in alice.buttons() and "⬜ 学员成绩管理" in alice.buttons()
    await alice.press("学员成绩管理")
    await alice.press("培训班管理")
    saved = texts(await alice.press("保存"))
    assert "已保存角色“培训专员”的权限" in saved

    menu = texts(await bob.say("/menu"))  # same session: no new login
    assert "功能列表" in menu
    assert "学员成绩管理" in bob.buttons() and "培训班管理" not in bob.buttons()
    assert (await roles_of(stack))["培训专员"].permissions == {Permission.SCORES_MANAGE}


async def test_delete_is_refused_while_assigned_then_allowed(stack: Stack) -> None:
    alice = await super_admin(stack)
    role = await make_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    _, bob_membership = await holder(stack, role)

    await alice.say("/roles")
    await alice.press("培训专员")
    assert "确定要删除角色“培训专员”吗" in texts(await alice.press("删除"))
    refused = texts(await alice.press("确认删除"))
    assert "该角色仍分配给：赵磊" in refused
    assert "培训专员" in await roles_of(stack)

    svc = services(stack)
    async with svc.uow() as uow:
        await admins.change_role(uow, svc.clock, await actor(stack, 1001), bob_membership, None)
    await alice.press("返回角色")
    await alice.press("删除")
    assert "已删除角色“培训专员”" in texts(await alice.press("确认删除"))
    assert await roles_of(stack) == {}
    assert "还没有角色" in texts(await alice.press("返回列表"))


async def test_another_bases_admin_cannot_touch_this_bases_roles(stack: Stack) -> None:
    alice = await super_admin(stack)
    role = await make_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    carol = await second_base_admin(stack)
    own = (await carol.say("/roles"))[-1]

    rid = role.id
    for data in (
        f"role:card:{rid}",
        f"role:ren:{rid}",
        f"role:perm:{rid}",
        f"role:del:{rid}",
        f"role:delok:{rid}",
        f"role:tg:{rid}:0",
        f"role:save:{rid}",
        f"role:abort:{rid}",
    ):
        await carol.press_data(own.message_id, data)
    assert "黑客" not in texts(await carol.say("黑客角色"))  # no rename step was opened
    seen = refusals(carol)
    assert "未找到" in seen and "失效" in seen
    assert "培训专员" not in texts([m for m in carol.user.messages if m.from_bot])

    stored = await roles_of(stack)
    assert set(stored) == {"培训专员"}
    assert stored["培训专员"].permissions == {Permission.CLASSES_MANAGE}
    assert await roles_of(stack, 3003) == {}
    await alice.say("/roles")
    assert "培训专员" in alice.buttons()


async def test_admin_without_roles_permission_is_refused(stack: Stack) -> None:
    await super_admin(stack)
    role = await make_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    bob, _ = await holder(stack, role)
    assert "没有执行此操作的权限" in texts(await bob.say("/roles"))
    menu = (await bob.say("/menu"))[-1]
    assert "角色管理" not in bob.buttons()
    await bob.press_data(menu.message_id, "menu:open:roles")
    await bob.press_data(menu.message_id, "role:new")
    await bob.press_data(menu.message_id, f"role:perm:{role.id}")
    said = [m.text or "" for m in bob.user.messages if m.from_bot][-3:]
    assert all("没有执行此操作的权限" in text for text in said), said
    assert (await roles_of(stack))["培训专员"].permissions == {Permission.CLASSES_MANAGE}


async def test_a_forgotten_draft_times_out_and_its_toggles_are_refused(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await super_admin(stack)
    monkeypatch.setattr(conversation, "TIMEOUT", timedelta(seconds=2))
    await stack.restart()  # the conversation is built again, with the shortened timeout
    await alice.say("/roles")
    await alice.press("新增角色")
    keyboard = (await alice.say("临时角色"))[-1]
    await alice.press("培训班管理")
    notice = await alice.user.wait_for_bot_message(contains="已自动取消", timeout=15)
    assert notice.message_id > keyboard.message_id
    assert await alice.press("学员成绩管理") == []
    assert await alice.press("保存") == []
    assert "已失效" in (alice.user.callback_answers[-1].text or "")
    assert "⬜ 学员成绩管理" in keyboard.buttons
    assert await roles_of(stack) == {}


async def test_list_is_paged_eight_at_a_time(stack: Stack) -> None:
    alice = await super_admin(stack)
    names = [f"角色{chr(ord('甲') + i)}" for i in range(10)]
    for name in names:
        await make_role(stack, name, {Permission.CLASSES_MANAGE})
    first = texts(await alice.say("/roles"))
    assert "共有 10 个角色" in first and "第 1/2 页" in first
    on_screen = [b for b in alice.buttons() if b.startswith("角色")]
    assert len(on_screen) == 8 and "下一页 ▶" in alice.buttons()
    second = texts(await alice.press("下一页"))
    assert "第 2/2 页" in second
    assert len([b for b in alice.buttons() if b.startswith("角色")]) == 2
    assert set(on_screen) | {b for b in alice.buttons() if b.startswith("角色")} == set(names)
    assert "◀ 上一页" in alice.buttons() and "下一页 ▶" not in alice.buttons()
    assert "第 1/2 页" in texts(await alice.press("上一页"))
    shown = alice.user.last_bot_message()
    assert "第 2/2 页" in texts(await alice.press_data(shown.message_id, "role:list:999"))
