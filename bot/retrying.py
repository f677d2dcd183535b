"""Bot API calls that meet a 5xx or a broken connection are tried again, a few times, at once.

python-telegram-bot retries only a 429 (through its rate limiter); a 500, a 502 from a proxy, a
connection dropped or a timeout raise ``NetworkError`` into the handler, and the answer the person
waits for is lost: bot/errors.py cannot apologise either, Telegram being out of reach. The fault
soak (tests/soak) lost about one answer a minute that way at 10% faults. So the rate limiter,
which every call goes through, also retries network errors ``network_retries`` times with a short
back-off.

A retry may repeat something that did happen: the reply to the first try can be lost after
Telegram did the work. A duplicate answer is better than none; and where the retry's refusal
proves the first try landed (the edit "is not modified", the callback query "is too old", the
message "to delete not found"), the call counts as done instead of failing the handler.

An answer to a callback query refused as too old is never an error: it only stops the button's
spinner, and a press handled again after a restart (``bot/intake.py`` acknowledges updates only
once handled) always carries an old query. The handler goes on and says what it has to say.

Not retried here: getUpdates (python-telegram-bot never passes it to a rate limiter, and the
poller has its own loop whose offset acknowledges updates), and a call that brings its own
policy with ``rate_limit_args=OWN_POLICY`` (the outbox dispatcher backs off in the database and
counts attempts, scheduler/dispatch.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter, BaseRateLimiter

log = logging.getLogger("cebot.retrying")

NETWORK_RETRIES = 3
BACKOFF_FIRST = 0.5
NOT_RETRIED = frozenset({"getupdates"})
OLD_QUERY = ("query is too old", "query id is invalid")
LANDED = ("message is not modified", *OLD_QUERY, "to delete not found")
"""Refusals of a retry that mean the first try was done after all."""


@dataclass(frozen=True)
class Policy:
    """``rate_limit_args`` for one call: how many 429s to wait out (None: the limiter's
    default) and whether network errors are retried here."""

    max_429_retries: int | None = None
    network: bool = True


OWN_POLICY = Policy(network=False)

RateLimitArgs: TypeAlias = int | Policy
"""What a call may pass as ``rate_limit_args``: a bare number of 429s (python-telegram-bot's
own convention) or a :class:`Policy`."""


class RetryingRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """Retries network errors around python-telegram-bot's ``AIORateLimiter``, which throttles
    and waits out 429s. It wraps that limiter rather than subclassing it, so that the type of
    its ``rate_limit_args`` (and so of the bot's) can say a :class:`Policy` is welcome."""

    def __init__(
        self,
        *,
        network_retries: int = NETWORK_RETRIES,
        backoff: float = BACKOFF_FIRST,
        max_retries: int = 0,
    ) -> None:
        self.throttle = AIORateLimiter(max_retries=max_retries)
        self.network_retries = network_retries
        self.backoff = backoff

    async def initialize(self) -> None:
        await self.throttle.initialize()

    async def shutdown(self) -> None:
        await self.throttle.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[Any]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[Any]:
        policy = rate_limit_args if isinstance(rate_limit_args, Policy) else Policy(rate_limit_args)
        retries = self.network_retries if policy.network else 0
        if endpoint.lower() in NOT_RETRIED:
            retries = 0
        failed_before = False
        for attempt in range(retries + 1):
            try:
                return await self.throttle.process_request(
                    callback, args, kwargs, endpoint, data, policy.max_429_retries
                )
            except BadRequest as refused:
                reason = str(refused).lower()
                late = any(s in reason for s in OLD_QUERY)
                if late and endpoint.lower() == "answercallbackquery":
                    log.info("a callback query answered too late, left unanswered: %s", refused)
                    return True
                if failed_before and any(s in reason for s in LANDED):
                    log.info("%s landed before its retry: %s", endpoint, refused)
                    return True
                raise
            except NetworkError as error:
                if attempt == retries:
                    raise
                failed_before = True
                delay = self.backoff * 2**attempt
                log.warning(
                    "%s failed (%s); retry %d in %.1f s", endpoint, error, attempt + 1, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
