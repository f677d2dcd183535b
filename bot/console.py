"""``cebot console``: chat with cebot in a terminal through the project's own Bot API emulator.

The real Application (``bot.app.build_application``, the same handlers, database and persistence as
``cebot run``) polls an emulator on 127.0.0.1, and the console plays a person in that emulator: no
token, no network. After every input the console waits until the bot is idle and only then shows
what changed, so the same inputs always print the same lines; that is what makes ``--record`` and
``--replay`` (the transcript format is in ``bot.console_transcript``) usable as regression tests.

Recording and replaying run on a fresh database in a temporary directory, with a fixed clock, a
cheap password hasher and a throw-away keyring: the user's ``var/cebot.db`` is never touched and a
transcript recorded today replays tomorrow. The plain console uses the configured database.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import make_url
from telegram.warnings import PTBUserWarning

from bot.app import build_application
from bot.bootstrap import Overrides, cheap_hasher, scratch_keys
from bot.config import Settings
from bot.console_transcript import (
    DEFAULT_CLOCK,
    DEFAULT_TIMEZONE,
    EDITED,
    INPUT,
    RETRACTED,
    USER_MESSAGE_DELETED,
    Person,
    Transcript,
    TranscriptError,
    difference,
    excerpt,
    message_lines,
    note,
)
from bot.emulator import BotSilent, ChatMessage, Emulator, SimUser
from bot.lifecycle import start_polling, stop, updates_in_hand
from bot.runtime import App
from bot.scheduling import sending_now
from domain.clock import Clock, FixedClock

IDLE_TIMEOUT = 30.0
PROMPT = INPUT

BANNER = """\
cebot 控制台（console）：通过内置的 Bot API 模拟器与机器人对话，无需令牌，不联网。
  数据库（database）：{database}
  当前用户（Telegram user）：{user}
  直接输入文字发给机器人，包括 /start、/register、/login 等命令（text goes to the bot）
  输入按钮编号按下最后一条消息的按钮（a number presses that button of the last message）
  输入 [按钮文字] 按下同名按钮（[button text] presses the button with that text）
  /attach 路径    以文件形式发送（send a file as a document）
  /as 用户号      切换到另一个 Telegram 用户（switch to another Telegram user id）
  /clock +30m     拨快固定时钟，仅录制和回放时可用（advance the fixed clock: --record only）
  /quit 或 Ctrl-D 退出（leave）
  机器人发送的文件保存在（documents the bot sends go to）：{downloads}"""

RECORDING = (
    "正在录制（recording）到 {path}：使用临时数据库和固定时钟 {clock}"
    "（a fresh database and a fixed clock）"
)

Emit = Callable[[str, bool], None]
"""Shows one line; the flag says whether it belongs in a transcript too."""


class Console:
    """One person (or several, by ``/as``) in the emulator, turning inputs into shown lines."""

    def __init__(
        self,
        emu: Emulator,
        emit: Emit,
        *,
        person: Person,
        downloads: Path | None,
        clock: Clock,
        attach_dir: Path | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        app: App | None = None,
    ) -> None:
        self.emu = emu
        self.emit = emit
        self.downloads = downloads
        self.clock = clock
        self.attach_dir = attach_dir
        self.idle_timeout = idle_timeout
        self.app = app
        self.language_code = person.language_code
        self._seen: dict[int, int] = {}  # user id -> events of their chat already shown
        self._answers: dict[int, int] = {}  # user id -> callback answers already shown
        self.busy = False
        self.user = self._open(person.user_id, person.first_name)

    # --- inputs -----------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """One line typed by the person; False when they want to leave."""
        text = line.rstrip("\r\n")
        if not text.strip():
            return True
        command, _, rest = text.strip().partition(" ")
        if command in ("/quit", "/exit"):
            return False
        self.busy = True
        try:
            self.emit(INPUT + text, True)
            if command == "/as":
                await self._switch(rest.strip())
            elif command == "/attach":
                await self._attach(rest.strip())
            elif command == "/clock":
                self._move_clock(rest.strip())
            elif not await self._press_button(text.strip()):
                await self._act(self.user.send_text(text))
        finally:
            self.busy = False
        return True

    async def _press_button(self, text: str) -> bool:
        """``3`` presses the third button of the last bot message, ``[退出登录]`` the button with
        that text (what a transcript should use when a keyboard may grow); anything else, or a
        last message without such a button, is sent as text."""
        shown = self.user.bot_messages()
        keyboard = shown[-1].reply_markup if shown else None
        if keyboard is None:
            return False
        buttons = keyboard.buttons
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            index = int(text) - 1
        elif text.startswith("[") and text.endswith("]") and text[1:-1] in keyboard.texts:
            index = keyboard.texts.index(text[1:-1])
        else:
            return False
        button = buttons[index]
        self.emit(note(f"按下 [{index + 1}] {button.text}"), True)
        if button.callback_data is None:
            self.emit(note(f"（这是一个链接，请在浏览器中打开：{button.url}）"), True)
            return True
        await self._act(self.user.press(shown[-1], index))
        return True

    async def _attach(self, raw: str) -> None:
        path = self._resolve(raw.strip("'\""))
        if not raw or path is None:
            self.emit(
                note(f"（找不到文件 file not found：{raw}）" if raw else "用法：/attach 路径"), True
            )
            return
        data = await asyncio.to_thread(path.read_bytes)
        await self._act(self.user.send_document(data, path.name))

    def _resolve(self, raw: str) -> Path | None:
        candidates = [Path(raw).expanduser()]
        if self.attach_dir is not None and not Path(raw).is_absolute():
            candidates.insert(0, self.attach_dir / raw)
        return next((path for path in candidates if path.is_file()), None)

    async def _switch(self, raw: str) -> None:
        if not raw.isdigit() or int(raw) <= 0:
            self.emit(note("用法：/as 用户号（a positive Telegram user id）"), True)
            return
        self.user = self._open(int(raw), f"用户{raw}")
        self.emit(note(f"现在的身份：Telegram 用户 {raw}"), True)
        self.flush()  # what arrived for that person while someone else was typing

    def _move_clock(self, raw: str) -> None:
        if not isinstance(self.clock, FixedClock):
            self.emit(
                note("（只有录制和回放时时钟才是固定的 the clock is fixed only when recording）"),
                True,
            )
            return
        delta = parse_duration(raw)
        if delta is None:
            self.emit(note("用法：/clock +30m、+2h、+1d 或 +1d2h30m"), True)
            return
        self.clock.advance(delta)
        self.emit(note(f"时钟拨快 {raw.lstrip('+')}（clock advanced）"), True)

    async def _act(self, action: Awaitable[object]) -> None:
        """Awaits the person's action, waits for the bot to finish, shows what happened."""
        try:
            await action
        except LookupError as exc:
            self.emit(note(f"（无法操作：{exc}）"), True)
            return
        await self.settle()
        self.flush()

    async def settle(self) -> None:
        """Until the emulator is quiet and the Application has no update queued or in hand: a
        handler hashing a password makes no HTTP call, yet it is not done."""
        deadline = time.monotonic() + self.idle_timeout
        try:
            while True:
                await self.user.wait_until_idle(timeout=max(deadline - time.monotonic(), 0.0))
                if not self._app_busy():
                    return
                while self._app_busy():
                    if time.monotonic() > deadline:
                        raise BotSilent("the Application is still processing")
                    await asyncio.sleep(0.01)
        except BotSilent:
            busy = f"（机器人 {self.idle_timeout:g} 秒内没有处理完 the bot is still busy）"
            self.emit(note(busy), True)

    def _app_busy(self) -> bool:
        if self.app is None:
            return False
        return (
            self.app.update_queue.qsize() > 0
            or self.app.update_processor.current_concurrent_updates > 0
            or updates_in_hand(self.app) > 0
            or sending_now(self.app)  # a reviewer's decision being pushed to the base
        )

    # --- outputs ----------------------------------------------------------------------------

    def _open(self, user_id: int, first_name: str) -> SimUser:
        user = self.emu.user(
            user_id=user_id, first_name=first_name, language_code=self.language_code
        )
        self._seen.setdefault(user_id, 0)
        self._answers.setdefault(user_id, 0)
        return user

    def pending(self) -> bool:
        return len(self.user.chat.events) > self._seen[self.user.user_id]

    def flush(self) -> None:
        """Shows the current person's chat events not yet shown, each message in its final state
        at the place it first changed."""
        user = self.user
        events = user.chat.events[self._seen[user.user_id] :]
        self._seen[user.user_id] = len(user.chat.events)
        fresh: set[int] = set()
        done: set[int] = set()
        for event in events:
            message = event.message
            if event.kind == "callback_answer":
                answer = user.chat.callback_answers[self._answers[user.user_id]]
                self._answers[user.user_id] += 1
                if answer.text:
                    self.emit(
                        note(("弹窗：" if answer.show_alert else "提示：") + answer.text), True
                    )
            elif message is None or event.kind not in ("sent", "edited", "deleted"):
                continue
            elif not message.from_bot:
                if event.kind == "deleted":
                    self.emit(note(USER_MESSAGE_DELETED), True)
            elif event.kind == "sent":
                fresh.add(message.message_id)
                done.add(message.message_id)
                self._show(message, RETRACTED if message.deleted else "")
            elif event.kind == "edited" and message.message_id not in done:
                done.add(message.message_id)
                self._show(message, RETRACTED if message.deleted else EDITED)
            elif event.kind == "deleted" and message.message_id not in fresh:
                self.emit(note(f"（机器人删除了消息：{excerpt(message.content)}）"), True)

    def _show(self, message: ChatMessage, mark: str) -> None:
        for line in message_lines(message, mark=mark):
            self.emit(line, True)
        document = message.document
        if document is None or self.downloads is None or mark == RETRACTED:
            return
        if document.data is None:
            self.emit(note("（文件内容不可用 no content）"), False)
            return
        path = save_download(self.downloads, document.filename or "file", document.data)
        self.emit(note(f"文件已保存（saved）：{path}（{len(document.data)} 字节）"), False)


