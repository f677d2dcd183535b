"""Hostile and random chat, step by step, against the real Application (issue #9, item 2).

A hypothesis state machine drives cebot, started as ``cebot run`` starts it and talking HTTP to
the emulator, on a copy of a populated base (tests/fuzz/scene.py): a super admin, a clerk, two
reviewers (one of the base's region, one of another) and a stranger send any Unicode text of
any length, commands with junk arguments, stickers, photos, documents of random bytes, press
buttons they see (current or long stale), forge callback data (real actions with wrong ids,
junk, over 64 bytes), edit old messages, and act several at once.

Reviewers' decisions need a reviewer logged in and something submitted, which random presses
seldom arrange, so rules with preconditions keep both true (a login through the bot, the base
submitting again through the domain services) and walk the reviewer from /review to a
decision: approve, return with a random reason, or any button of the card. Each such press is
judged on its own: at most the item pressed on changed, by one step of this reviewer, the bot
said so exactly when it did, a return keeps the trimmed reason, the overview's counts and the
whole queue (every page) match SQL. Decision data pressed stale or forged, by the reviewer,
the other region's reviewer or an admin, may change only what that reviewer could approve.

After every step:

- the process is alive: the Application and its updater run, and a probe user's /start is
  answered;
- nobody hangs: every update of every user is handled within the settle limit (an answer or
  nothing, both fine; only the wait is judged);
- no exception escaped: no log record at ERROR or above (see ``tests/fuzz/driver.py`` for why
  that is the line between an expected refusal and a bug);
- the database holds (``tests/fuzz/invariants.py``): one super admin per base, every review
  history walks only the allowed transitions of ``domain.workflow`` and ends in the row's
  status, each approval or return was made by a reviewer covering the base's region, left its
  notices in the outbox and (a return) carries its reason, ``submitted_at`` mirrors the last
  submission, only approved classes have scores, no row points nowhere.

At the end of each example every user sends /cancel and /menu and must get answers: nothing is
left stuck in a conversation. Inside ``make test`` the run is small (SQLite, a few examples of a
few dozen steps, well under a minute); ``make fuzz`` repeats batches for ``FUZZ_SECONDS``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from hypothesis.statistics import collector, describe_statistics

from bot.emulator import ChatMessage, SimUser
from domain.errors import DomainError
from domain.model import SubmissionKind
from domain.services import classes, scores, submissions
from domain.services.sessions import resolve_actor
from domain.workflow import REASON_MAX_LENGTH, Status
from tests.e2e.setup import services_of
from tests.fuzz import inputs, reviewing
from tests.fuzz.driver import Driver
from tests.fuzz.reviewing import Key, Pressed, World
from tests.fuzz.scene import (
    BOSS,
    BOSS_ID,
    CLERK,
    CLERK_ID,
    OUTSIDER,
    OUTSIDER_ID,
    OUTSIDER_PASSWORD,
    PASSWORD,
    REVIEWER,
    REVIEWER_ID,
    REVIEWER_PASSWORD,
    STRANGER,
    Scene,
    build_scene,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from hypothesis.internal.conjecture.engine import StatisticsDict
    from hypothesis.utils.dynamicvariables import DynamicVariable

ACTORS = (BOSS, CLERK, STRANGER, REVIEWER, OUTSIDER)
NAMES = {BOSS: "王芳", CLERK: "李专员", STRANGER: "路人", REVIEWER: "周审核", OUTSIDER: "吴审核"}
CREDENTIALS = {
    BOSS: (BOSS_ID, PASSWORD),
    CLERK: (CLERK_ID, PASSWORD),
    REVIEWER: (REVIEWER_ID, REVIEWER_PASSWORD),
    OUTSIDER: (OUTSIDER_ID, OUTSIDER_PASSWORD),
}
"""Who logs in again when random chat logged them out, and with what."""
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
STEPS = int(os.environ.get("FUZZ_STEPS", "22"))
"""22 in ``make test``: 25 took as long before the reviewer's rules, whose decisions wait for the
notices to go out to the base at Telegram's pace (one a second to a chat)."""

TALLY: Counter[str] = Counter()
"""Across every example of the session: how many examples ran, and the reviewers' decisions
they made (``approve``/``return`` per history table). Printed at the end of the test."""

