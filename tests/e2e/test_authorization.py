"""Every button and command of the bot, replayed by people who must not be able to use it.

The callback data of every ``CallbackAction`` the handlers declare is filled with the real ids of
base A's objects and pressed by (1) the super admin of another base and (2) an admin of base A
whose role holds no permission. Afterwards base A is exactly as it was, and the outsider's chat
shows nothing of base A.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
from typing import Any

from sqlalchemy import text

import bot.handlers
from bot.callbacks import CallbackAction
from bot.handlers.base_fields import BASE_FIELD_TEXT
from bot.handlers.menu import MODULES_BY_KEY
from bot.i18n import LANGUAGES
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.setup import logged_in_admin, services_of
from tests.e2e.test_accounts import admin, register

COMMANDS = ["/menu", "/profile", "/admins", "/roles", "/audit", "/base", "/password", "/cancel"]
WORDS = sorted({*BASE_FIELD_TEXT, *MODULES_BY_KEY, *LANGUAGES, "audit", "password", "name"})


def declared_actions() -> list[CallbackAction]:
    found: dict[str, CallbackAction] = {}
    for info in pkgutil.walk_packages(bot.handlers.__path__, "bot.handlers."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, CallbackAction):
                found[value.prefix] = value
    return list(found.values())


def forged_data(action: CallbackAction, ids: list[int]) -> list[str]:
    if action.ids == 0 and action.words == 0:
        return [action.encode()]
    id_choices = [tuple(itertools.repeat(i, action.ids)) for i in ids] or [()]
    word_choices = [tuple(itertools.repeat(w, action.words)) for w in WORDS] or [()]
    if action.words == 0:
        return [action.encode(*i) for i in id_choices]
    if action.ids == 0:
        return [action.encode(*w) for w in word_choices]
    return [action.encode(*i, *w) for i in id_choices for w in word_choices[:3]]


def bot_engine(stack: Stack) -> Any:
    """The running bot's own engine (its unit-of-work factory keeps it)."""
    return services_of(stack).uow.engine  # type: ignore[attr-defined]


async def snapshot(stack: Stack, base_id: int) -> dict[str, Any]:
    """Base A's business state, row by row (sessions and login counters excluded)."""
    queries = {
        "base": "SELECT * FROM bases WHERE id = :b",
        "roles": "SELECT * FROM roles WHERE base_id = :b ORDER BY id",
        "memberships": "SELECT * FROM memberships WHERE base_id = :b ORDER BY id",
        "users": "SELECT u.id, u.name, u.id_number_enc, u.mobile_enc, u.password_hash,"
        " u.must_change_password FROM users u JOIN memberships m ON m.user_id = u.id"
        " WHERE m.base_id = :b ORDER BY u.id",
        "audit": "SELECT action, subject, old_value, new_value FROM audit_events"
        " WHERE base_id = :b AND action NOT LIKE 'user.%' ORDER BY id",
    }
    engine = bot_engine(stack)
    result: dict[str, Any] = {}
    async with engine.connect() as conn:
        for name, query in queries.items():
            result[name] = [
                tuple(r) for r in (await conn.execute(text(query), {"b": base_id})).all()
            ]
    return result


async def ids_of_base_a(stack: Stack, base_id: int) -> list[int]:
    engine = bot_engine(stack)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id FROM memberships WHERE base_id = :b"
                " UNION SELECT user_id FROM memberships WHERE base_id = :b"
                " UNION SELECT id FROM roles WHERE base_id = :b"
            ),
            {"b": base_id},
        )
        return sorted({base_id, *(r[0] for r in rows)})


def new_admin(name: str, id_number: str, role: str) -> list[tuple[str, str]]:
    initial = "初始密码 xyz 789"
    return [
        ("say", "/admins"),
        ("press", "新增管理员"),
        ("press", "注册新管理员"),
        ("say", name),
        ("say", id_number),
        ("say", "13712345678"),
        ("say", initial),
        ("say", initial),
        ("press", role),
    ]


