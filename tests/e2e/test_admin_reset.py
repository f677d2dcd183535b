"""Getting back in and being told (issue 16): the super admin resets an admin's password from
/admins; the admin whose role changed, who was removed or who became super admin is told, and
every notice names the base."""

from __future__ import annotations

import asyncio
import re

from domain.model import SessionEnd
from domain.permissions import Permission
from domain.services import admins
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import services_of
from tests.e2e.test_accounts import PASSWORD, login
from tests.e2e.test_admins import (
    BOSS,
    CLERK,
    ID_BOB,
    ID_CAROL,
    OUTSIDER,
    actor,
    add_admin,
    admin_list,
    bot_said,
    clerk_with,
    create_role,
    deleted_secrets,
    last_message_id,
    other_base,
    person,
    registered,
)

BASE = "武汉职业培训学院"
CLERK_PASSWORD = "登录用的一个好密码"  # tests.e2e.setup.logged_in_admin's
ONE_TIME = re.compile(r"一次性初始密码：(\S+)")


def notices_since(chat: Person, before: int) -> list[str]:
    return [m.text or "" for m in chat.user.messages[before:] if m.from_bot]


async def reset_from_the_card(boss: Person, name: str, password: str = PASSWORD) -> str:
    """The boss resets ``name``'s password through the chat; returns the one-time password."""
    await boss.say("/admins")
    await boss.press(name)
    await boss.press("重置密码")
    shown = texts(await boss.say(password))
    found = ONE_TIME.search(shown)
    assert found is not None, shown
    return found.group(1)


async def test_the_super_admin_resets_an_admins_password_who_is_told_and_must_change_it(
    stack: Stack,
) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.CLASSES_MANAGE})
    await clerk.say("/menu")
    await boss.say("/admins")
    card = texts(await boss.press("赵磊"))
    assert "重置密码" in boss.buttons()
    asked = texts(await boss.press("重置密码"))
    assert "重置 赵磊" in asked and "您自己的登录密码" in asked

    wrong = texts(await boss.say("不是我的密码啊"))
    assert "密码不正确，未重置密码" in wrong and "请重新输入" in wrong
    assert "培训班管理" in texts(await clerk.say("/menu")) + " ".join(clerk.buttons())

    clerk_before = len(clerk.user.messages)
    shown = texts(await boss.say(PASSWORD))
    assert "已重置 赵磊" in shown and "只显示这一次" in shown and "返回列表" in boss.buttons()
    found = ONE_TIME.search(shown)
    assert found is not None
    one_time = found.group(1)
    assert all(deleted_secrets(boss, {PASSWORD, "不是我的密码啊"}))
    assert PASSWORD not in bot_said(boss)
    assert "管理员：赵磊" in card

    await clerk.settle()
    (notice,) = notices_since(clerk, clerk_before)
    assert notice.startswith(f"{BASE}：超级管理员 王芳 重置了您的登录密码")
    assert one_time not in notice  # the password itself never travels by notice

    assert "登录" in texts(await clerk.say("/menu"))  # the session ended
    assert "身份证号码或密码不正确" in texts(await login(clerk, CLERK_PASSWORD, ID_BOB))
    assert "初始密码，请先修改密码" in texts(await login(clerk, one_time, ID_BOB))
    assert "首次登录请先修改初始密码" in texts(await clerk.say("/menu"))
    await clerk.say("/password")
    await clerk.say(one_time)
    await clerk.say("春风十里不如你呀")
    assert "密码已修改" in texts(await clerk.say("春风十里不如你呀"))

    audit = texts(await boss.say("/audit"))
    assert "王芳：重置管理员密码 赵磊" in audit
    await boss.say("/language")
    await boss.press("English")
    english = texts(await boss.say("/audit"))
    assert "Reset an administrator's password 赵磊" in english


async def test_refusals_oneself_the_super_admin_and_a_non_super_admin(stack: Stack) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.ADMINS_MANAGE})
    ids = {view.name: view.membership_id for view in await admin_list(stack)}

    await clerk.say("/admins")
    await clerk.press("赵磊")
    assert "重置密码" not in clerk.buttons()  # only the super admin resets
    on_screen = last_message_id(clerk)
    for target in ("王芳", "赵磊"):
        refused = texts(await clerk.press_data(on_screen, f"adm:reset:{ids[target]}"))
        assert "只有超级管理员" in refused, target
    assert "没有理解" in texts(await clerk.say(PASSWORD))  # no step was opened

    await boss.say("/admins")
    await boss.press("王芳")
    assert "重置密码" not in boss.buttons()
    own = texts(await boss.press_data(last_message_id(boss), f"adm:reset:{ids['王芳']}"))
    assert "不能重置自己的密码" in own

    # 王芳 administers a second base too (an ordinary admin there): that base's super admin may
    # not reset her, since the password shown would open 王芳's own base.
    await other_base(stack)
    carol = person(stack, OUTSIDER, "钱红")
    svc = services_of(stack)
    boss_user_id = (await actor(stack, BOSS)).user_id
    carol_actor = await actor(stack, OUTSIDER)
    async with svc.uow() as uow:
        await admins.add_existing_admin(
            uow, svc.clock, carol_actor, user_id=boss_user_id, role_id=None
        )
    await carol.say("/admins")
    assert "未找到" in texts(
        await carol.press_data(last_message_id(carol), f"adm:reset:{ids['王芳']}")
    )  # another base's membership id: not found
    await carol.press("王芳")
    refused = texts(await carol.press("重置密码"))
    assert "还有其他基地或审核员的身份" in refused and "运维人员" in refused

    # Nothing was reset: everyone still works with their own password.
    assert "功能列表" in texts(await boss.say("/menu"))
    assert "权限管理" in clerk.buttons() or "功能列表" in texts(await clerk.say("/menu"))
    async with svc.uow(readonly=True) as uow:
        events = await uow.audit.list(carol_actor.base_id, action_prefix="admin.reset")
    assert events == []