# Hypothesis declares its statistics hook with a None default, so a type checker takes None for
# its only value; what it holds (hypothesis.statistics.note_statistics calls it) is a callback.
statistics_collector = cast("DynamicVariable[Callable[[StatisticsDict], None] | None]", collector)

actors = st.sampled_from(ACTORS)
picks = st.integers(min_value=0, max_value=10_000)
reasons = st.one_of(
    inputs.texts,
    st.sampled_from(
        [
            "培训方案不完整，请补充后重新提交。",
            "  学时与日程不符  ",
            "退" * REASON_MAX_LENGTH,
            "退" * (REASON_MAX_LENGTH + 1),
            "/cancel",
            "/review",
        ]
    ),
)
"""A return's reason: anything typed, the limits, and commands instead of a reason."""


def note(label: str) -> None:
    """What a rule reached: a hypothesis event (per example) and a count in TALLY (in all)."""
    event(label)
    TALLY[label] += 1


def is_reason(text: str) -> bool:
    """Whether the domain takes ``text`` as a return's reason (it keeps it trimmed)."""
    return 0 < len(text.strip()) <= REASON_MAX_LENGTH


def keyboards(user: SimUser) -> list[ChatMessage]:
    """Bot messages still showing inline buttons, oldest first."""
    return [m for m in user.bot_messages() if m.reply_markup is not None and m.reply_markup.buttons]


def data_of(message: ChatMessage) -> list[str]:
    if message.reply_markup is None:
        return []
    return [b.callback_data for b in message.reply_markup.buttons if b.callback_data]


def review_buttons(message: ChatMessage, what: str) -> list[Pressed]:
    """The review buttons of one message that do ``what`` (queue, open, approve, return)."""
    found = (reviewing.parse(data) for data in data_of(message))
    return [p for p in found if p is not None and p.what == what]


def newest_id(user: SimUser) -> int:
    shown = user.bot_messages(include_deleted=True)
    return shown[-1].message_id if shown else 0


