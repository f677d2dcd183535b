"""The account flows end to end: register, log in, menu, password, log out — over HTTP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts

PASSWORD = "湖北继教 2026 春"
NEW_PASSWORD = "黄鹤楼上看日出东方"
ID_NUMBER = "11010519491231002X"
MASKED_ID = "110***********002X"
CREDIT_CODE = "91350100M000100Y43"

REGISTRATION_ANSWERS = [
    "武汉职业培训学院",
    CREDIT_CODE,
    None,  # region: a button
    "武汉市洪山区珞喻路 1 号",
    "李明",
    "027-87654321",
    "王芳",
    ID_NUMBER,
    "13812345678",
    PASSWORD,
    PASSWORD,
]


async def register(person: Person) -> list[Any]:
    await person.say("/register")
    answer: list[Any] = []
    for value in REGISTRATION_ANSWERS:
        answer = await (person.press("武汉市") if value is None else person.say(value))
    return answer


async def login(person: Person, password: str = PASSWORD, id_number: str = ID_NUMBER) -> list[Any]:
    await person.say("/login")
    await person.say(id_number)
    return await person.say(password)


def sqlite_files(directory: Path) -> bytes:
    """The database file with its journal and WAL, where a plaintext could hide."""
    return b"".join(path.read_bytes() for path in directory.glob("cebot.db*"))


def admin(stack: Stack, user_id: int = 1001, language: str = "zh-hans") -> Person:
    user = stack.emu.user(user_id=user_id, first_name="王芳", language_code=language)
    return Person(user, stack.settle)


async def test_register_then_menu_password_change_and_logout(stack: Stack) -> None:
    person = admin(stack)
    summary = texts(await register(person))
    assert "请核对注册信息" in summary
    assert MASKED_ID in summary and ID_NUMBER not in summary
    assert "已设置（不显示）" in summary and PASSWORD not in summary

    done = texts(await person.press("确认注册"))
    assert "注册成功" in done and "超级管理员" in done

    menu = await person.say("/menu")
    assert "功能列表" in texts(menu)
    for entry in (
        "继续教育机构信息管理",
        "权限管理",
        "角色管理",
        "培训班管理",
        "学员成绩管理",
        "年度培训计划",
        "年度工作总结",
        "年度工作材料报送",
        "修改密码",
        "退出登录",
    ):
        assert entry in person.buttons()
    plan = texts(await person.press("年度培训计划"))
    assert "年度培训计划 · 2026 年" in plan

    await person.say("/password")
    await person.say(PASSWORD)
    await person.say(NEW_PASSWORD)
    changed = texts(await person.say(NEW_PASSWORD))
    assert "密码已修改" in changed

    bye = texts(await person.say("/logout"))
    assert "已退出登录" in bye
    assert "请先使用 /login 登录" in texts(await person.say("/menu"))

    assert "身份证号码或密码不正确" in texts(await login(person, password=PASSWORD))
    welcome = texts(await login(person, password=NEW_PASSWORD))
    assert "登录成功" in welcome


async def test_password_and_id_number_messages_are_deleted(stack: Stack) -> None:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    await person.say("/logout")
    await login(person)
    secrets = [
        m for m in person.user.messages if not m.from_bot and m.text in {PASSWORD, ID_NUMBER}
    ]
    assert len(secrets) == 5  # ID and two passwords at registration, ID and password at login
    assert all(m.deleted for m in secrets)
    said = [m.text or "" for m in person.user.messages if m.from_bot]
    assert not any(ID_NUMBER in text or PASSWORD in text for text in said)


@pytest.mark.parametrize(
    ("step", "bad", "reason"),
    [
        (0, "学" * 101, "不能超过"),
        (0, "😀😀😀", "表情"),
        (1, "91350100M000100Y4", "18"),
        (1, "91350100M0001OOY43", "I、O、S、V、Z"),
        (1, "91350100M000100Y44", "校验"),
        (7, "110105194912310021", "校验"),
        (7, "110105194902300025", "出生日期"),
        (7, "4.20106199001011E+17", "文本"),
        (8, "1381234567", "手机"),
    ],
)
async def test_wrong_input_is_refused_with_the_reason_and_the_step_repeats(
    stack: Stack, step: int, bad: str, reason: str
) -> None:
    person = admin(stack)
    await person.say("/register")
    for value in REGISTRATION_ANSWERS[:step]:
        await (person.press("武汉市") if value is None else person.say(value))
    refusal = texts(await person.say(bad))
    assert reason in refusal, refusal
    assert "请重新输入" in refusal
    good = REGISTRATION_ANSWERS[step]
    assert good is not None
    moved_on = texts(await person.say(good))
    assert "请重新输入" not in moved_on


async def test_full_width_digits_and_lower_case_x_are_accepted(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/register")
    for value in REGISTRATION_ANSWERS[:7]:
        await (person.press("武汉市") if value is None else person.say(value))
    answer = texts(await person.say("１１０１０５１９４９１２３１００２ｘ"))
    assert "手机号码" in answer


async def test_a_registered_credit_code_is_refused_as_soon_as_typed(stack: Stack) -> None:
    first = admin(stack)
    await register(first)
    await first.press("确认注册")
    second = admin(stack, user_id=2002)
    await second.say("/register")
    await second.say("另一所学校")
    assert "已注册" in texts(await second.say(CREDIT_CODE))


async def test_five_wrong_passwords_lock_the_account(stack: Stack) -> None:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    await person.say("/logout")
    for _ in range(4):
        assert "身份证号码或密码不正确" in texts(await login(person, password="not my password"))
    assert "已锁定" in texts(await login(person, password="not my password"))
    assert "已锁定" in texts(await login(person))
    stack.overrides.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    assert "登录成功" in texts(await login(person))


async def test_restart_in_the_middle_of_registration_continues(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/register")
    for value in REGISTRATION_ANSWERS[:5]:
        await (person.press("武汉市") if value is None else person.say(value))
    await stack.restart()
    for value in REGISTRATION_ANSWERS[5:]:
        await person.say(value)  # type: ignore[arg-type]
    summary = texts(await person.press("确认注册"))
    assert "注册成功" in summary


async def test_cancel_leaves_the_conversation_and_drops_the_draft(stack: Stack) -> None:
    person = admin(stack)
    await person.say("/register")
    await person.say("武汉职业培训学院")
    assert "已取消" in texts(await person.say("/cancel"))
    assert "没有理解" in texts(await person.say(CREDIT_CODE))


async def test_stickers_photos_and_unknown_commands_get_a_hint(stack: Stack) -> None:
    person = admin(stack)
    before = len(person.user.messages)
    await person.user.send_sticker()
    await person.settle()
    assert "暂不支持" in texts([m for m in person.user.messages[before:] if m.from_bot])
    assert "/help" in texts(await person.say("/frobnicate"))
    assert "/help" in texts(await person.say("你好"))


async def test_forged_button_is_refused_politely_and_changes_nothing(stack: Stack) -> None:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    menu_message = (await person.say("/menu"))[-1]
    await person.press_data(menu_message.message_id, "menu:open:../../admin")
    await person.press_data(menu_message.message_id, "base:999999")
    answers = " ".join(a.text or "" for a in person.user.callback_answers) + texts(
        [m for m in person.user.messages if m.from_bot]
    )
    assert "失效" in answers or "未找到" in answers
    assert "功能列表" in texts(await person.say("/menu"))


async def test_english_client_gets_english_and_language_can_be_switched(stack: Stack) -> None:
    person = admin(stack, user_id=3003, language="en")
    assert "/login" in texts(await person.say("/start"))
    assert "登录" not in texts(await person.say("/help"))
    await person.say("/language")
    await person.press("中文")
    assert "可用命令" in texts(await person.say("/help"))


async def test_command_list_is_registered_in_chinese_and_english(stack: Stack) -> None:
    default = dict(stack.emu.commands_for(""))
    chinese = dict(stack.emu.commands_for("zh"))
    english = dict(stack.emu.commands_for("en"))
    assert default["login"] == chinese["login"] == "登录"
    assert english["login"].lower() == "log in"
    assert set(default) == set(english) >= {"menu", "login", "register", "password", "logout"}


async def test_new_password_is_checked_when_first_typed(stack: Stack) -> None:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    await person.say("/password")
    await person.say(PASSWORD)
    assert "至少需要 8 个字符" in texts(await person.say("黄鹤楼"))
    assert "再次输入新密码" in texts(await person.say(NEW_PASSWORD))


async def test_a_command_in_a_conversation_ends_it_and_runs(stack: Stack) -> None:
    person = admin(stack)
    await register(person)
    await person.press("确认注册")
    await person.say("/password")
    assert "已退出登录" in texts(await person.say("/logout"))
    assert "请先使用 /login 登录" in texts(await person.say("/menu"))
    await person.say("/register")
    again = texts(await person.say("/login"))
    assert "再发送一次 /login" in again
    assert "身份证号码" in texts(await person.say("/login"))


async def test_a_draft_in_the_database_holds_no_plaintext_id_number(
    stack: Stack, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        return  # the raw file is SQLite's; PostgreSQL stores the same encrypted values
    person = admin(stack)
    await person.say("/register")
    for value in REGISTRATION_ANSWERS[:8]:  # up to and including the ID-card number
        await (person.press("武汉市") if value is None else person.say(value))
    await stack.restart()  # flushes the persistence and closes the connections
    raw = sqlite_files(tmp_path)
    assert raw, "the SQLite files were not found"
    for secret in (ID_NUMBER, "110105194912310", "武汉职业培训学院"):
        assert secret.encode() not in raw and secret.encode("utf-16-le") not in raw
