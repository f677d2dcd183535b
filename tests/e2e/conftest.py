"""The whole bot, started as ``cebot run`` starts it, talking HTTP to the emulator on loopback.

``stack`` is one running cebot on the test's database; ``stack.restart()`` stops it and starts a
new Application on the same database, as a crash and restart would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.bootstrap import Overrides
from bot.config import Settings
from bot.emulator import Emulator
from bot.lifecycle import start_polling, stop, updates_in_hand
from bot.scheduling import sending_now
from domain.clock import FixedClock
from storage.crypto import Keyring
from storage.passwords import Argon2PasswordHasher


@dataclass
class Stack:
    emu: Emulator
    settings: Settings
    overrides: Overrides
    app: Application = field(init=False)  # type: ignore[type-arg]

    async def start(self) -> None:
        self.app = build_application(self.settings, self.overrides)
        await start_polling(self.app, poll_timeout=1)

    def handling(self) -> bool:
        """Whether the bot still holds an update: queued, or inside the update processor."""
        processor = self.app.update_processor
        return (
            not self.app.update_queue.empty()
            or processor.current_concurrent_updates > 0
            or updates_in_hand(self.app) > 0
            or sending_now(self.app)
        )

    async def settle(self, user: Any, limit: float = 10.0) -> None:
        """Waits until the emulator saw every update confirmed and the bot finished handling it.

        Confirmation alone is not enough (PTB confirms an update before handling it), and a fixed
        quiet period is either slow or flaky; asking the Application itself is neither.
        """
        deadline = asyncio.get_running_loop().time() + limit
        calm_rounds = 0
        while calm_rounds < 3:
            await user.wait_until_idle(timeout=limit, quiet=0.0)
            if self.handling():
                calm_rounds = 0
            else:
                calm_rounds += 1
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the bot did not finish handling the update in time")
            await asyncio.sleep(0.005)

    async def restart(self) -> None:
        await stop(self.app)
        await self.start()


@pytest.fixture
async def stack(
    database_url: str,
    tmp_path: Path,
    keyring: Keyring,
    clock: FixedClock,
    hasher: Argon2PasswordHasher,
) -> AsyncIterator[Stack]:
    async with Emulator() as emu:
        settings = Settings.from_mapping(
            {
                "CEBOT_DATABASE_URL": database_url,
                "CEBOT_DATA_DIR": str(tmp_path / "data"),
                "CEBOT_SECRET_KEYS": keyring.to_json(),
            }
        )
        overrides = Overrides(
            clock=clock,
            hasher=hasher,
            token=emu.token,
            bot_api_url=emu.root_url,
            migrate=True,
        )
        running = Stack(emu, settings, overrides)
        await running.start()
        try:
            yield running
        finally:
            await stop(running.app)


def texts(messages: list[Any]) -> str:
    """Everything the bot said, as one string, for ``in`` assertions."""
    return "\n".join(m.text or m.caption or "" for m in messages)
