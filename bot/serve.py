"""``cebot run``: wait for the lease, then serve until told to stop or the lease is lost.

A standby builds nothing before it holds the lease: the Application loads the conversations from
the database when it starts, so it must start only once it is the one active process
(``bot/lease.py``). Losing the lease (the database connection behind it broke) stops the process
at once with status 3, for systemd to restart it as a standby.

Standing by or active, the process announces itself in ``bot_processes`` (``storage/processes.py``)
with the ids and fingerprints of the keys it holds, refreshes that row every heartbeat and deletes
it when it stops cleanly (SIGTERM or SIGINT, standing by too), so that ``cebot keys rotate``,
``cebot restore`` and ``cebot keys reindex`` see every running process, not only the active one.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

from bot.app import application_on
from bot.bootstrap import Root
from bot.config import Settings
from bot.intake import web_server
from bot.lease import CHECK_SECONDS, Lease, acquire
from bot.lifecycle import DRAIN_SECONDS, start, start_polling, stop, updates_in_hand
from bot.presence import HEARTBEAT_SECONDS, Presence
from bot.scheduling import install_jobs

log = logging.getLogger("cebot.serve")

LEASE_LOST = 3


@dataclass(frozen=True)
class Webhook:
    url: str
    listen: str
    port: int
    secret: str
    path: str = "telegram"


async def serve(
    settings: Settings,
    *,
    webhook: Webhook | None = None,
    health_port: int | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> int:
    """The process's root owns its engines (the Application's, the lease's) and outlives the
    Application, the lease and the presence row, which are all given back before it closes."""
    async with Root(settings) as root:
        return await _serve(root, webhook, health_port, heartbeat_seconds)


async def _serve(
    root: Root, webhook: Webhook | None, health_port: int | None, heartbeat_seconds: float
) -> int:
    presence = Presence(root.engine, root.read_keyring(), heartbeat_seconds)
    lease = root.lease()
    started = time.monotonic()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stopping.set)
    standby = None
    port, address = _health_address(webhook, health_port)
    if port:  # a standby answers /healthz (503) and nothing else, so traffic goes to the active
        standby = web_server(None, secret="", path="", state=lambda: {"status": "standby"})
        standby.listen(port, address=address)
    try:
        # Announced at once when standing by; a process active at once announces itself once
        # started, when an embedded SQLite has been migrated (and has the table).
        if not await lease.try_acquire():
            await presence.start()
            if not await _until_leased(lease, stopping):
                return 0
        log.info("active: this process holds the lease")
        if standby is not None:
            standby.stop()
            standby = None
        # The keys are read again (a key file may have changed while this process stood by) and
        # held from now on: the Application encrypts with exactly the keys announced.
        presence.become_active(root.keyring)
        return await _serve_holding(root, lease, presence, stopping, webhook, health_port, started)
    finally:
        if standby is not None:
            standby.stop()
        await presence.stop()  # before the lease goes: whoever takes it finds no row of ours
        await lease.release()
        for signum in signals:
            loop.remove_signal_handler(signum)


async def _until_leased(lease: Lease, stopping: asyncio.Event) -> bool:
    """Stands by until the lease is ours (True) or we are told to stop first (False)."""
    acquiring = asyncio.ensure_future(
        acquire(lease, on_standby=lambda: log.info("standing by: another cebot is active"))
    )
    told = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({acquiring, told}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (acquiring, told):
            task.cancel()
        await asyncio.gather(acquiring, told, return_exceptions=True)
    if stopping.is_set():
        return False
    acquiring.result()  # raises what acquiring the lease raised
    return True


def _health_address(webhook: Webhook | None, health_port: int | None) -> tuple[int | None, str]:
    if webhook is not None:
        return webhook.port, webhook.listen
    return health_port, "127.0.0.1"


async def _serve_holding(
    root: Root,
    lease: Lease,
    presence: Presence,
    stopping: asyncio.Event,
    webhook: Webhook | None,
    health_port: int | None,
    started: float,
) -> int:
    app = application_on(root)
    install_jobs(app)
    lost = False

    def state() -> dict[str, Any]:
        return {
            "status": "active",
            "mode": "webhook" if webhook else "polling",
            "updates_in_hand": updates_in_hand(app),
            "uptime_seconds": round(time.monotonic() - started, 1),
        }

    server = None
    try:
        if webhook is None:
            await start_polling(app)
            if health_port:
                server = web_server(None, secret="", path="", state=state)
                server.listen(health_port, address="127.0.0.1")
        else:
            intake = await start(app)
            server = web_server(intake, secret=webhook.secret, path=webhook.path, state=state)
            server.listen(webhook.port, address=webhook.listen)
            await app.bot.set_webhook(
                webhook.url, secret_token=webhook.secret, allowed_updates=list(_all_updates())
            )
        await presence.start()
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), CHECK_SECONDS)
            except TimeoutError:
                if not await lease.still_held():
                    log.critical("the lease is lost: stopping so that only one cebot is active")
                    lost = True
                    break
    finally:
        if server is not None:
            server.stop()
        # With the lease lost another process may be active already: hand over at once.
        await stop(app, drain_seconds=0.0 if lost else DRAIN_SECONDS)
    return LEASE_LOST if lost else 0


def _all_updates() -> tuple[str, ...]:
    from telegram import Update

    return tuple(Update.ALL_TYPES)
