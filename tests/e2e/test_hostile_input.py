"""Bugs the hostile-input fuzzing (tests/fuzz) found, each pinned by the smallest chat."""

from __future__ import annotations

from tests.e2e.conftest import Stack, texts
from tests.e2e.test_accounts import admin

APOLOGY = "抱歉，处理您的请求时出错了"


async def test_an_edited_old_message_is_ignored_inside_a_conversation(stack: Stack) -> None:
    """Was: editing an old message into a command mid-conversation crashed the command
    fallback (it read ``update.message``, None for an edit) and the person got an apology."""
    person = admin(stack)
    first = await person.user.send_text("你好")
    await person.settle()
    await person.say("/register")
    before = len(person.user.bot_messages())
    await person.user.edit_text(first.message_id, "/START")
    await person.settle()
    await person.user.edit_text(first.message_id, "武汉职业培训学院")
    await person.settle()
    assert len(person.user.bot_messages()) == before  # no answer, and no apology
    answer = texts(await person.say("武汉职业培训学院"))
    assert APOLOGY not in answer and "统一社会信用代码" in answer


async def test_an_edit_outside_a_conversation_is_ignored_too(stack: Stack) -> None:
    person = admin(stack)
    sent = await person.user.send_text("/menu")
    await person.settle()
    before = len(person.user.bot_messages())
    await person.user.edit_text(sent.message_id, "/help")
    await person.settle()
    assert len(person.user.bot_messages()) == before


async def test_a_refused_command_inside_a_conversation_still_ends_it(stack: Stack) -> None:
    """Was: /summary (not logged in) in the middle of /register raised NotLoggedIn out of the
    command fallback after the draft was dropped; the conversation stayed on its step, and the
    next message crashed on the missing draft (KeyError 'field') with an apology."""
    person = admin(stack, 1002)
    await person.say("/register")
    assert "请先使用 /login 登录" in texts(await person.say("/summary"))
    answer = texts(await person.say("武汉职业培训学院"))
    assert APOLOGY not in answer and "请输入机构名称" not in answer
    assert "开始注册" in texts(await person.say("/register"))  # and it can start afresh


async def test_forged_form_buttons_change_nothing_and_name_the_open_step(stack: Stack) -> None:
    """Forms' shared buttons (◀ 上一项, 继续填写, 放弃, 重新显示) carry the form and the step;
    another form's, an unknown step's or a malformed one is an older button, never acted on."""
    person = admin(stack)
    await person.say("/register")
    await person.say("武汉职业培训学院")
    prompt = person.user.bot_messages()[-1]
    for data in (
        "form:back:classes:name",
        "form:back:register:base_name",  # not the open step
        "form:back:register:../../x",
        "form:go:register",  # 继续填写 outside the offer
        "form:drop:register",  # 放弃 outside the offer
        "form:here:classes",
    ):
        said = texts(await person.press_data(prompt.message_id, data))
        assert APOLOGY not in said
        assert "当前这一步：统一社会信用代码" in said or "已失效" in said, (data, said)
    assert "请选择所在市州" in texts(await person.say("91350100M000100Y43"))  # draft intact
