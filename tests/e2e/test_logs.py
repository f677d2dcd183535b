"""The running bot's log, at DEBUG, after someone registered: JSON lines that name the update
and the user, and neither the password nor the ID-card number they typed."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import make_handler
from tests.e2e.conftest import Stack
from tests.e2e.test_accounts import ID_NUMBER, PASSWORD, admin, register


async def test_the_log_names_updates_and_users_but_no_secret(stack: Stack) -> None:
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    telegram = logging.getLogger("telegram")
    saved = (root.level, telegram.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    telegram.setLevel(logging.INFO)  # as configure_logging does: PTB's DEBUG holds raw updates
    try:
        person = admin(stack)
        await register(person)
        await person.press("确认注册")
        message = next(m for m in reversed(person.user.messages) if m.from_bot)
        await person.press_data(message.message_id, "forged:button")
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        telegram.setLevel(saved[1])
    output = stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert lines, "the bot logged nothing at DEBUG"
    assert ID_NUMBER not in output
    assert PASSWORD not in output and json.dumps(PASSWORD) not in output
    in_updates = [line for line in lines if line["update_id"] is not None]
    assert in_updates, "no line was logged while an update was handled"
    assert {line["user_id"] for line in in_updates} == {1001}
