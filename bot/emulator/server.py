"""The emulator's HTTP face (tornado, python-telegram-bot's own webhook dependency), webhook
delivery and fault injection, around the state and methods of ``BotApi``.

It runs inside the caller's asyncio loop, so a test, the bot under test and the emulator share one
loop and one clock, and the simulated users act on the same objects the server answers from.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from types import TracebackType
from typing import Self

import httpx
import tornado.http1connection
import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

from bot.emulator.client import SimUser
from bot.emulator.limits import FAULT_KINDS, MAX_UPLOAD, FaultPlan, Limits
from bot.emulator.methods import BotApi
from bot.emulator.params import Params, Upload
from bot.emulator.state import JSON, ApiError, BotRequest

log = logging.getLogger("cebot.emulator")

_FAULT_BODIES: dict[str, tuple[int, bytes]] = {
    "500": (
        500,
        json.dumps(
            {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        ).encode(),
    ),
    "502": (502, b"<html><head><title>502 Bad Gateway</title></head></html>"),
}


class Emulator:
    """A Telegram Bot API server for one bot, on 127.0.0.1, with simulated users."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "cebot_test_bot",
        bot_first_name: str = "cebot",
        limits: Limits | None = None,
        callback_ttl: float = 15.0,
        webhook_retry_delay: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api = BotApi(
            token,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            limits=limits,
            callback_ttl=callback_ttl,
            clock=clock,
        )
        self.api.on_webhook_change = self._restart_webhook
        self.faults: FaultPlan | None = None
        self.webhook_retry_delay = webhook_retry_delay
        self._one_shot: dict[str, deque[str]] = {}
        self._users: dict[int, SimUser] = {}
        self._server: tornado.httpserver.HTTPServer | None = None
        self._port: int | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # --- life cycle ----------------------------------------------------------------------------

    async def start(self, port: int = 0) -> Self:
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([A-Za-z]+)/?", _ApiHandler, {"emulator": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"emulator": self}),
            ],
            default_handler_class=_NotFoundHandler,
            log_function=lambda handler: None,
        )
        sockets = tornado.netutil.bind_sockets(port, "127.0.0.1", family=socket.AF_INET)
        self._server = tornado.httpserver.HTTPServer(
            app, max_body_size=MAX_UPLOAD + 4 * 1024 * 1024, idle_connection_timeout=60
        )
        self._server.add_sockets(sockets)
        self._port = sockets[0].getsockname()[1]
        self.api.closing = False
        self._restart_webhook()
        return self

    async def stop(self) -> None:
        self.api.closing = True
        self.api.updates.changed.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._server is not None:
            self._server.stop()
            await asyncio.sleep(0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.close_all_connections(), timeout=5)
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- addresses -----------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.api.token

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started: await emu.start() first")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What ``ApplicationBuilder().base_url`` takes."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """What ``ApplicationBuilder().base_file_url`` takes."""
        return f"{self.root_url}/file/bot"

    # --- what tests read and change ------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        return self.api.limits

    @property
    def limits_enabled(self) -> bool:
        return self.api.limits.enabled

    @limits_enabled.setter
    def limits_enabled(self, enabled: bool) -> None:
        self.api.limits.enabled = enabled
        self.api.flood.reset()

    @property
    def requests(self) -> list[BotRequest]:
        return self.api.requests

    def requests_for(self, method: str, *, ok: bool | None = None) -> list[BotRequest]:
        """The bot's calls of one method (any order); ``ok`` keeps only successes or failures."""
        return [r for r in self.api.requests if r.method == method and (ok is None or r.ok == ok)]

    @property
    def stats(self) -> Counter[str]:
        """Counts of what the emulator refused: ``429`` (all), ``flood_chat``, ``flood_global``,
        ``fault_<kind>`` for each injected fault."""
        return self.api.stats

    @property
    def too_many_requests(self) -> int:
        """How many 429 answers the bot received, from flood control and from injected faults."""
        return self.api.stats["429"]

    @property
    def commands(self) -> dict[str, list[tuple[str, str]]]:
        """Commands of the default scope by language code ("" is the one for every language)."""
        default = json.dumps({"type": "default"}, sort_keys=True)
        return {
            language: list(commands)
            for (scope, language), commands in self.api.commands_by_key.items()
            if scope == default
        }

    def commands_for(
        self, language_code: str = "", scope: JSON | None = None
    ) -> list[tuple[str, str]]:
        return self.api.commands_for(language_code, scope)

    @property
    def webhook_url(self) -> str:
        return self.api.webhook.url

    @property
    def pending_updates(self) -> int:
        return len(self.api.updates)

    def user(
        self,
        user_id: int = 1001,
        first_name: str = "张三",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> SimUser:
        """The person with this id (created on first use) and their private chat with the bot."""
        if user_id in self._users:
            return self._users[user_id]
        user = SimUser(
            self.api,
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = user
        return user

    @property
    def users(self) -> list[SimUser]:
        return list(self._users.values())

    # --- faults --------------------------------------------------------------------------------

    def fail_next(self, method: str, kind: str) -> None:
        """The next call of ``method`` (``"*"``: of any method) fails with ``kind``, once."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kinds are {sorted(FAULT_KINDS)}")
        self._one_shot.setdefault(method.lower(), deque()).append(kind)

    def _draw_fault(self, method: str) -> str | None:
        for key in (method.lower(), "*"):
            queue = self._one_shot.get(key)
            if queue:
                return queue.popleft()
        return self.faults.draw(method) if self.faults is not None else None

    def _fault_answer(self, method: str, params: Params, kind: str) -> tuple[int, bytes]:
        self.api.stats[f"fault_{kind}"] += 1
        name = self.api.canonical(method) or method
        if kind == "429":
            retry_after = self.faults.retry_after if self.faults is not None else 1
            error = ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
            self.api.stats["429"] += 1
            self.api.log(name, params, 429, error.description + " (injected)")
            return 429, json.dumps(error.body()).encode()
        status, body = _FAULT_BODIES[kind]
        self.api.log(name, params, status, f"injected {kind}")
        return status, body

    @property
    def slow_delay(self) -> float:
        return self.faults.slow_delay if self.faults is not None else 1.0

    # --- webhook delivery ----------------------------------------------------------------------

    def _restart_webhook(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if self.api.webhook.url and self._server is not None:
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver())

    async def _deliver(self) -> None:
        """One update at a time, in order; an update stays pending until the webhook says 2xx."""
        hook = self.api.webhook
        updates = self.api.updates
        async with httpx.AsyncClient(timeout=10.0) as client:
            while hook is self.api.webhook and hook.url and not self.api.closing:
                pending = updates.peek(1)
                if not pending:
                    await updates.changed.wait(1.0)
                    continue
                update = pending[0]
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                error: str | None = None
                try:
                    response = await client.post(
                        hook.url, content=json.dumps(update.to_api()), headers=headers
                    )
                    if not 200 <= response.status_code < 300:
                        error = (
                            f"Wrong response from the webhook: "
                            f"{response.status_code} {response.reason_phrase}"
                        )
                except httpx.HTTPError as failure:
                    error = f"Connection error: {failure.__class__.__name__}"
                if error is None:
                    hook.deliveries += 1
                    updates.confirm_one(update.update_id)
                    continue
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                await asyncio.sleep(self.webhook_retry_delay)


def _decode(request: tornado.httputil.HTTPServerRequest) -> Params:
    values: JSON = {k: v[-1].decode("utf-8") for k, v in request.query_arguments.items()}
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json"):
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            values.update(body)
    else:
        for name, value in request.body_arguments.items():
            values[name] = value[-1].decode("utf-8")
    files = {
        name: Upload(parts[0].filename or None, parts[0].body, parts[0].content_type or None)
        for name, parts in request.files.items()
        if parts
    }
    return Params(values, files)


class _Handler(tornado.web.RequestHandler):
    emulator: Emulator

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.closed = asyncio.Event()

    def on_connection_close(self) -> None:
        self.closed.set()
        self.emulator.api.updates.changed.notify()

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.finish(body)

    def _hang_up(self) -> None:
        """Closes the connection without an answer, as a dying proxy does."""
        connection = self.request.connection
        assert isinstance(connection, tornado.http1connection.HTTP1Connection)  # tornado's server
        connection.close()
        self._finished = True


class _ApiHandler(_Handler):
    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def _serve(self, token: str, method: str) -> None:
        emulator = self.emulator
        if token != emulator.token:
            error = ApiError(401, "Unauthorized")
            self._send(401, json.dumps(error.body()).encode())
            return
        try:
            params = _decode(self.request)
        except ApiError as error:
            self._send(error.code, json.dumps(error.body()).encode())
            return
        fault = emulator._draw_fault(method)
        if fault == "drop":
            emulator.api.stats["fault_drop"] += 1
            emulator.api.log(emulator.api.canonical(method) or method, params, 0, "injected drop")
            self._hang_up()
            return
        if fault == "slow":
            emulator.api.stats["fault_slow"] += 1
            await asyncio.sleep(emulator.slow_delay)
        elif fault in ("429", "500", "502"):
            status, body = emulator._fault_answer(method, params, fault)
            html = fault == "502"
            self._send(status, body, "text/html" if html else "application/json")
            return
        status, answer = await emulator.api.handle(method, params, self.closed)
        if fault == "lost_reply":
            emulator.api.stats["fault_lost_reply"] += 1
            self._hang_up()
            return
        if self.closed.is_set():
            return
        self._send(status, json.dumps(answer, ensure_ascii=False).encode("utf-8"))


class _FileHandler(_Handler):
    async def get(self, token: str, file_path: str) -> None:
        data = self.emulator.api.download(token, file_path)
        if data is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            self._send(404, json.dumps(body).encode())
            return
        self._send(200, data, "application/octet-stream")


class _NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
