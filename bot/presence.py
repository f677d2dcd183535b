"""This process's row in ``bot_processes`` (``storage/processes.py``), kept while it runs.

``cebot run`` announces itself standing by or active, so that ``cebot keys rotate``,
``cebot restore`` and ``cebot keys reindex`` see every running process, not only the active one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.lease import CHECK_SECONDS
from storage.crypto import Keyring
from storage.processes import (
    ACTIVE,
    STANDBY,
    HeldKeys,
    announce,
    new_process_id,
    withdraw,
)
from storage.processes import HEARTBEAT_SECONDS as HEARTBEAT_SECONDS  # cebot run's default

log = logging.getLogger("cebot.presence")


class Presence:
    """This process's row in ``bot_processes``: written at once, refreshed every heartbeat in the
    background, deleted at a clean stop.

    A failed write (database away, or not migrated yet: an embedded SQLite is migrated only once
    the process is active) is logged once and retried at the next heartbeat; it never stops the
    bot. Writes take turns, so a heartbeat and a change of role never race.
    """

    def __init__(
        self, engine: AsyncEngine, keyring: Keyring, heartbeat_seconds: float = HEARTBEAT_SECONDS
    ) -> None:
        self.process_id = new_process_id()
        self._engine = engine
        self._keys = HeldKeys.of(keyring)
        self._role = STANDBY
        self._heartbeat = heartbeat_seconds
        self._turn = asyncio.Lock()
        self._beating: asyncio.Task[None] | None = None
        self._registered = False
        self._failing = False

    async def start(self) -> None:
        """Announces the process now, and from now on every heartbeat."""
        await self.announce()
        if self._beating is None:
            self._beating = asyncio.get_running_loop().create_task(self._beat())

    def become_active(self, keyring: Keyring) -> None:
        """What the next announcement says: active, holding ``keyring`` (the ids and fingerprints
        of its keys, never the keys)."""
        self._role, self._keys = ACTIVE, HeldKeys.of(keyring)

    async def announce(self) -> None:
        async with self._turn:
            try:
                await announce(
                    self._engine,
                    self.process_id,
                    self._role,
                    self._keys,
                    heartbeat_seconds=self._heartbeat,
                    forget_dead=not self._registered,
                )
            except Exception as error:  # a heartbeat must never take the bot down
                if not self._failing:
                    log.warning(
                        "cannot write this process's row in bot_processes, retrying every "
                        "%.0f s (is the database migrated?): %r",
                        self._heartbeat,
                        error,
                    )
                self._failing = True
                return
        if self._failing or not self._registered:
            log.info(
                "announced in bot_processes as %s (%s; keys %s)",
                self.process_id,
                self._role,
                ", ".join(self._keys.keys),
            )
        self._failing = False
        self._registered = True

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            await self.announce()

    async def stop(self) -> None:
        beating, self._beating = self._beating, None
        if beating is not None:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
        if not self._registered:  # never written (stopped before it could be): nothing to delete
            return
        try:
            async with asyncio.timeout(CHECK_SECONDS), self._turn:
                await withdraw(self._engine, self.process_id)
        except Exception as error:  # the row goes stale and is ignored after three heartbeats
            log.warning("could not delete this process's row in bot_processes: %r", error)
