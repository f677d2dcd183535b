"""``cebot run``: wait for the lease, then serve until told to stop or the lease is lost.

A standby builds nothing before it holds the lease: the Application loads the conversations from
the database when it starts, so it must start only once it is the one active process
(``bot/lease.py``). Losing the lease (the database connection behind it broke) stops the process
at once with status 3, for systemd to restart it as a standby.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.intake import web_server
from bot.lease import CHECK_SECONDS, acquire, lease_for
from bot.lifecycle import DRAIN_SECONDS, start, start_polling, stop, updates_in_hand
from bot.scheduling import install_jobs
from storage.db import make_engine

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
    settings: Settings, *, webhook: Webhook | None = None, health_port: int | None = None
) -> int:
    lease_engine = make_engine(settings.database_url)
    lease = lease_for(lease_engine, settings.data_dir)
    started = time.monotonic()
    standby = None
    port, address = _health_address(webhook, health_port)
    if port:  # a standby answers /healthz (503) and nothing else, so traffic goes to the active
        standby = web_server(None, secret="", path="", state=lambda: {"status": "standby"})
        standby.listen(port, address=address)
    try:
        await acquire(lease, on_standby=lambda: log.info("standing by: another cebot is active"))
        log.info("active: this process holds the lease")
        if standby is not None:
            standby.stop()
            standby = None
        return await _serve_holding(settings, lease, webhook, health_port, started)
    finally:
        if standby is not None:
            standby.stop()
        await lease.release()
        await lease_engine.dispose()


def _health_address(webhook: Webhook | None, health_port: int | None) -> tuple[int | None, str]:
    if webhook is not None:
        return webhook.port, webhook.listen
    return health_port, "127.0.0.1"


async def _serve_holding(
    settings: Settings,
    lease: Any,
    webhook: Webhook | None,
    health_port: int | None,
    started: float,
) -> int:
    app = build_application(settings)
    install_jobs(app)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
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