async def test_two_resets_at_once_both_stand_and_each_is_audited(stack: Stack) -> None:
    """Two chats of the super admin reset the same admin at the same moment."""
    await registered(stack)
    await clerk_with(stack, {Permission.CLASSES_MANAGE})
    svc = services_of(stack)
    boss = await actor(stack, BOSS)
    bob = next(view for view in await admin_list(stack) if view.name == "赵磊")

    async def reset() -> str:
        async with svc.uow() as uow:
            done = await admins.reset_admin_password(
                uow,
                svc.hasher,
                svc.clock,
                boss,
                membership_id=bob.membership_id,
                password=PASSWORD,
            )
        return done.password

    first, second = await asyncio.gather(reset(), reset())
    assert first != second
    async with svc.uow(readonly=True) as uow:
        user = await uow.users.get(bob.user_id)
        assert user is not None and user.must_change_password
        works = [await svc.hasher.verify(p, user.password_hash) for p in (first, second)]
        events = await uow.audit.list(boss.base_id, action_prefix="admin.reset_password")
        open_session = await uow.sessions.get_open_for_telegram_user(CLERK)
    assert works.count(True) == 1  # the later reset's password is the one that works
    assert [e.subject for e in events] == ["赵磊", "赵磊"]
    assert open_session is None


async def test_the_admin_whose_role_changed_or_who_was_removed_is_told_naming_the_base(
    stack: Stack,
) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.CLASSES_MANAGE})
    await create_role(stack, "成绩录入", {Permission.SCORES_MANAGE})
    before = len(clerk.user.messages)
    await boss.say("/admins")
    await boss.press("赵磊")
    await boss.press("更换角色")
    await boss.press("成绩录入")
    await clerk.settle()
    (changed,) = notices_since(clerk, before)
    assert changed == f"{BASE}：王芳 将您的角色由“专员”更换为“成绩录入”，权限已随之改变。"

    before = len(clerk.user.messages)
    await boss.press("更换角色")
    await boss.press("✓ 成绩录入")  # the same role again: nothing changed, nothing told
    await clerk.settle()
    assert notices_since(clerk, before) == []

    await clerk.say("/language")
    await clerk.press("English")
    before = len(clerk.user.messages)
    await boss.press("更换角色")
    await boss.press("无角色")
    await clerk.settle()
    (english,) = notices_since(clerk, before)
    assert english == (
        f'{BASE}: 王芳 changed your role from "成绩录入" to "No role assigned"; '
        "your permissions changed with it."
    )

    before = len(clerk.user.messages)
    await boss.press("删除")
    await boss.press("确认删除")
    await clerk.settle()
    (removed,) = notices_since(clerk, before)
    assert BASE in removed and "王芳" in removed and "removed you" in removed


async def test_the_new_super_admin_after_a_hand_over_is_told(stack: Stack) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.CLASSES_MANAGE})
    before = len(clerk.user.messages)
    await boss.say("/admins")
    await boss.press("赵磊")
    await boss.press("设为超级管理员")
    await boss.say(PASSWORD)
    await clerk.settle()
    (told,) = notices_since(clerk, before)
    assert told == (
        f"{BASE}：王芳 已将超级管理员移交给您，您现在拥有该基地的全部功能权限。发送 /menu 查看。"
    )


async def test_an_admin_never_logged_in_is_reset_without_a_chat_to_tell(stack: Stack) -> None:
    boss = await registered(stack)
    await add_admin(stack, "钱红", ID_CAROL)
    one_time = await reset_from_the_card(boss, "钱红")
    carol = person(stack, OUTSIDER, "钱红")
    assert "初始密码，请先修改密码" in texts(await login(carol, one_time, ID_CAROL))
    svc = services_of(stack)
    async with svc.uow(readonly=True) as uow:
        counts = await uow.outbox.counts()
    assert sum(counts.values()) == 1  # written, failed for want of a chat: never lost silently
    assert SessionEnd.PASSWORD_RESET.value == "password_reset"
