"""``cebot run`` as a real process on the emulator: its environment, starting it, reading what it
says on stderr, stopping it."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from bot.emulator import Emulator
from storage.crypto import Keyring

CEBOT_RUN = [sys.executable, "-m", "bot.cli", "run"]


def run_environment(
    emu: Emulator, *, database_url: str, data: Path, keyring: Keyring, **more: str
) -> dict[str, str]:
    """This process's environment without its own ``CEBOT_`` settings, and what a ``cebot run``
    talking to ``emu`` needs (``more`` adds to or overrides them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(
        CEBOT_TELEGRAM_TOKEN=emu.token,
        CEBOT_BOT_API_URL=emu.root_url,
        CEBOT_DATABASE_URL=database_url,
        CEBOT_DATA_DIR=str(data),
        CEBOT_SECRET_KEYS=keyring.to_json(),
        **more,
    )
    return env


async def answer_to_start(emu: Emulator, timeout: float = 30.0) -> str:  # noqa: ASYNC109
    user = emu.user(user_id=4242, first_name="测试", language_code="zh-hans")
    await user.send_text("/start")
    message = await user.wait_for_bot_message(timeout=timeout)
    return message.text or ""


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 20 seconds."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()


class Process:
    """A running ``cebot run`` whose stderr (the log) is read line by line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        assert process.stderr is not None
        self._reader = asyncio.get_running_loop().create_task(self._read(process.stderr))

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path, *args: str) -> Process:
        return cls(
            await asyncio.create_subprocess_exec(
                *CEBOT_RUN,
                *args,
                env=env,
                cwd=cwd,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        )

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace"))

    async def said(self, words: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while not any(words in line for line in self.lines):
            if time.monotonic() > deadline or self.process.returncode is not None:
                raise AssertionError(f"never said {words!r}:\n{''.join(self.lines)}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        self.process.kill()

    async def close(self) -> None:
        await stop(self.process)
        self._reader.cancel()
