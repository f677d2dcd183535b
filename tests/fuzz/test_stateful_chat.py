"""Hostile and random chat, step by step, against the real Application (issue #9, item 2).

A hypothesis state machine drives cebot, started as ``cebot run`` starts it and talking HTTP to
the emulator, on a copy of a populated base (tests/fuzz/scene.py): a super admin, a clerk, a
reviewer and a stranger send any Unicode text of any length, commands with junk arguments,
stickers, photos, documents of random bytes, press buttons they see (current or long stale),
forge callback data (real actions with wrong ids, junk, over 64 bytes), edit old messages, and
act several at once. After every step:

- the process is alive: the Application and its updater run, and a probe user's /start is
  answered;
- nobody hangs: every update of every user is handled within the settle limit (an answer or
  nothing, both fine; only the wait is judged);
- no exception escaped: no log record at ERROR or above (see ``tests/fuzz/driver.py`` for why
  that is the line between an expected refusal and a bug);
- the database holds: one super admin per base, every review history walks only the allowed
  transitions of ``domain.workflow`` and ends in the row's status, no row points nowhere.

At the end of each example every user sends /cancel and /menu and must get answers: nothing is
left stuck in a conversation. Inside ``make test`` the run is small (SQLite, a few examples of a
few dozen steps, well under a minute); ``make fuzz`` repeats batches for ``FUZZ_SECONDS``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from bot.emulator import ChatMessage, SimUser
from tests.fuzz import inputs
from tests.fuzz.driver import Driver
from tests.fuzz.scene import BOSS, CLERK, REVIEWER, STRANGER, Scene, build_scene

ACTORS = (BOSS, CLERK, STRANGER, REVIEWER)
NAMES = {BOSS: "王芳", CLERK: "李专员", STRANGER: "路人", REVIEWER: "周审核"}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
STEPS = int(os.environ.get("FUZZ_STEPS", "25"))

TALLY: Counter[str] = Counter()
"""Across every example of the session: how many examples ran, and the reviewers' decisions
they made (``approve``/``return`` per history table). Printed at the end of the test."""

actors = st.sampled_from(ACTORS)
picks = st.integers(min_value=0, max_value=10_000)


def keyboards(user: SimUser) -> list[ChatMessage]:
    """Bot messages still showing inline buttons, oldest first."""
    return [m for m in user.bot_messages() if m.reply_markup is not None and m.reply_markup.buttons]


class ChatMachine(RuleBasedStateMachine):
    scene: Scene
    workdir: Path
    _runs = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        self.driver = Driver(self.scene, self.workdir / f"run{next(self._runs)}")
        self.driver.start()
        assert self.driver.emu is not None
        self.emu = self.driver.emu
        self.users = {
            uid: self.emu.user(user_id=uid, first_name=NAMES[uid], language_code="zh-hans")
            for uid in ACTORS
        }
        self.decided_at_start = self.driver.run(self.driver.decisions())

    def _do(self, uid: int, action: object) -> None:
        user = self.users[uid]

        async def act_and_settle() -> None:
            await action  # type: ignore[misc]
            await self.driver.settle(user)

        self.driver.run(act_and_settle())

    # --- what people send ----------------------------------------------------------------------

    @rule(uid=actors, text=inputs.texts)
    def send_text(self, uid: int, text: str) -> None:
        self._do(uid, self.users[uid].send_text(text))

    @rule(uid=actors, command=inputs.commands())
    def send_command(self, uid: int, command: str) -> None:
        self._do(uid, self.users[uid].send_text(command))

    @rule(uid=actors, emoji=st.sampled_from(["👍", "😀", "🇨🇳", ""]))
    def send_sticker(self, uid: int, emoji: str) -> None:
        self._do(uid, self.users[uid].send_sticker(emoji or "👍"))

    @rule(
        uid=actors,
        data=st.binary(min_size=1, max_size=128),
        caption=st.one_of(st.none(), inputs.short_text),
    )
    def send_photo(self, uid: int, data: bytes, caption: str | None) -> None:
        self._do(uid, self.users[uid].send_photo(data, caption=caption))

    @rule(uid=actors, document=inputs.documents(), caption=st.one_of(st.none(), inputs.short_text))
    def send_document(self, uid: int, document: tuple[bytes, str], caption: str | None) -> None:
        data, name = document
        self._do(uid, self.users[uid].send_document(data, name, caption=caption))

    @rule(uid=actors, pick=picks, text=st.one_of(inputs.texts, inputs.commands()))
    def edit_old_message(self, uid: int, pick: int, text: str) -> None:
        user = self.users[uid]
        own = [m for m in user.messages if not m.from_bot and m.kind == "text" and not m.deleted]
        if own:
            self._do(uid, user.edit_text(own[pick % len(own)].message_id, text))

    # --- buttons -------------------------------------------------------------------------------

    @rule(uid=actors, pick=picks)
    def press_newest_button(self, uid: int, pick: int) -> None:
        user = self.users[uid]
        shown = keyboards(user)
        if shown:
            message = shown[-1]
            assert message.reply_markup is not None
            buttons = [b for b in message.reply_markup.buttons if b.callback_data]
            if buttons:
                self._do(
                    uid,
                    user.press_data(
                        message.message_id, buttons[pick % len(buttons)].callback_data or ""
                    ),
                )

    @rule(
        uid=st.sampled_from([BOSS, BOSS, CLERK, REVIEWER, REVIEWER]),
        start=st.sampled_from(["/menu", "/classes", "/scores", "/review", "/roles", "/admins"]),
        path=st.lists(picks, min_size=1, max_size=10),
        answer=st.one_of(st.none(), st.sampled_from(inputs.PLAUSIBLE)),
    )
    def explore(self, uid: int, start: str, path: list[int], answer: str | None) -> None:
        """A walk through the menus: a command, then the newest keyboard's buttons one after
        another, and perhaps a plausible answer to the question reached. Random single steps
        seldom get past the first screen; walks reach submissions, reviews and deletions."""
        user = self.users[uid]

        async def walk() -> None:
            await user.send_text(start)
            await self.driver.settle(user)
            for pick in path:
                shown = keyboards(user)
                if not shown or shown[-1].reply_markup is None:
                    break
                buttons = [b for b in shown[-1].reply_markup.buttons if b.callback_data]
                if not buttons:
                    break
                data = buttons[pick % len(buttons)].callback_data or ""
                await user.press_data(shown[-1].message_id, data)
                await self.driver.settle(user)
            if answer is not None:
                await user.send_text(answer)
                await self.driver.settle(user)

        self.driver.run(walk())

    walk_again = explore  # twice the weight: walks find more than any single input

    @rule(uid=actors, pick=picks, which=picks)
    def press_stale_button(self, uid: int, pick: int, which: int) -> None:
        """Any button still on screen, however old: its data may describe a world long gone."""
        user = self.users[uid]
        shown = keyboards(user)
        if shown:
            message = shown[which % len(shown)]
            assert message.reply_markup is not None
            buttons = [b for b in message.reply_markup.buttons if b.callback_data]
            if buttons:
                data = buttons[pick % len(buttons)].callback_data or ""
                self._do(uid, user.press_data(message.message_id, data))

    @rule(uid=actors, pick=picks)
    def press_reply_key(self, uid: int, pick: int) -> None:
        user = self.users[uid]
        keyboard = user.reply_keyboard
        if keyboard is not None and keyboard.texts:
            self._do(uid, user.send_text(keyboard.texts[pick % len(keyboard.texts)]))

    @rule(uid=actors, data=inputs.forged_data(), pick=picks)
    def press_forged(self, uid: int, data: str, pick: int) -> None:
        user = self.users[uid]
        mine = user.bot_messages()
        if mine:
            self._do(uid, user.press_data(mine[pick % len(mine)].message_id, data))

    @rule(
        uid=st.sampled_from([BOSS, CLERK, REVIEWER]),
        other=st.sampled_from([BOSS, CLERK, REVIEWER]),
        pick=picks,
    )
    def press_someone_elses_button(self, uid: int, other: int, pick: int) -> None:
        """Data copied from another person's keyboard, pressed on one's own message."""
        source = [
            b.callback_data
            for m in keyboards(self.users[other])
            for b in (m.reply_markup.buttons if m.reply_markup else [])
            if b.callback_data
        ]
        mine = self.users[uid].bot_messages()
        if source and mine:
            self._do(
                uid, self.users[uid].press_data(mine[-1].message_id, source[pick % len(source)])
            )

    # --- several at once -----------------------------------------------------------------------

    @rule(
        moves=st.lists(
            st.tuples(actors, st.one_of(inputs.texts, inputs.commands())),
            min_size=2,
            max_size=6,
        )
    )
    def several_at_once(self, moves: list[tuple[int, str]]) -> None:
        async def burst() -> None:
            await asyncio.gather(*(self.users[uid].send_text(text) for uid, text in moves))
            for uid in {uid for uid, _ in moves}:
                await self.driver.settle(self.users[uid])

        self.driver.run(burst())

    # --- checks --------------------------------------------------------------------------------

    @invariant()
    def nothing_escaped(self) -> None:
        assert not self.driver.errors.records, self.driver.errors.describe()

    @invariant()
    def still_alive(self) -> None:
        self.driver.run(self.driver.alive())

    @invariant()
    def database_holds(self) -> None:
        problems = self.driver.run(self.driver.database_violations())
        assert not problems, "\n".join(problems)

    def teardown(self) -> None:
        try:
            self._count_decisions()
            self.driver.run(self._nobody_stuck())
            assert not self.driver.errors.records, self.driver.errors.describe()
        finally:
            self.driver.close()

    def _count_decisions(self) -> None:
        """Reach: which decisions this example made, for --hypothesis-show-statistics and TALLY."""
        made = self.driver.run(self.driver.decisions()) - self.decided_at_start
        TALLY["examples"] += 1
        for (changes, action), count in sorted(made.items()):
            event(f"reviewer decision: {action} in {changes}")
            TALLY[f"{action} in {changes}"] += count
        if not made:
            event("reviewer decision: none")

    async def _nobody_stuck(self) -> None:
        for uid, user in self.users.items():
            for command in ("/cancel", "/menu"):
                before = len(user.bot_messages())
                await user.send_text(command)
                await self.driver.settle(user)
                answered = len(user.bot_messages()) > before
                assert answered, f"user {uid} got no answer to {command}\n{user.transcript()}"


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return asyncio.run(build_scene(tmp_path_factory.mktemp("scene")))


def test_random_chat_keeps_the_bot_alive_and_the_data_sound(scene: Scene, tmp_path: Path) -> None:
    """One batch of ``FUZZ_EXAMPLES`` in ``make test``; with ``FUZZ_SECONDS`` set (make fuzz),
    batch after batch, each with fresh randomness, until that much time has passed."""
    ChatMachine.scene = scene
    ChatMachine.workdir = tmp_path
    budget = float(os.environ.get("FUZZ_SECONDS", "0"))
    deadline = time.monotonic() + budget
    while True:
        run_state_machine_as_test(
            ChatMachine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
                print_blob=True,
            ),
        )
        if time.monotonic() >= deadline:
            break
    print("reviewer decisions:", dict(sorted(TALLY.items())))
