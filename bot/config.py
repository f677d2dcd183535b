"""All configuration in one place: ``CEBOT_*`` environment variables and an optional ``.env`` file.

Defaults suit a single machine (SQLite under ``var/``). A wrong value stops start-up with one line
that names the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_BOT_API_URL = "https://api.telegram.org"


class ConfigError(ValueError):
    """One clear line naming the variable and what is wrong with it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    telegram_token: str | None
    bot_api_url: str
    timezone: ZoneInfo
    secret_keys: str | None
    session_idle: timedelta
    session_lifetime: timedelta
    log_level: str

    @property
    def bot_base_url(self) -> str:
        return f"{self.bot_api_url}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{self.bot_api_url}/file/bot"

    def require_token(self) -> str:
        if not self.telegram_token:
            raise ConfigError("CEBOT_TELEGRAM_TOKEN is not set: get a token from @BotFather")
        return self.telegram_token

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Settings:
        """Environment first, then ``.env`` (in the working directory unless told otherwise)."""
        env: dict[str, str] = read_env_file(env_file or Path(".env"))
        env.update(environ if environ is not None else os.environ)
        return cls.from_mapping(env)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        data_dir = Path(env.get("CEBOT_DATA_DIR") or "var")
        database_url = (
            env.get("CEBOT_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'cebot.db'}"
        )
        _check_database_url(database_url)
        return cls(
            database_url=database_url,
            data_dir=data_dir,
            telegram_token=_token(env.get("CEBOT_TELEGRAM_TOKEN")),
            bot_api_url=_bot_api_url(env.get("CEBOT_BOT_API_URL") or DEFAULT_BOT_API_URL),
            timezone=_timezone(env.get("CEBOT_TIMEZONE") or "Asia/Shanghai"),
            secret_keys=env.get("CEBOT_SECRET_KEYS") or None,
            session_idle=_minutes(env, "CEBOT_SESSION_IDLE_MINUTES", 30),
            session_lifetime=_minutes(env, "CEBOT_SESSION_LIFETIME_MINUTES", 12 * 60),
            log_level=_log_level(env.get("CEBOT_LOG_LEVEL") or "INFO"),
        )


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; optional single or double quotes."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.removeprefix("export ").partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _check_database_url(url: str) -> None:
    scheme = url.split("://", 1)[0]
    if scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg", "postgresql"}:
        raise ConfigError(
            "CEBOT_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"not {scheme}://"
        )


def _token(value: str | None) -> str | None:
    if not value:
        return None
    head, sep, tail = value.partition(":")
    if not sep or not head.isdigit() or not tail:
        raise ConfigError("CEBOT_TELEGRAM_TOKEN does not look like a bot token (123456:ABC...)")
    return value


def _bot_api_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"CEBOT_BOT_API_URL must be an http(s) URL, not {value!r}")
    return value.rstrip("/")


def _timezone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"CEBOT_TIMEZONE {value!r} is not a known time zone") from None


def _minutes(env: Mapping[str, str], name: str, default: int) -> timedelta:
    raw = env.get(name)
    if not raw:
        return timedelta(minutes=default)
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive whole number of minutes, not {raw!r}")
    return timedelta(minutes=int(raw))


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"CEBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {value!r}")
    return level
