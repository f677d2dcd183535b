"""/admins (权限管理) end to end: list, add two ways, change role, delete, hand over, refusals."""

from __future__ import annotations

from collections.abc import Iterable

from domain import validators
from domain.model import Actor
from domain.permissions import Permission
from domain.services import admins, auth, roles
from domain.services.admins import AdminView
from domain.services.sessions import resolve_actor
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import logged_in_admin, services_of
from tests.e2e.test_accounts import ID_NUMBER, MASKED_ID, PASSWORD, admin, register

BOSS = 1001
CLERK = 2002
OUTSIDER = 3003
ID_BOB = "420106199001011231"
MASKED_BOB = "420***********1231"
ID_CAROL = "420106198507150023"
MASKED_CAROL = "420***********0023"
INITIAL = "长江大桥 初始 2026"
MODULE_LABELS = (
    "继续教育机构信息管理",
    "权限管理",
    "角色管理",
    "培训班管理",
    "学员成绩管理",
    "年度培训计划",
    "年度工作总结",
    "年度工作材料报送",
)


def id_number(serial: int) -> str:
    """A valid ID-card number born 1990-01-01 in 武汉市江岸区, one per serial."""
    first17 = f"42010219900101{serial:03d}"
    return first17 + validators.id_number_check_char(first17)


async def registered(stack: Stack) -> Person:
    boss = admin(stack, user_id=BOSS)
    await register(boss)
    await boss.press("确认注册")
    return boss


def person(stack: Stack, user_id: int, name: str) -> Person:
    return Person(stack.emu.user(user_id=user_id, first_name=name), stack.settle)


async def actor(stack: Stack, telegram_id: int) -> Actor:
    svc = services_of(stack)
    async with svc.uow() as uow:
        found = await resolve_actor(uow, svc.clock, telegram_id, svc.session_policy)
    return found


async def admin_list(stack: Stack, telegram_id: int = BOSS) -> list[AdminView]:
    svc = services_of(stack)
    who = await actor(stack, telegram_id)
    async with svc.uow(readonly=True) as uow:
        views, _ = await admins.list_admins(uow, who, limit=50)
    return views


async def create_role(stack: Stack, name: str, permissions: Iterable[Permission]) -> int:
    svc = services_of(stack)
    boss = await actor(stack, BOSS)
    async with svc.uow() as uow:
        role = await roles.create_role(uow, svc.clock, boss, name, permissions)
    assert role.id is not None
    return role.id


async def add_admin(stack: Stack, name: str, id_no: str, role_id: int | None = None) -> AdminView:
    svc = services_of(stack)
    boss = await actor(stack, BOSS)
    async with svc.uow() as uow:
        return await admins.add_new_admin(
            uow,
            svc.hasher,
            svc.clock,
            boss,
            name=name,
            id_number=id_no,
            mobile="13712345678",
            initial_password=INITIAL,
            role_id=role_id,
        )


async def clerk_with(stack: Stack, permissions: Iterable[Permission]) -> Person:
    """赵磊, logged in, with a role 专员 holding ``permissions``."""
    await logged_in_admin(
        stack,
        boss_telegram_id=BOSS,
        telegram_id=CLERK,
        name="赵磊",
        id_number=ID_BOB,
        mobile="13912345678",
        permissions=permissions,
    )
    return person(stack, CLERK, "赵磊")


async def other_base(stack: Stack) -> None:
    """钱红 registers 黄石技师学院 and is logged in to it."""
    svc = services_of(stack)
    registration = auth.Registration(
        base_name="黄石技师学院",
        credit_code="91420100MA4K2B3C4H",
        region="黄石市",
        address="黄石市下陆区 8 号",
        contact_person="孙强",
        contact_phone="0714-6543210",
        admin_name="钱红",
        admin_id_number=ID_CAROL,
        admin_mobile="13712345678",
        password_hash=await svc.hasher.hash(PASSWORD),
    )
    async with svc.uow() as uow:
        await auth.register_base(uow, svc.clock, registration, telegram_user_id=OUTSIDER)


def deleted_secrets(chat: Person, secrets: set[str]) -> list[bool]:
    """For every message the person typed that held a secret: whether it is gone from the chat."""
    return [m.deleted for m in chat.user.messages if not m.from_bot and m.text in secrets]


def bot_said(chat: Person) -> str:
    return texts([m for m in chat.user.messages if m.from_bot])


def last_message_id(chat: Person) -> int:
    newest: int = [m for m in chat.user.messages if m.from_bot][-1].message_id
    return newest


