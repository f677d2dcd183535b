"""Log-in, lock-out and sessions through the chat: tries left, the lock-out's time with nothing
contradicting it, /password's refusals as typed, a base removed under a person of two bases,
/start and /help by where the person stands."""

from __future__ import annotations

from domain.permissions import Permission
from domain.services import admins
from domain.services.sessions import resolve_actor
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import logged_in_admin, services_of
from tests.e2e.test_accounts import NEW_PASSWORD, PASSWORD, admin, login, register
from tests.e2e.test_review import reviewer

BOB_ID = "420106199001011231"
BOB_PASSWORD = "黄鹤楼下的长江水呀"


async def registered(stack: Stack) -> Person:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    return person


async def test_each_wrong_password_says_the_tries_left_and_the_lock_its_time(
    stack: Stack,
) -> None:
    person = await registered(stack)
    await person.say("/logout")
    for left in (4, 3, 2, 1):
        said = texts(await login(person, password="not my password"))
        assert f"身份证号码或密码不正确，还可尝试 {left} 次" in said
        assert "/login 重新登录" in said
    locked = texts(await login(person, password="not my password"))
    assert "已锁定，请于 2026-11-29 09:15 后再试" in locked
    assert "重新登录" not in locked and "/login" not in locked
    again = texts(await login(person))  # the right password, while locked
    assert "已锁定" in again and "重新登录" not in again


async def test_old_password_tries_left_and_the_lock_ends_the_form(stack: Stack) -> None:
    person = await registered(stack)
    await person.say("/password")
    for left in (4, 3, 2, 1):
        assert f"原密码不正确，还可尝试 {left} 次" in texts(await person.say("wrong wrong"))
    locked = texts(await person.say("wrong wrong"))
    assert "已锁定，请于 2026-11-29 09:15 后再试" in locked
    assert "您的所有登录已退出" in locked and "重新登录" not in locked
    # The form is over: the next text is not taken for a password.
    after = texts(await person.say(PASSWORD))
    assert "原密码" not in after and "已锁定" not in after
    assert "已锁定" in texts(await login(person))


async def test_english_tries_left(stack: Stack) -> None:
    person = admin(stack, user_id=3003, language="en")
    assert "4 tries left" in texts(await login(person, password="not my password"))


async def test_a_new_password_equal_to_the_old_is_refused_when_typed(stack: Stack) -> None:
    person = await registered(stack)
    await person.say("/password")
    await person.say(PASSWORD)
    refused = texts(await person.say(PASSWORD))
    assert "新密码不能与原密码相同" in refused and "请重新输入" in refused
    assert "再次输入新密码" in texts(await person.say(NEW_PASSWORD))
    assert "密码已修改" in texts(await person.say(NEW_PASSWORD))


async def test_start_shows_the_menu_when_logged_in(stack: Stack) -> None:
    person = admin(stack)
    assert "/login" in texts(await person.say("/start"))
    await register(person)
    await person.press("确认注册")
    menu = texts(await person.say("/start"))
    assert "功能列表" in menu and "超级管理员" in menu
    assert "权限管理" in person.buttons() and "退出登录" in person.buttons()


def commands_in(help_text: str) -> list[str]:
    return [line.split()[0] for line in help_text.splitlines() if line.startswith("/")]


async def test_help_lists_exactly_what_each_person_may_use_now(stack: Stack) -> None:
    person = admin(stack)
    logged_out = ["/login", "/register", "/language", "/help", "/cancel"]
    assert commands_in(texts(await person.say("/help"))) == logged_out
    await register(person)
    await person.press("确认注册")
    everything = commands_in(texts(await person.say("/help")))
    assert everything == [
        "/menu",
        "/profile",
        "/admins",
        "/roles",
        "/classes",
        "/scores",
        "/plan",
        "/summary",
        "/materials",
        "/audit",
        "/deadlines",
        "/base",
        "/password",
        "/logout",
        "/language",
        "/help",
        "/cancel",
    ]
    await logged_in_admin(
        stack,
        boss_telegram_id=1001,
        telegram_id=2002,
        name="赵磊",
        id_number=BOB_ID,
        mobile="13912345678",
        permissions={Permission.CLASSES_MANAGE},
    )
    clerk = admin(stack, user_id=2002)
    assert commands_in(texts(await clerk.say("/help"))) == [
        "/menu",
        "/classes",
        "/deadlines",
        "/base",
        "/password",
        "/logout",
        "/language",
        "/help",
        "/cancel",
    ]
    checker = await reviewer(stack)
    assert commands_in(texts(await checker.say("/help"))) == [
        "/menu",
        "/review",
        "/deadlines",
        "/password",
        "/logout",
        "/language",
        "/help",
        "/cancel",
    ]
    await person.say("/logout")
    assert commands_in(texts(await person.say("/help"))) == logged_out


async def test_removed_from_one_base_keeps_working_in_the_other(stack: Stack) -> None:
    """Bob administers 王芳's base and his own; 王芳 removes him while he works in hers."""
    await registered(stack)
    await logged_in_admin(
        stack,
        boss_telegram_id=1001,
        telegram_id=2002,
        name="赵磊",
        id_number=BOB_ID,
        mobile="13912345678",
        permissions={Permission.CLASSES_MANAGE},
        password=BOB_PASSWORD,
    )
    bob = admin(stack, user_id=2002)
    # 陈静 registers a second base in the chat and adds Bob to it.
    svc = services_of(stack)
    carol = admin(stack, user_id=3003)
    await carol.say("/register")
    for value in [
        "荆州继续教育中心",
        "91420100MA4K2B3C4H",
        None,
        "荆州市沙市区北京路 2 号",
        "陈静",
        "0716-8123456",
        "陈静",
        "420106198507150023",
        "13712345678",
        "荆州的一个好密码呀",
        "荆州的一个好密码呀",
    ]:
        await (carol.press("武汉市") if value is None else carol.say(value))
    await carol.press("确认注册")
    async with svc.uow() as uow:
        carol_actor = await resolve_actor(uow, svc.clock, 3003, svc.session_policy)
        found = await admins.find_person(uow, svc.clock, carol_actor, BOB_ID)
        await admins.add_existing_admin(
            uow, svc.clock, carol_actor, user_id=found.user_id, role_id=None
        )
    async with svc.uow() as uow:
        boss_actor = await resolve_actor(uow, svc.clock, 1001, svc.session_policy)
        members, _ = await uow.memberships.list_members(boss_actor.base_id)
        bob_there = next(m.membership for m in members if m.user.name == "赵磊")
    assert "武汉职业培训学院" in texts(await bob.say("/menu"))

    async with svc.uow() as uow:
        boss_actor = await resolve_actor(uow, svc.clock, 1001, svc.session_policy)
        await admins.remove_admin(uow, svc.clock, boss_actor, bob_there.id or 0)
    told = texts(await bob.say("/classes"))
    assert "您已不再是“武汉职业培训学院”的管理员" in told and "/base" in told
    assert "请先使用 /login" not in texts(await bob.say("/base"))
    assert bob.buttons() == ["荆州继续教育中心"]
    chosen = texts(await bob.press("荆州继续教育中心"))
    assert "当前管理的基地：荆州继续教育中心" in chosen
    menu = texts(await bob.press("打开功能列表"))
    assert "荆州继续教育中心" in menu and "功能列表" in menu