def confirmed(user: SimUser, since: int, reviewed: reviewing.Reviewed) -> bool:
    """The bot told the reviewer a decision was made: a new message whose only button is
    返回队列 of that kind (``bot.handlers.review.decisions.tell_decided``), in any language."""
    back = [reviewed.view.buttons.queue.encode(0)]
    return any(m.message_id > since and data_of(m) == back for m in user.bot_messages())


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
        self.world = self._world()
        self.gave_up: set[int] = set()

    def _world(self) -> World:
        world: World = self.driver.run(reviewing.world(self.driver.engine))
        return world

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
        uid=st.sampled_from([BOSS, CLERK, REVIEWER, OUTSIDER]),
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

    # --- the reviewer's decisions ----------------------------------------------------------------
    # A reviewer's approve and return need a reviewer logged in and something submitted; random
    # presses seldom get both. These rules keep both true (a login, the base submitting again)
    # and walk the reviewer's own screens to a decision, judging each press by what it changed.

    @precondition(lambda self: self._logged_out())
    @rule(pick=picks)
    def log_back_in(self, pick: int) -> None:
        """Someone whom random chat logged out (/logout, a wrong base, a password change) logs in
        again through the bot, as a person would: a second time when the first /login only
        ended another conversation ("已退出当前操作。请再发送一次 /login")."""
        uid = self._logged_out()[pick % len(self._logged_out())]
        user = self.users[uid]
        id_number, password = CREDENTIALS[uid]

        async def login() -> None:
            for text in ("/login", id_number, password):
                await user.send_text(text)
                await self.driver.settle(user)

        outcome = "refused"
        for attempt in ("in", "in at the second /login"):
            self.driver.run(login())
            world = self._world()
            back = world.reviewer(uid) if uid in (REVIEWER, OUTSIDER) else world.admin(uid)
            if back:
                outcome = attempt
                break
        note(f"login again: {NAMES[uid]} {outcome}")
        if not back:  # deleted, locked, a changed password: once is enough in an example
            self.gave_up.add(uid)
            if os.environ.get("FUZZ_DEBUG"):
                print(user.transcript(12))

    def _logged_out(self) -> list[int]:
        reviewers = [uid for uid in (REVIEWER, OUTSIDER) if self.world.reviewer(uid) is None]
        admins = [uid for uid in (BOSS, CLERK) if self.world.admin(uid) is None]
        return [uid for uid in reviewers + admins if uid not in self.gave_up]

    @precondition(lambda self: self.world.to_resubmit() and self._an_admin() is not None)
    @rule(pick=picks)
    def base_submits(self, pick: int) -> None:
        """The base sends a draft or a returned item (again), through the domain services as the
        scene was built: the queue refills however many decisions were made."""
        item = self.world.to_resubmit()[pick % len(self.world.to_resubmit())]
        uid = self._an_admin()
        assert uid is not None
        try:
            self.driver.run(self._submit(uid, item))
        except DomainError as refused:  # a permission, scores without learners, a plan's kind
            note(f"base submits: {item[0]} refused ({type(refused).__name__})")
            assert not self._world().changed(self.world), f"{item} refused but changed"
            return
        after = self._world().items[item]
        assert after.status == Status.SUBMITTED.value, f"{item} submitted but {after}"
        note(f"base submits: {item[0]}")

    def _an_admin(self) -> int | None:
        return next((uid for uid in (BOSS, CLERK) if self.world.admin(uid)), None)

    async def _submit(self, uid: int, item: Key) -> None:
        assert self.driver.stack is not None
        svc = services_of(self.driver.stack)
        key, number = item
        async with svc.uow() as uow:
            actor = await resolve_actor(uow, svc.clock, uid, svc.session_policy)
            if key == "class":
                await classes.submit_class(uow, svc.clock, actor, number)
            elif key == "scores":
                await scores.submit_scores(uow, svc.clock, actor, number)
            else:
                found = await uow.submissions.get(number)
                assert found is not None
                if found.kind is SubmissionKind.MATERIAL:
                    await submissions.submit_material(uow, svc.clock, actor, number)
                else:
                    await submissions.submit(uow, svc.clock, actor, found.kind, found.year)

    @precondition(lambda self: self.world.waiting(REVIEWER))
    @rule(
        kind=picks,
        turns=st.lists(picks, max_size=2),
        item=picks,
        choice=st.sampled_from(["approve", "return", "approve", "return", "any"]),
        reason=reasons,
    )
    def review_and_decide(
        self, kind: int, turns: list[int], item: int, choice: str, reason: str
    ) -> None:
        """The reviewer opens /review, a kind's queue, perhaps turns pages, opens an item and
        approves it, returns it with a typed reason, or presses any button of its card."""
        self.driver.run(self._review(kind, turns, item, choice, reason))

    decide_again = review_and_decide  # twice the weight, as walks have

    async def _review(
        self, kind: int, turns: list[int], item: int, choice: str, reason: str
    ) -> None:
        user = self.users[REVIEWER]
        before = await reviewing.world(self.driver.engine)
        overview = await self._overview(user)
        counted = self._counts(overview)
        for reviewed in reviewing.KINDS:
            waiting = len(before.waiting(REVIEWER, reviewed.key))
            assert counted.get(reviewed.key) == waiting, (
                f"overview counts {counted}, {waiting} of {reviewed.key} wait\n{user.transcript()}"
            )
        queues = review_buttons(overview, "queue")
        chosen = queues[kind % len(queues)]
        page = await self._press(user, overview, chosen)
        for turn in turns:
            others = [p for p in review_buttons(page, "queue") if p.reviewed is chosen.reviewed]
            if not others:
                break
            page = await self._press(user, page, others[turn % len(others)])
            note("review: page turned")
        opens = review_buttons(page, "open")
        if not opens:
            note(f"review: empty queue of {chosen.reviewed.key}")
            return
        card = await self._press(user, page, opens[item % len(opens)])
        target = opens[item % len(opens)].item
        actions = [p for p in (reviewing.parse(d) for d in data_of(card)) if p is not None]
        decisions = [p for p in actions if p.what in ("approve", "return")]
        assert {p.item for p in decisions} == {target}, f"card of {target}: {data_of(card)}"
        since = newest_id(user)
        if choice == "any":  # downloads and 返回队列 too: nothing of the item may change
            data = data_of(card)[item % len(data_of(card))]
            if reviewing.parse(data) is None:
                await user.press_data(card.message_id, data)
                await self.driver.settle(user)
                changed = (await reviewing.world(self.driver.engine)).changed(before)
                assert not changed, f"{data} changed {changed}"
                note("review: a card's other button")
                return
            pressed = reviewing.parse(data)
            assert pressed is not None
        else:
            pressed = next(p for p in decisions if p.what == choice)
        await self._press(user, card, pressed)
        if pressed.what == "return":
            await user.send_text(reason)
            await self.driver.settle(user)
        await self._judge(user, before, pressed, since, reason)

    async def _overview(self, user: SimUser) -> ChatMessage:
        """/review's overview; a second /review when the first only ended a conversation (a
        person told "已退出当前操作" sends it again)."""
        for _ in range(2):
            await user.send_text("/review")
            await self.driver.settle(user)
            shown = keyboards(user)
            if shown and review_buttons(shown[-1], "queue"):
                return shown[-1]
        raise AssertionError(f"no overview for a reviewer with work waiting\n{user.transcript()}")

    @staticmethod
    def _counts(overview: ChatMessage) -> dict[str, int]:
        """Each kind's count on its overview button (the last number of its label)."""
        assert overview.reply_markup is not None
        counts = {}
        for button in overview.reply_markup.buttons:
            pressed = reviewing.parse(button.callback_data)
            numbers = re.findall(r"\d+", button.text)
            if pressed is not None and numbers:
                counts[pressed.reviewed.key] = int(numbers[-1])
        return counts

    async def _press(self, user: SimUser, message: ChatMessage, pressed: Pressed) -> ChatMessage:
        """Presses the button; returns the newest keyboard after (the screen now shown)."""
        data = pressed.reviewed.buttons()[pressed.what].encode(pressed.number)
        await user.press_data(message.message_id, data)
        await self.driver.settle(user)
        shown = keyboards(user)
        return shown[-1] if shown else message

    async def _judge(
        self, user: SimUser, before: World, pressed: Pressed, since: int, reason: str
    ) -> None:
        """What the press (and the reason typed after 退回) did: at most the item pressed on
        changed, only by one step of this reviewer, and the bot said so exactly when it did."""
        after = await reviewing.world(self.driver.engine)
        changed = after.changed(before)
        item = pressed.item
        assert changed <= {item}, f"{pressed} changed {changed}"
        told = confirmed(user, since, pressed.reviewed)
        if item not in changed:
            assert not told, f"told of a decision on {item} that was not made\n{user.transcript()}"
            if pressed.what == "return" and is_reason(reason) and not reason.startswith("/"):
                note("review: a reason not taken")
            elif pressed.what in ("approve", "return"):
                note(f"review: {pressed.what} refused")
            return
        step = await reviewing.last_step(self.driver.engine, item)
        session = before.reviewer(REVIEWER)
        assert step is not None and session is not None
        assert step.by_user_id == session.user_id, f"{item}: {step} not by {session}"
        assert before.covers(REVIEWER, item), f"{item} decided outside {session.regions}"
        assert after.items[item].steps == before.items[item].steps + 1, f"{item}: {after.items}"
        assert told, f"{item} decided ({step}) but the reviewer was not told\n{user.transcript()}"
        if step.action == "return":
            assert pressed.what == "return" and step.reason == reason.strip(), (pressed, step)
            assert is_reason(reason), f"{item} returned with a reason refused: {reason!r}"
        else:
            assert step.action == "approve" and pressed.what == "approve", (pressed, step)
        note(f"review: {step.action} of {item[0]}")
        await self._queue_lists_what_waits(user, pressed.reviewed, after)

    async def _queue_lists_what_waits(
        self, user: SimUser, reviewed: reviewing.Reviewed, world: World
    ) -> None:
        """返回队列 under the decision, then ▶ to the end: the pages list exactly what waits for
        this reviewer (the decided item no more), each once."""
        shown = keyboards(user)[-1]
        listed: list[Key] = []
        pages = 0
        page = await self._press(user, shown, reviewing.Pressed(reviewed, "queue", 0))
        while True:
            pages += 1
            listed += [p.item for p in review_buttons(page, "open")]
            onward = [
                p
                for p in review_buttons(page, "queue")
                if p.reviewed is reviewed and p.number == pages
            ]
            if not onward or pages > 20:
                break
            page = await self._press(user, page, onward[0])
        waiting = world.waiting(REVIEWER, reviewed.key)
        assert len(listed) == len(set(listed)), f"listed twice: {listed}"
        assert set(listed) == waiting, f"queue lists {sorted(listed)}, waiting {sorted(waiting)}"

    @rule(
        uid=st.sampled_from([REVIEWER, REVIEWER, OUTSIDER, OUTSIDER, BOSS]),
        seen=st.booleans(),
        what=st.sampled_from(["approve", "approve", "return", "open"]),
        pick=picks,
        which=picks,
    )
    def press_decision_anyhow(self, uid: int, seen: bool, what: str, pick: int, which: int) -> None:
        """A decision's data, stale (a button the reviewer once saw) or forged (any item in any
        state, or none), pressed by the reviewer, another region's reviewer or an admin. Only
        an approval by a reviewer covering a submitted item may change anything: that item."""
        user = self.users[uid]
        mine = user.bot_messages()
        if not mine:
            return
        if seen:
            found = [
                p for m in self.users[REVIEWER].bot_messages() for p in review_buttons(m, what)
            ]
        else:
            numbers = sorted(self.world.items) + [(r.key, 10**6) for r in reviewing.KINDS]
            found = [Pressed(reviewing.BY_KEY[k], what, n) for k, n in numbers]
        if not found:
            return
        pressed = found[pick % len(found)]
        before = self._world()

        async def press() -> None:
            data = pressed.reviewed.buttons()[what].encode(pressed.number)
            await user.press_data(mine[which % len(mine)].message_id, data)
            await self.driver.settle(user)

        self.driver.run(press())
        changed = self._world().changed(before)
        may = (
            what == "approve"
            and before.covers(uid, pressed.item)
            and before.items[pressed.item].status == Status.SUBMITTED.value
        )
        assert changed <= ({pressed.item} if may else set()), (
            f"{NAMES[uid]} pressed {what} on {pressed.item}: {changed} changed"
        )
        note(f"{'stale' if seen else 'forged'} {what}: {'decided' if changed else 'nothing'}")

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
        self.world = self._world()  # for the next step's preconditions

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
        for action in ("approve", "return"):
            if any(done == action for _changes, done in made):
                TALLY[f"examples with {'an approval' if action == 'approve' else 'a return'}"] += 1
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