async def test_list_is_masked_and_paged_by_eight(stack: Stack) -> None:
    boss = await registered(stack)
    role_id = await create_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    for serial in range(1, 10):
        with_role = role_id if serial % 2 else None
        await add_admin(stack, f"管理员{serial}", id_number(serial), with_role)

    await boss.say("/menu")
    first = texts(await boss.press("权限管理"))
    assert "共有 10 位管理员（第 1/2 页）" in first
    assert f"1. 王芳 · {MASKED_ID} · ★ 超级管理员" in first
    assert f"2. 管理员1 · 420***********{id_number(1)[-4:]} · 培训专员" in first
    assert f"3. 管理员2 · 420***********{id_number(2)[-4:]} · 未分配角色" in first
    assert "管理员8" not in first
    assert ID_NUMBER not in first and id_number(1) not in first
    buttons = boss.buttons()
    assert buttons[:8] == ["★ 王芳", *(f"管理员{n}" for n in range(1, 8))]
    assert "▶" in buttons and "◀" not in buttons and "新增管理员" in buttons

    second = texts(await boss.press("▶"))
    assert "第 2/2 页" in second
    assert "9. 管理员8" in second and "10. 管理员9" in second and "王芳" not in second
    assert "◀" in boss.buttons() and "▶" not in boss.buttons()
    assert "第 1/2 页" in texts(await boss.press("◀"))

    card = texts(await boss.press("管理员3"))
    assert "管理员：管理员3" in card and "角色：培训专员" in card
    assert f"420***********{id_number(3)[-4:]}" in card and id_number(3) not in card
    assert "共有 10 位管理员" in texts(await boss.press("返回列表"))


async def test_new_admin_is_registered_then_must_change_the_initial_password(stack: Stack) -> None:
    boss = await registered(stack)
    await create_role(stack, "培训专员", {Permission.CLASSES_MANAGE})
    await boss.say("/admins")
    await boss.press("新增管理员")
    assert "姓名" in texts(await boss.press("注册新管理员"))
    assert "表情" in texts(await boss.say("😀😀"))
    assert "身份证号码" in texts(await boss.say("赵磊"))
    assert "校验" in texts(await boss.say("420106199001011232"))
    assert "添加已有用户" in texts(await boss.say(ID_NUMBER))  # the boss is already a user
    asked_mobile = texts(await boss.say(ID_BOB))
    assert MASKED_BOB in asked_mobile and "手机号码" in asked_mobile
    assert "手机" in texts(await boss.say("1391234567"))
    assert "初始密码" in texts(await boss.say("13912345678"))
    assert "请重新输入" in texts(await boss.say("12345678"))
    await boss.say(INITIAL)
    assert "不一致" in texts(await boss.say(INITIAL + "x"))
    await boss.say(INITIAL)
    assert "请选择 赵磊 的角色" in texts(await boss.say(INITIAL))
    assert {"培训专员", "无角色"} <= set(boss.buttons())
    done = texts(await boss.press("培训专员"))
    assert f"已注册新管理员 赵磊（{MASKED_BOB}），角色：培训专员" in done

    assert all(deleted_secrets(boss, {ID_BOB, ID_NUMBER, INITIAL, INITIAL + "x", "12345678"}))
    assert len(deleted_secrets(boss, {ID_BOB, INITIAL})) == 4  # one number, three passwords
    assert ID_BOB not in bot_said(boss) and INITIAL not in bot_said(boss)

    clerk = person(stack, CLERK, "赵磊")
    await clerk.say("/login")
    await clerk.say(ID_BOB)
    assert "初始密码，请先修改密码" in texts(await clerk.say(INITIAL))
    assert "首次登录请先修改初始密码" in texts(await clerk.say("/menu"))
    await clerk.press("修改密码")
    await clerk.say(INITIAL)
    await clerk.say("春风十里不如你呀")
    assert "密码已修改" in texts(await clerk.say("春风十里不如你呀"))
    await clerk.say("/login")
    await clerk.say(ID_BOB)
    await clerk.say("春风十里不如你呀")
    await clerk.say("/menu")
    assert "培训班管理" in clerk.buttons() and "权限管理" not in clerk.buttons()


async def test_cancel_leaves_the_add_conversation_and_drops_the_draft(stack: Stack) -> None:
    boss = await registered(stack)
    await boss.say("/admins")
    await boss.press("新增管理员")
    await boss.press("注册新管理员")
    await boss.say("赵磊")
    assert "已取消" in texts(await boss.say("/cancel"))
    assert "没有理解" in texts(await boss.say(ID_BOB))
    assert [view.name for view in await admin_list(stack)] == ["王芳"]