def save_download(folder: Path, filename: str, data: bytes) -> Path:
    """Never overwrites: a second ``成绩.xlsx`` becomes ``成绩-2.xlsx``."""
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(filename).name or "file"
    path = folder / name
    counter = 1
    while path.exists():
        counter += 1
        path = folder / f"{Path(name).stem}-{counter}{Path(name).suffix}"
    path.write_bytes(data)
    return path


_DURATION = re.compile(r"\+?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(raw: str) -> timedelta | None:
    """``+1d2h30m`` and the like; None for anything else or nothing at all."""
    match = _DURATION.fullmatch(raw.strip())
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


# --- sessions -----------------------------------------------------------------------------------


def scratch_settings(directory: Path, *, timezone: str = "Asia/Shanghai") -> Settings:
    """Settings for a throw-away run: its own SQLite file and keyring, nothing from the environment
    (a session length or time zone set there would change what a transcript shows)."""
    return Settings.from_mapping(
        {
            "CEBOT_DATA_DIR": str(directory),
            "CEBOT_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'cebot.db'}",
            "CEBOT_SECRET_KEYS": scratch_keys(),
            "CEBOT_TIMEZONE": timezone,
        }
    )


def scratch_overrides(clock: FixedClock) -> Overrides:
    """A fixed clock and a cheap hasher: what a password costs does not change what is shown."""
    return Overrides(clock=clock, hasher=cheap_hasher())


@contextlib.asynccontextmanager
async def running_console(
    settings: Settings,
    emit: Emit,
    *,
    overrides: Overrides | None = None,
    person: Person | None = None,
    downloads: Path | None = None,
    attach_dir: Path | None = None,
) -> AsyncIterator[Console]:
    """An emulator, the Application polling it, and a console in front; all stopped on exit."""
    base = overrides or Overrides()
    async with Emulator() as emu:
        # Flood control is the production rate limiter's concern (off here): a console session
        # is about what the bot says, and a 429 would tie the output to typing speed.
        emu.limits_enabled = False
        app = build_application(
            settings,
            dataclasses.replace(
                base, token=emu.token, bot_api_url=emu.root_url, rate_limiter=False
            ),
        )
        await start_polling(app, poll_timeout=1)
        try:
            yield Console(
                emu,
                emit,
                person=person or Person(),
                downloads=downloads,
                clock=base.clock,
                attach_dir=attach_dir,
                app=app,
            )
        finally:
            await stop(app)


async def console_session(
    settings: Settings,
    inputs: Iterable[str],
    *,
    overrides: Overrides | None = None,
    person: Person | None = None,
    downloads: Path | None = None,
    attach_dir: Path | None = None,
) -> list[str]:
    """Types ``inputs`` one after another and returns the transcript lines they produced."""
    lines: list[str] = []

    def emit(line: str, recorded: bool) -> None:
        if recorded:
            lines.append(line)

    async with running_console(
        settings,
        emit,
        overrides=overrides,
        person=person,
        downloads=downloads,
        attach_dir=attach_dir,
    ) as console:
        for line in inputs:
            if not await console.handle(line):
                break
    return lines


async def record_session(
    inputs: Iterable[str],
    *,
    clock: datetime = DEFAULT_CLOCK,
    person: Person | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    attach_dir: Path | None = None,
) -> Transcript:
    """A transcript of ``inputs`` played on a scratch database with a fixed clock: how a replay
    gets what to compare with, and how a transcript can be written without a terminal."""
    transcript = Transcript(clock=clock, person=person or Person(), timezone=timezone)
    with tempfile.TemporaryDirectory(prefix="cebot-session-") as tmp:
        directory = Path(tmp)
        transcript.body = await console_session(
            scratch_settings(directory, timezone=timezone),
            inputs,
            overrides=scratch_overrides(FixedClock(clock)),
            person=transcript.person,
            downloads=directory / "downloads",
            attach_dir=attach_dir,
        )
    return transcript


async def replay_transcript(
    recorded: Transcript, *, name: str, attach_dir: Path | None = None
) -> list[str]:
    """Plays a transcript's inputs on a fresh database; the unified diff, empty on a match."""
    replayed = await record_session(
        recorded.inputs(),
        clock=recorded.clock,
        person=recorded.person,
        timezone=recorded.timezone,
        attach_dir=attach_dir,
    )
    return difference(
        _compared(recorded.body), replayed.body, name=name, preamble=recorded.preamble
    )


def _compared(body: list[str]) -> list[str]:
    """Trailing blank lines are an editor's doing, not the bot's."""
    trimmed = list(body)
    while trimmed and not trimmed[-1].strip():
        trimmed.pop()
    return trimmed


async def interactive(
    settings: Settings,
    stdin: TextIO,
    out: TextIO,
    *,
    downloads: Path,
    transcript: Transcript | None = None,
) -> None:
    """The console a person types into; with a ``transcript`` to fill, on a scratch database and
    the transcript's fixed clock."""
    overrides: Overrides | None = None
    person = Person()
    with contextlib.ExitStack() as stack:
        if transcript is not None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cebot-rec-")))
            settings = scratch_settings(directory, timezone=transcript.timezone)
            overrides = scratch_overrides(FixedClock(transcript.clock))
            person = transcript.person
        reader = LineReader(stdin, out)

        def emit(line: str, recorded: bool) -> None:
            reader.show(line)
            if recorded and transcript is not None:
                transcript.body.append(line)

        database = make_url(settings.database_url).render_as_string(hide_password=True)
        out.write(BANNER.format(database=database, user=person.user_id, downloads=downloads))
        out.write("\n")
        out.flush()
        async with running_console(
            settings, emit, overrides=overrides, person=person, downloads=downloads
        ) as console:
            watcher = asyncio.create_task(_watch(console, reader))
            try:
                while (line := await reader.read(PROMPT)) is not None:
                    if not await console.handle(line):
                        break
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher


async def _watch(console: Console, reader: LineReader) -> None:
    """Messages that arrive while the person is typing (a reminder, a timeout) are shown too."""
    while True:
        await console.user.chat.changed.wait(1.0)
        if console.busy or not console.pending():
            continue
        await console.settle()
        if not console.busy:
            console.flush()
            reader.reprompt()


class LineReader:
    """Reads lines on a daemon thread so the event loop keeps serving the bot meanwhile; a
    terminal gets ``input()`` with line editing, a pipe is read as is and echoed."""

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self.stdin = stdin
        self.out = out
        self.terminal = stdin is sys.stdin and out is sys.stdout and stdin.isatty()
        self._waiting_prompt: str | None = None

    async def read(self, prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def deliver(line: str | None) -> None:
            if not future.done():
                future.set_result(line)

        def work() -> None:
            try:
                line = self._read_blocking(prompt)
            except (EOFError, KeyboardInterrupt, OSError, ValueError):
                line = None
            loop.call_soon_threadsafe(deliver, line)

        self._waiting_prompt = prompt
        if not self.terminal:
            self.out.write(prompt)
            self.out.flush()
        threading.Thread(target=work, name="cebot-console-input", daemon=True).start()
        try:
            line = await future
        finally:
            self._waiting_prompt = None
        if line is None:
            self.out.write("\n")
        elif not self.terminal:
            self.out.write(line if line.endswith("\n") else line + "\n")
        self.out.flush()
        return line

    def _read_blocking(self, prompt: str) -> str | None:
        if self.terminal:
            return input(prompt)
        line = self.stdin.readline()
        return line or None

    def show(self, line: str) -> None:
        """Input lines were already echoed by the terminal or by ``read``."""
        if line.startswith(INPUT):
            return
        self.out.write(line + "\n")
        self.out.flush()

    def reprompt(self) -> None:
        if self._waiting_prompt is not None:
            self.out.write(self._waiting_prompt)
            self.out.flush()


@contextlib.contextmanager
def _quiet(settings: Settings) -> Iterator[None]:
    """Only warnings and errors between the chat lines, unless DEBUG was asked for; the levels
    are put back afterwards (a test calling ``run_console`` keeps its log capture)."""
    root = logging.getLogger()
    saved: list[tuple[logging.Logger | logging.Handler, int]] = [(root, root.level)]
    saved.extend((handler, handler.level) for handler in root.handlers)
    with warnings.catch_warnings():
        # The conversations' per_message advice is for their authors, not for whoever chats.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        try:
            if settings.log_level != "DEBUG":
                # Handlers too: loggers with a level of their own (alembic's) still reach them.
                for item, level in saved:
                    item.setLevel(max(level, logging.WARNING))
            yield
        finally:
            for item, level in saved:
                item.setLevel(level)


def run_console(
    settings: Settings,
    *,
    record: str | None = None,
    replay: str | None = None,
    downloads: str = "var/downloads",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """The ``cebot console`` command; returns the exit code (replay: 0 same, 1 different)."""
    out = stdout or sys.stdout
    stdin = stdin or sys.stdin
    if record and replay:
        out.write("cebot console: --record and --replay cannot be combined\n")
        return 2
    try:
        with _quiet(settings):
            if replay:
                return _replay_file(Path(replay), out)
            if record:
                return _record_file(
                    settings, Path(record), stdin or sys.stdin, out, Path(downloads)
                )
            asyncio.run(interactive(settings, stdin, out, downloads=Path(downloads)))
            return 0
    except KeyboardInterrupt:
        out.write("\n")
        return 130


def _replay_file(path: Path, out: TextIO) -> int:
    try:
        recorded = Transcript.loads(path.read_text(encoding="utf-8"))
    except (OSError, TranscriptError) as exc:
        out.write(f"cebot console: cannot replay {path}: {exc}\n")
        return 2
    diff = asyncio.run(replay_transcript(recorded, name=str(path), attach_dir=path.parent))
    if diff:
        out.write("\n".join(diff) + "\n")
        out.write(f"回放结果与记录不同（replay differs）：{path}\n")
        return 1
    out.write(f"回放一致（replay matches）：{path}，{len(recorded.inputs())} 条输入（inputs）\n")
    return 0


def _record_file(
    settings: Settings, path: Path, stdin: TextIO, out: TextIO, downloads: Path
) -> int:
    """Written even when the session ends by Ctrl-C: what was typed until then is kept."""
    clock = datetime.now(UTC).replace(second=0, microsecond=0)
    transcript = Transcript(clock=clock, timezone=settings.timezone.key)
    out.write(RECORDING.format(path=path, clock=clock.isoformat()) + "\n")
    try:
        asyncio.run(interactive(settings, stdin, out, downloads=downloads, transcript=transcript))
    finally:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(transcript.dumps(), encoding="utf-8")
        out.write(f"已保存记录（transcript saved）：{path}\n")
    return 0


def rerecord_file(path: Path) -> bool:
    """Plays a transcript's inputs again and rewrites its body, keeping the lines before it (the
    header and its comments): for when the bot changed on purpose. True if anything changed."""
    recorded = Transcript.loads(path.read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        fresh = asyncio.run(
            record_session(
                recorded.inputs(),
                clock=recorded.clock,
                person=recorded.person,
                timezone=recorded.timezone,
                attach_dir=path.parent,
            )
        )
    if fresh.body == _compared(recorded.body):
        return False
    preamble = recorded.preamble or fresh.header()
    path.write_text("\n".join([*preamble, *fresh.body]) + "\n", encoding="utf-8")
    return True


if __name__ == "__main__":
    # python -m bot.console FILE...: re-record transcripts after an intended change of the bot;
    # review the result with git diff before committing it.
    for name in sys.argv[1:]:
        changed = rerecord_file(Path(name))
        print(f"{'re-recorded' if changed else 'unchanged'}: {name}")