def test_random_chat_keeps_the_bot_alive_and_the_data_sound(
    scene: Scene, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """One batch of ``FUZZ_EXAMPLES`` in ``make test`` (derandomized by the ``ci`` profile); with
    ``FUZZ_SECONDS`` set and the ``fuzz`` profile (make fuzz), batch after batch, each with fresh
    randomness, until that much time has passed.

    Reach: with ``--hypothesis-show-statistics`` each batch's statistics (the events of
    ``note``: what share of examples approved, returned, turned a page…) and the session's
    TALLY (how many times in all) are shown under "Hypothesis Statistics"; the TALLY is also
    printed (``-s`` or ``-rP`` shows it). The plugin collects statistics only for ``@given``
    tests, so this one hands them over itself."""
    ChatMachine.scene = scene
    ChatMachine.workdir = tmp_path
    budget = float(os.environ.get("FUZZ_SECONDS", "0"))
    deadline = time.monotonic() + budget
    batches: list[str] = []

    def noted(stats: StatisticsDict) -> None:
        stats["nodeid"] = f"{request.node.nodeid}, batch {len(batches) + 1}"
        lines = describe_statistics(stats).splitlines()
        # Hypothesis' own event for a rule drawn while its precondition is false names every
        # rule with its strategies (the long texts in full): pages of it, saying nothing.
        batches.append("\n".join(line for line in lines if "Retried draw from" not in line))

    while True:
        with statistics_collector.with_value(noted):
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
        if time.monotonic() >= deadline or settings().derandomize:  # ci: each batch the same
            break
    tally = "reach in all: " + ", ".join(f"{k}: {v}" for k, v in sorted(TALLY.items()))
    print(tally)
    request.node.hypothesis_statistics = "\n\n".join([*batches, tally])
