"""Every button press is answered exactly once, whatever path its handler takes.

The handlers are walked from the running Application (every group, and inside every
ConversationHandler: entry points, states, fallbacks); each callback pattern is pressed by a
logged-out person (refusal), by a logged-in super admin with ids that exist and ids that do not
(success, stale), and with the database out of reach (error). The menu's buttons are then
pressed one by one (success). After each press the emulator must have seen exactly one
answerCallbackQuery for that query, and an accepted one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
)

from bot.runtime import SERVICES_KEY, Services
from tests.e2e.chat import Person
from tests.e2e.conftest import Stack
from tests.e2e.test_accounts import admin, register

SIMPLE_PART = r"[^:]+"


def callback_handlers(app: Any) -> Iterator[CallbackQueryHandler]:  # type: ignore[type-arg]
    def walk(handler: BaseHandler) -> Iterator[CallbackQueryHandler]:  # type: ignore[type-arg]
        if isinstance(handler, ConversationHandler):
            for inner in handler.entry_points:
                yield from walk(inner)
            for handlers in handler.states.values():
                for inner in handlers:
                    yield from walk(inner)
            for inner in handler.fallbacks:
                yield from walk(inner)
        elif isinstance(handler, CallbackQueryHandler):
            yield handler

    for handlers in app.handlers.values():
        for handler in handlers:
            yield from walk(handler)


def samples(pattern: object) -> list[str]:
    """Data each pattern claims: small ids (which may exist) and large ones (which do not)."""
    if pattern is None:
        return ["nobody:claims:this"]
    assert isinstance(pattern, re.Pattern), pattern
    text = pattern.pattern
    simple = re.fullmatch(r"\^((?:\\.|[^\\\[\]$^])*)((?::\[\^:\]\+)*)\$", text)
    if simple is not None:
        prefix = re.sub(r"\\(.)", r"\1", simple.group(1))
        parts = simple.group(2).count(SIMPLE_PART)
        found = [":".join([prefix, *[value] * parts]) for value in ("1", "999999")]
        return [d for d in found if pattern.fullmatch(d)] or found[:1]
    example = find(
        st.from_regex(pattern, fullmatch=True),
        lambda d: 0 < len(d.encode()) <= 64 and d.isprintable(),
        settings=settings(database=None, suppress_health_check=list(HealthCheck)),
    )
    assert isinstance(example, str), example  # callback data are text patterns
    return [example]


def all_data(app: Any) -> list[str]:
    seen: dict[str, None] = {}
    for handler in callback_handlers(app):
        for data in samples(handler.pattern):
            seen.setdefault(data, None)
    return list(seen)


def answers_to(stack: Stack, query_id: str) -> list[Any]:
    return [
        r
        for r in stack.emu.requests_for("answerCallbackQuery")
        if r.params.get("callback_query_id") == query_id
    ]


async def press(stack: Stack, person: Person, data: str) -> str:
    """Presses ``data`` on the person's newest bot message; returns what went wrong, or ''."""
    message = next(m for m in reversed(person.user.messages) if m.from_bot and not m.deleted)
    query_id = await person.user.press_data(message.message_id, data)
    await person.settle()
    answers = answers_to(stack, query_id)
    if len(answers) != 1 or not answers[0].ok:
        return f"{data!r}: {len(answers)} answers, {[a.description for a in answers]}"
    return ""


async def test_the_walk_finds_the_callback_handlers(stack: Stack) -> None:
    data = all_data(stack.app)
    assert len(data) > 40
    assert "menu" in data and "logout" in data


async def test_every_handler_answers_a_logged_out_press_once(stack: Stack) -> None:
    stranger = admin(stack, user_id=4004)
    await stranger.say("/start")
    wrong = [await press(stack, stranger, data) for data in all_data(stack.app)]
    assert [w for w in wrong if w] == []


async def test_every_handler_answers_a_logged_in_press_once(stack: Stack) -> None:
    boss = admin(stack)
    await register(boss)
    await boss.press("确认注册")
    await boss.say("/menu")
    data = [d for d in all_data(stack.app) if d != "logout"] + ["logout"]
    wrong = [await press(stack, boss, d) for d in data]
    assert [w for w in wrong if w] == []


async def test_every_handler_answers_once_when_the_database_fails(stack: Stack) -> None:
    boss = admin(stack)
    await register(boss)
    await boss.press("确认注册")
    await boss.say("/menu")
    svc: Services = stack.app.bot_data[SERVICES_KEY]
    working = svc.uow

    def out_of_reach(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the database is out of reach (injected)")

    svc.uow = out_of_reach
    try:
        wrong = [await press(stack, boss, d) for d in all_data(stack.app)]
    finally:
        svc.uow = working
    assert [w for w in wrong if w] == []


async def press_label(stack: Stack, person: Person, label: str) -> str:
    """Presses the newest button labelled ``label``; returns what went wrong, or ''."""
    before = len(stack.emu.requests_for("answerCallbackQuery"))
    await person.press(label)
    answered = stack.emu.requests_for("answerCallbackQuery")[before:]
    if len(answered) != 1 or not answered[0].ok:
        return f"{label}: {len(answered)} answers"
    return ""


async def test_each_menu_button_and_the_next_screen_s_are_answered_once(stack: Stack) -> None:
    """Success paths: every entry of the super admin's menu, and the buttons of the screen it
    opens (up to six), each pressed from a fresh menu."""
    boss = admin(stack)
    await register(boss)
    await boss.press("确认注册")
    await boss.say("/menu")
    wrong = []
    for label in [label for label in boss.buttons() if label != "退出登录"]:
        await boss.say("/menu")
        wrong.append(await press_label(stack, boss, label))
        for inner in boss.buttons()[:6]:
            wrong.append(await press_label(stack, boss, inner))
            await boss.say("/menu")
            await boss.press(label)
    assert [w for w in wrong if w] == []


async def test_a_press_no_handler_answered_is_answered_after_it(stack: Stack) -> None:
    """The mechanism itself: a handler that only edits, and one that answers with a pop-up and
    then fails; each press gets exactly one answer, and the pop-up is the one kept."""

    async def silent(update: Any, context: Any) -> None:
        await update.callback_query.edit_message_text("edited, not answered")
        raise ApplicationHandlerStop  # no other group: nothing else would answer

    async def answers_then_fails(update: Any, context: Any) -> None:
        await update.callback_query.answer("a pop-up", show_alert=True)
        raise RuntimeError("after the answer (injected)")

    stack.app.add_handler(CallbackQueryHandler(silent, pattern="^t:silent$"), group=-9)
    stack.app.add_handler(CallbackQueryHandler(answers_then_fails, pattern="^t:fails$"), group=-9)
    person = admin(stack, user_id=4005)
    await person.say("/start")
    assert await press(stack, person, "t:silent") == ""
    assert person.user.callback_answers[-1].text is None
    assert await press(stack, person, "t:fails") == ""
    assert person.user.callback_answers[-1].text == "a pop-up"
    assert "抱歉" in person.last_text()