async def tour_of_every_feature(alice: Person) -> None:
    """The super admin uses every account-management function once, as a person would."""
    steps: list[tuple[str, str]] = [
        ("say", "/profile"),
        ("press", "修改联系人"),
        ("say", "张伟"),
        ("press", "确认修改"),
        ("say", "/roles"),
        ("press", "新增角色"),
        ("say", "审核专员"),
        ("press", "培训班管理"),
        ("press", "保存"),
        ("press", "修改权限"),
        ("press", "学员成绩管理"),
        ("press", "保存"),
        ("press", "重命名"),
        ("say", "审核专员二"),
        *new_admin("钱红", "420106199203050028", "审核专员二"),
        *new_admin("孙丽", "420106198807120037", "无角色"),
        ("say", "/admins"),
        ("press", "赵磊"),
        ("press", "更换角色"),
        ("press", "审核专员二"),
        ("say", "/admins"),
        ("press", "孙丽"),
        ("press", "删除"),
        ("press", "确认删除"),
        ("say", "/roles"),
        ("press", "无权限角色"),
        ("press", "删除"),
        ("say", "/audit"),
        ("press", "管理员"),
        ("press", "按管理员筛选"),
        ("press", "王芳"),
        ("say", "/admins"),
        ("press", "钱红"),
        ("press", "设为超级管理员"),
        ("say", "湖北继教 2026 春"),
    ]
    for kind, value in steps:
        try:
            await (alice.say(value) if kind == "say" else alice.press(value))
        except AssertionError:
            print(alice.user.transcript(12))
            raise


async def replay_inputs(person: Person, inputs: list[tuple[str, str]]) -> None:
    """Someone else sends exactly what the super admin sent, button data included."""
    anchor = (await person.say("/start"))[-1]
    for kind, value in inputs:
        if kind == "say":
            await person.say(value)
        else:
            await person.press_data(anchor.message_id, value)
    await person.say("/cancel")


async def replay_everything(person: Person, ids: list[int]) -> None:
    for command in COMMANDS:
        await person.say(command)
        await person.say("/cancel")
    anchor = (await person.say("/start"))[-1]
    for action in declared_actions():
        for data in forged_data(action, ids):
            await person.press_data(anchor.message_id, data)
    await person.say("/cancel")


async def test_nothing_of_a_base_is_reachable_from_outside_or_without_permission(
    stack: Stack,
) -> None:
    alice = admin(stack)
    await register(alice)
    await alice.press("确认注册")
    await logged_in_admin(
        stack,
        boss_telegram_id=1001,
        telegram_id=2002,
        name="赵磊",
        id_number="420106199001011231",
        mobile="13912345678",
        permissions=(),
        role_name="无权限角色",
    )
    mallory = Person(stack.emu.user(user_id=3003, first_name="马洛"), stack.settle)
    await mallory.say("/register")
    for value in [
        "黄石技师学院",
        "91420100MA4K2B3C4H",
        None,
        "黄石市下陆区 8 号",
        "周强",
        "0714-6543210",
        "周强",
        "420106198507150023",
        "13712345678",
        "黄石的密码足够长",
        "黄石的密码足够长",
    ]:
        await (mallory.press("黄石市") if value is None else mallory.say(value))
    assert "注册成功" in texts(await mallory.press("确认注册"))

    alice.inputs.clear()
    await tour_of_every_feature(alice)
    assert "已移交" in texts(alice.user.messages) or "超级管理员" in alice.last_text()

    svc = services_of(stack)
    async with svc.uow() as uow:
        base_a = await uow.bases.get_by_credit_code("91350100M000100Y43")
    assert base_a is not None and base_a.id is not None
    before = await snapshot(stack, base_a.id)
    ids = await ids_of_base_a(stack, base_a.id)

    bob = Person(stack.emu.user(user_id=2002, first_name="赵磊"), stack.settle)
    await replay_inputs(mallory, alice.inputs)
    await replay_everything(mallory, ids)
    await replay_everything(bob, ids)

    assert await snapshot(stack, base_a.id) == before
    seen_by_mallory = texts(mallory.user.bot_messages(include_deleted=True)) + " ".join(
        a.text or "" for a in mallory.user.callback_answers
    )
    for secret in ("武汉职业培训学院", "王芳", "赵磊", "110***********002X", "无权限角色"):
        assert secret not in seen_by_mallory
    for person in (mallory, bob):  # every press got an answer, none an apology for a crash
        assert "出错了" not in texts(person.user.messages)