async def test_an_admin_of_another_base_is_added_by_id_number(stack: Stack) -> None:
    boss = await registered(stack)
    await clerk_with(stack, {Permission.CLASSES_MANAGE})
    await other_base(stack)

    await boss.say("/admins")
    await boss.press("新增管理员")
    assert "身份证号码" in texts(await boss.press("添加已有用户"))
    assert "注册新管理员" in texts(await boss.say(id_number(7)))  # nobody has that number
    assert "已是本基地的管理员" in texts(await boss.say(ID_BOB))
    found = texts(await boss.say(ID_CAROL.lower()))
    assert "姓名：钱红" in found and MASKED_CAROL in found and ID_CAROL not in found
    await boss.press("确认添加")
    done = texts(await boss.press("无角色"))
    assert f"已添加 钱红（{MASKED_CAROL}）为本基地管理员，角色：未分配角色" in done
    assert all(deleted_secrets(boss, {ID_CAROL.lower(), ID_BOB, id_number(7)}))
    assert len(deleted_secrets(boss, {ID_CAROL.lower(), ID_BOB, id_number(7)})) == 3
    assert ID_CAROL not in bot_said(boss)

    carol = person(stack, OUTSIDER, "钱红")
    await carol.say("/logout")
    await carol.say("/login")
    await carol.say(ID_CAROL)
    assert "多个继续教育基地" in texts(await carol.say(PASSWORD))
    assert {"武汉职业培训学院", "黄石技师学院"} <= set(carol.buttons())
    assert [admin.name for admin in await admin_list(stack)] == ["王芳", "赵磊", "钱红"]


async def test_role_is_changed_from_the_card_and_applies_at_once(stack: Stack) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.CLASSES_MANAGE})
    await create_role(stack, "成绩录入", {Permission.SCORES_MANAGE})
    await boss.say("/admins")
    card = texts(await boss.press("赵磊"))
    assert "角色：专员" in card and MASKED_BOB in card
    assert {"更换角色", "设为超级管理员", "删除", "返回列表"} <= set(boss.buttons())
    choice = texts(await boss.press("更换角色"))
    assert "为 赵磊 选择角色（当前：专员）" in choice
    assert boss.buttons() == ["✓ 专员", "成绩录入", "无角色", "返回"]
    changed = texts(await boss.press("成绩录入"))
    assert "已将 赵磊 的角色更换为：成绩录入" in changed and "角色：成绩录入" in changed
    await clerk.say("/menu")
    assert "学员成绩管理" in clerk.buttons() and "培训班管理" not in clerk.buttons()

    await boss.press("更换角色")
    assert "角色：未分配角色" in texts(await boss.press("无角色"))
    assert "没有任何权限" in texts(await clerk.say("/menu"))


async def test_delete_asks_for_confirmation_and_ends_the_admins_session(stack: Stack) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.CLASSES_MANAGE})
    await boss.say("/admins")
    await boss.press("赵磊")
    question = texts(await boss.press("删除"))
    assert "确定删除管理员 赵磊" in question and MASKED_BOB in question
    assert boss.buttons() == ["确认删除", "取消"]
    assert "管理员：赵磊" in texts(await boss.press("取消"))
    assert [view.name for view in await admin_list(stack)] == ["王芳", "赵磊"]

    await boss.press("删除")
    gone = texts(await boss.press("确认删除"))
    assert "已删除管理员 赵磊" in gone and "共有 1 位管理员" in gone
    assert [view.name for view in await admin_list(stack)] == ["王芳"]
    assert "登录" in texts(await clerk.say("/menu"))
    assert "培训班管理" not in clerk.buttons()


async def test_the_super_admin_and_oneself_cannot_be_deleted(stack: Stack) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.ADMINS_MANAGE})
    views = {view.name: view.membership_id for view in await admin_list(stack)}

    await boss.say("/admins")
    await boss.press("王芳")
    assert boss.buttons() == ["返回列表"]  # the super admin's own card: nothing to do to it

    await clerk.say("/admins")
    super_card = texts(await clerk.press("王芳"))
    assert "★ 超级管理员" in super_card
    assert clerk.buttons() == ["返回列表"]
    await clerk.press("返回列表")
    await clerk.press("赵磊")
    assert "删除" not in clerk.buttons() and "设为超级管理员" not in clerk.buttons()
    assert "更换角色" in clerk.buttons()

    on_screen = last_message_id(clerk)
    refused_super = texts(await clerk.press_data(on_screen, f"adm:del:{views['王芳']}"))
    assert "不能删除超级管理员" in refused_super
    assert "不能删除超级管理员" in texts(
        await clerk.press_data(on_screen, f"adm:delok:{views['王芳']}")
    )
    assert "不能删除自己" in texts(await clerk.press_data(on_screen, f"adm:delok:{views['赵磊']}"))
    hand_over = texts(await clerk.press_data(on_screen, f"adm:super:{views['赵磊']}"))
    assert "只有超级管理员" in hand_over
    own = texts(await boss.press_data(last_message_id(boss), f"adm:delok:{views['王芳']}"))
    assert "不能删除超级管理员" in own
    after = await admin_list(stack)
    assert [(view.name, view.is_super) for view in after] == [("王芳", True), ("赵磊", False)]


