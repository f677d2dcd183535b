"""Answers survive Telegram's 5xx and broken connections (bot/retrying.py), found by the soak."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack, texts
from tests.e2e.test_accounts import admin

APOLOGY = "抱歉，处理您的请求时出错了"


@pytest.mark.parametrize("fault", ["500", "502", "drop"])
async def test_an_answer_is_sent_again_after_a_server_error_or_a_dropped_connection(
    stack: Stack, fault: str
) -> None:
    """Was: the handler got NetworkError and the person never heard back."""
    person = admin(stack)
    stack.emu.fail_next("sendMessage", fault)
    answer = texts(await person.say("/start"))
    assert "继续教育基地管理助手" in answer
    assert stack.emu.stats[f"fault_{fault}"] == 1


async def test_a_retry_that_finds_its_first_try_done_counts_as_done(stack: Stack) -> None:
    """The reply to answerCallbackQuery is lost after Telegram answered the query: the retry
    hears 'query is too old', which proves the first try landed, so no apology follows."""
    person = admin(stack)
    await person.say("/language")
    stack.emu.fail_next("answerCallbackQuery", "lost_reply")
    answer = texts(await person.press("English"))
    assert APOLOGY not in answer and "English" in answer  # the handler went on to reply
    assert stack.emu.stats["fault_lost_reply"] == 1


async def test_a_lost_reply_to_a_send_may_show_the_answer_twice_never_zero_times(
    stack: Stack,
) -> None:
    person = admin(stack)
    stack.emu.fail_next("sendMessage", "lost_reply")
    said = [m.text for m in await person.say("/start")]
    assert 1 <= sum("继续教育基地管理助手" in (text or "") for text in said) <= 2


async def test_a_press_handled_again_after_a_restart_is_not_refused_for_its_old_query(
    stack: Stack,
) -> None:
    """After a crash the restarted bot handles an unacknowledged press again (bot/intake.py);
    its query was answered by the dead process, so answering it again hears 'query is too
    old'. That only means the spinner is long gone: the handler goes on and answers."""
    person = admin(stack)
    await person.say("/language")
    keyboard = next(m for m in reversed(person.user.messages) if m.from_bot and m.reply_markup)
    data = next(b.callback_data for b in keyboard.reply_markup.buttons if b.text == "English")
    query_id = await person.user.press_data(keyboard.message_id, data)
    await person.settle()
    await stack.app.bot.answer_callback_query(query_id)  # as a second handling would
    again = texts(await person.press_data(keyboard.message_id, data))
    assert APOLOGY not in again
