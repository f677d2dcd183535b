"""Updates in: each acknowledged to Telegram only after it was handled.

python-telegram-bot's own updater confirms an update (the next ``getUpdates`` offset, or the
webhook's 200) as soon as it is queued: a process killed while handling it loses it, since
Telegram will not send it again. Here:

- **Long polling** asks with ``offset`` = the oldest update still in hand, so Telegram keeps
  everything not yet handled and sends it again to whoever polls next (a restarted process, or
  the standby that took over). Updates already in hand are recognised by their id and not
  handled twice. While an update is in hand, Telegram answers at once rather than waiting, so
  the poller pauses ``REPOLL_SECONDS`` (or until an update finishes) between such polls: a new
  update waits at most that long behind a slow one.
- **Webhook**: the 200 goes back when the update was handled (``WEBHOOK_WAIT_SECONDS`` at most:
  past Telegram's own timeout it would send the update again while we still handle it).
  ``GET /healthz`` on the same server answers 200 with the process's state.

Handling is what ``Application`` does itself (the update processor, the error handlers), started
here per update so the intake knows when each one is done. Delivery is at-least-once: an update
handled but not yet acknowledged when the process dies is handled again after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import tornado.web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from tornado.httpserver import HTTPServer

from bot.runtime import App

log = logging.getLogger("cebot.intake")

REPOLL_SECONDS = 0.1
WEBHOOK_WAIT_SECONDS = 50.0
BACKOFF_MAX_SECONDS = 30.0


class Intake:
    """Starts handling each update once and knows which are still in hand."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.in_hand: dict[int, asyncio.Task[None]] = {}
        self._finished = asyncio.Event()

    def take(self, update: Update) -> asyncio.Task[None]:
        """Starts handling ``update`` unless it is already in hand; returns its task."""
        if update.update_id in self.in_hand:
            return self.in_hand[update.update_id]
        task: asyncio.Task[None] = self.app.create_task(
            self._handle(update), update=update, name=f"cebot:update:{update.update_id}"
        )
        self.in_hand[update.update_id] = task
        return task

    async def _handle(self, update: Update) -> None:
        try:
            processor = self.app.update_processor
            await processor.process_update(update, self.app.process_update(update))
        finally:
            self.in_hand.pop(update.update_id, None)
            self._finished.set()

    async def an_update_finished(self, seconds: float) -> None:
        """Returns when an update in hand finished, or after ``seconds``; at once if none is in
        hand (one may have finished since the caller looked)."""
        self._finished.clear()
        if not self.in_hand:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), seconds)

    async def drain(self, seconds: float) -> None:
        """Lets the updates in hand finish (at shutdown), at most ``seconds``."""
        if self.in_hand:
            await asyncio.wait(list(self.in_hand.values()), timeout=seconds)


class Poller:
    def __init__(self, intake: Intake, *, timeout: int = 10) -> None:
        self.intake = intake
        self.timeout = timeout
        self.next_new: int | None = None
        """One past the newest update seen: the offset when nothing is in hand."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cebot:poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        bot = self.intake.app.bot
        failures = 0
        while True:
            in_hand = self.intake.in_hand
            offset = min(in_hand) if in_hand else self.next_new
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=0 if in_hand else self.timeout,
                    allowed_updates=Update.ALL_TYPES,
                )
            except InvalidToken:
                raise
            except (NetworkError, TelegramError) as failure:
                failures += 1
                pause = min(2.0 ** min(failures, 5), BACKOFF_MAX_SECONDS)
                log.warning("getUpdates failed (%s); again in %.0f s", failure, pause)
                await asyncio.sleep(pause)
                continue
            failures = 0
            fresh = [u for u in updates if self.next_new is None or u.update_id >= self.next_new]
            for update in fresh:
                self.intake.take(update)
                self.next_new = update.update_id + 1
            # Asked again now, Telegram would only repeat what is in hand: wait for it first.
            await self.intake.an_update_finished(REPOLL_SECONDS)


class _Telegram(tornado.web.RequestHandler):
    def initialize(self, intake: Intake, secret: str) -> None:
        self.intake = intake
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secrets.compare_digest(given, self.secret):
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.intake.app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("a webhook request that is no update was refused")
            self.set_status(400)
            return
        await asyncio.wait([self.intake.take(update)], timeout=WEBHOOK_WAIT_SECONDS)
        self.set_status(200)


class _Health(tornado.web.RequestHandler):
    def initialize(self, state: Callable[[], dict[str, Any]]) -> None:
        self.state = state

    def get(self) -> None:
        """200 from the active process, 503 from a standby: a load balancer sends Telegram's
        requests to the one that answers 200."""
        state = self.state()
        self.set_status(200 if state.get("status") == "active" else 503)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(state))


def web_server(
    intake: Intake | None, *, secret: str, path: str, state: Callable[[], dict[str, Any]]
) -> HTTPServer:
    """The webhook (when ``intake`` is given) and ``/healthz``, on one tornado server."""
    routes: list[tuple[str, type[tornado.web.RequestHandler], dict[str, object]]] = [
        (r"/healthz", _Health, {"state": state})
    ]
    if intake is not None:
        routes.append((rf"/{path}", _Telegram, {"intake": intake, "secret": secret}))
    return HTTPServer(tornado.web.Application(routes))