async def test_hand_over_needs_the_password_and_leaves_one_super_admin(stack: Stack) -> None:
    boss = await registered(stack)
    clerk = await clerk_with(stack, {Permission.CLASSES_MANAGE})
    await boss.say("/admins")
    await boss.press("赵磊")
    asked = texts(await boss.press("设为超级管理员"))
    assert "移交给 赵磊" in asked and "登录密码" in asked
    wrong = texts(await boss.say("不是我的密码啊"))
    assert "密码不正确" in wrong and "请重新输入" in wrong
    assert [view.name for view in await admin_list(stack) if view.is_super] == ["王芳"]
    done = texts(await boss.say(PASSWORD))
    assert "已将超级管理员移交给 赵磊" in done
    assert all(deleted_secrets(boss, {PASSWORD, "不是我的密码啊"}))
    assert PASSWORD not in bot_said(boss)

    views = await admin_list(stack, CLERK)
    assert [view.name for view in views if view.is_super] == ["赵磊"]
    assert [view.role_name for view in views] == [None, None]
    menu = texts(await boss.say("/menu"))
    assert "没有任何权限" in menu
    assert not set(MODULE_LABELS) & set(boss.buttons())
    assert "没有执行此操作的权限" in texts(await boss.say("/admins"))
    await clerk.say("/menu")
    assert {"权限管理", "角色管理", "操作记录"} <= set(clerk.buttons())


async def test_admin_without_admins_manage_is_refused_and_nothing_changes(stack: Stack) -> None:
    await registered(stack)
    clerk = await clerk_with(stack, {Permission.CLASSES_MANAGE})
    third = await add_admin(stack, "钱红", ID_CAROL)
    before = await admin_list(stack)
    ids = {view.name: view.membership_id for view in before}

    assert "没有执行此操作的权限" in texts(await clerk.say("/admins"))
    await clerk.say("/menu")
    assert "权限管理" not in clerk.buttons()
    on_screen = last_message_id(clerk)
    for forged in (
        "menu:open:admins",
        "adm:list:0",
        f"adm:card:{ids['王芳']}",
        f"adm:roles:{ids['赵磊']}",
        f"adm:role:{ids['赵磊']}:0",
        f"adm:del:{third.membership_id}",
        f"adm:delok:{third.membership_id}",
        f"adm:super:{ids['赵磊']}",
        "adm:add",
        "adm:new",
        "adm:old",
    ):
        refusal = texts(await clerk.press_data(on_screen, forged))
        assert "没有执行此操作的权限" in refusal or "只有超级管理员" in refusal, forged
    assert "没有理解" in texts(await clerk.say("钱红"))  # no conversation was started
    assert await admin_list(stack) == before


async def test_another_bases_admin_cannot_be_touched_with_forged_ids(stack: Stack) -> None:
    await registered(stack)
    await clerk_with(stack, {Permission.CLASSES_MANAGE})
    ids = {view.name: view.membership_id for view in await admin_list(stack)}
    before = await admin_list(stack)
    await other_base(stack)
    mallory = person(stack, OUTSIDER, "钱红")
    await mallory.say("/admins")
    on_screen = last_message_id(mallory)
    bob = ids["赵磊"]
    for forged in (f"adm:card:{bob}", f"adm:delok:{bob}", f"adm:role:{bob}:0", f"adm:super:{bob}"):
        assert "未找到" in texts(await mallory.press_data(on_screen, forged)), forged
    assert await admin_list(stack) == before


async def test_initial_password_is_not_kept_across_a_restart(stack: Stack) -> None:
    boss = await registered(stack)
    await boss.say("/admins")
    await boss.press("新增管理员")
    await boss.press("注册新管理员")
    for answer in ("赵磊", ID_BOB, "13912345678", INITIAL):
        await boss.say(answer)
    await stack.restart()
    again = texts(await boss.say(INITIAL))  # the draft survived, the password did not
    assert "请重新设置初始密码" in again
    await boss.say(INITIAL)
    await boss.say(INITIAL)
    done = texts(await boss.press("无角色"))
    assert f"已注册新管理员 赵磊（{MASKED_BOB}），角色：未分配角色" in done
