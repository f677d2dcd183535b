"""One running cebot on a copy of the scene, driven from synchronous code through a loop it owns.

Hypothesis' stateful machines call their rules synchronously, so the machine cannot live inside
pytest-asyncio's loop; it owns an ``asyncio.Runner`` instead, and everything (the emulator, the
Application, its polling, the simulated users) runs on that one loop between the steps.

``ErrorLog`` is how "no handler exception escaped" is judged: every record at ERROR or above,
from any logger, is a failure. bot/errors.py logs an exception it did not expect (anything but a
domain error, a refused button, a blocked chat or Telegram being out of reach) at ERROR with its
traceback, and python-telegram-bot logs at ERROR what escapes a handler or the error handler
itself; expected refusals are logged at INFO or WARNING and answered politely.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from bot.emulator import Emulator, SimUser
from bot.lifecycle import stop
from storage.db import make_engine
from tests.e2e.conftest import Stack
from tests.fuzz.invariants import decisions, violations
from tests.fuzz.scene import PROBE, Scene, overrides_for, settings_for


class ErrorLog(logging.Handler):
    """Collects every record at ERROR or above while installed on the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def install(self) -> None:
        logging.getLogger().addHandler(self)

    def remove(self) -> None:
        logging.getLogger().removeHandler(self)

    def describe(self) -> str:
        lines = []
        for record in self.records:
            lines.append(f"{record.name}: {record.getMessage()}")
            if record.exc_info and record.exc_info[1] is not None:
                lines.append("".join(traceback.format_exception(record.exc_info[1])))
        return "\n".join(lines)


class Driver:
    """Starts the stack on ``scene`` copied into ``workdir``; ``run`` executes a coroutine on it."""

    def __init__(self, scene: Scene, workdir: Path, *, settle_limit: float = 10.0) -> None:
        self.scene = scene
        self.workdir = workdir
        self.settle_limit = settle_limit
        self.runner = asyncio.Runner()
        self.errors = ErrorLog()
        self.stack: Stack | None = None
        self.emu: Emulator | None = None
        self._engine: Any = None

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    def start(self) -> None:
        self.errors.install()
        self.run(self._start())

    async def _start(self) -> None:
        url = self.scene.copy_to(self.workdir)
        self.emu = await Emulator().start()
        settings = settings_for(url, self.workdir / "data", self.scene.keyring)
        self.stack = Stack(self.emu, settings, overrides_for(self.emu))
        await self.stack.start()
        self._engine = make_engine(url)

    def close(self) -> None:
        try:
            self.run(self._close())
        finally:
            self.runner.close()
            self.errors.remove()

    async def _close(self) -> None:
        if self.stack is not None:
            await stop(self.stack.app)
        if self.emu is not None:
            await self.emu.stop()
        if self._engine is not None:
            await self._engine.dispose()

    # --- what the checks use -----------------------------------------------------------------

    @property
    def engine(self) -> Any:
        """An engine of its own on the copy's database, for the checks' SQL."""
        assert self._engine is not None
        return self._engine

    async def settle(self, user: SimUser) -> None:
        """Every update of ``user`` handled; a TimeoutError here is a hang."""
        assert self.stack is not None
        await self.stack.settle(user, limit=self.settle_limit)

    async def alive(self) -> None:
        """The Application still takes updates and answers: a /start from the probe gets one."""
        assert self.stack is not None and self.emu is not None
        app = self.stack.app
        assert app.running, "the Application stopped"
        probe = self.emu.user(user_id=PROBE, first_name="探针")
        before = len(probe.bot_messages())
        await probe.send_text("/start")
        await self.settle(probe)
        assert len(probe.bot_messages()) > before, f"no answer to /start\n{probe.transcript()}"

    async def database_violations(self) -> list[str]:
        return await violations(self._engine)

    async def decisions(self) -> Counter[tuple[str, str]]:
        return await decisions(self._engine)
