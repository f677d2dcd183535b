"""Logging set-up: text or JSON lines, each record naming the update and user being handled.

The update processor sets a context variable around each update, so every line logged while
handling it (by our code, python-telegram-bot or SQLAlchemy) carries ``update_id`` and
``user_id`` without being passed around. A filter on the handler masks anything shaped like an
18-character ID-card number in the message, its arguments and the traceback: a safety net behind
the rule that handlers log masked numbers only. Passwords are never logged anywhere; no filter
could recognise one, so python-telegram-bot, which logs raw updates at DEBUG, is never let
below INFO.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TextIO

from bot.config import ConfigError, read_env_file

FORMAT_ENV: Final = "CEBOT_LOG_FORMAT"
FORMATS: Final = ("text", "json")
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# 17 digits and a digit or X, not inside a longer run of digits: the GB 11643 shape. A looser net
# than domain.validators (no birth date or check character), on purpose: a mistyped number is
# still somebody's number.
_ID_NUMBER_LIKE: Final = re.compile(r"(?<!\d)(\d{3})\d{11}(\d{3}[\dXx])(?!\d)")
_MASK: Final = r"\1***********\2"


@dataclass(frozen=True)
class UpdateIds:
    update_id: int | None
    user_id: int | None


_current: ContextVar[UpdateIds | None] = ContextVar("cebot_update", default=None)


def ids_of(update: object) -> UpdateIds:
    """Duck-typed so that this module needs no Telegram import: ``update_id`` and the user."""
    update_id = getattr(update, "update_id", None)
    user = getattr(update, "effective_user", None)
    user_id = getattr(user, "id", None)
    return UpdateIds(
        update_id if isinstance(update_id, int) else None,
        user_id if isinstance(user_id, int) else None,
    )


@contextmanager
def update_context(update: object) -> Iterator[UpdateIds]:
    """Everything logged inside (in this task and tasks it starts) names this update."""
    ids = ids_of(update)
    token = _current.set(ids)
    try:
        yield ids
    finally:
        _current.reset(token)


def current_update() -> UpdateIds | None:
    return _current.get()


def mask_id_numbers(text: str) -> str:
    return _ID_NUMBER_LIKE.sub(_MASK, text)


class ContextFilter(logging.Filter):
    """Adds ``update_id`` and ``user_id`` (None outside an update) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = _current.get()
        record.update_id = ids.update_id if ids else None
        record.user_id = ids.user_id if ids else None
        return True


class IdNumberMaskFilter(logging.Filter):
    """Renders the message once, masks ID-card-number-shaped strings in it and in the traceback.

    The arguments are merged into the message first (then dropped), so a number passed as an
    argument, an int or inside a dict is caught as well as one in the format string.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg = mask_id_numbers(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_id_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_id_numbers(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """The classic line, with ``update=… user=…`` appended while an update is handled."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        update_id = getattr(record, "update_id", None)
        user_id = getattr(record, "user_id", None)
        if update_id is None and user_id is None:
            return line
        head, newline, tail = line.partition("\n")
        return f"{head} [update={update_id} user={user_id}]{newline}{tail}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, ids, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "update_id": getattr(record, "update_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def log_format(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> str:
    """``CEBOT_LOG_FORMAT`` from the environment, else ``.env``, else ``text``."""
    env = read_env_file(env_file or Path(".env"))
    env.update(environ if environ is not None else os.environ)
    value = (env.get(FORMAT_ENV) or "text").strip().lower()
    if value not in FORMATS:
        raise ConfigError(f"{FORMAT_ENV} must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def make_handler(fmt: str, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(IdNumberMaskFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    return handler


def configure_logging(level: str, fmt: str = "text") -> None:
    """Replaces the root logger's handlers with one filtered handler on stderr.

    stderr, not a file: systemd's journal (or the container runtime) collects and rotates it.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(fmt))
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # python-telegram-bot's debug output holds raw updates and API calls, i.e. whatever people
    # typed, passwords included: CEBOT_LOG_LEVEL=DEBUG is for our code, never for that.
    quiet = max(logging.INFO, logging.getLevelNamesMapping().get(level.upper(), logging.INFO))
    logging.getLogger("telegram").setLevel(quiet)
