"""All configuration in one place: ``CEBOT_*`` environment variables and an optional ``.env`` file.

Defaults suit a single machine (SQLite under ``var/``). A wrong value stops start-up with one line
that names the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.planning import ReminderRules

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
    reminders: ReminderRules
    outbox_lease: timedelta

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
        timezone = _timezone(env.get("CEBOT_TIMEZONE") or "Asia/Shanghai")
        return cls(
            database_url=database_url,
            data_dir=data_dir,
            telegram_token=_token(env.get("CEBOT_TELEGRAM_TOKEN")),
            bot_api_url=_bot_api_url(env.get("CEBOT_BOT_API_URL") or DEFAULT_BOT_API_URL),
            timezone=timezone,
            secret_keys=env.get("CEBOT_SECRET_KEYS") or None,
            session_idle=_minutes(env, "CEBOT_SESSION_IDLE_MINUTES", 30),
            session_lifetime=_minutes(env, "CEBOT_SESSION_LIFETIME_MINUTES", 12 * 60),
            log_level=_log_level(env.get("CEBOT_LOG_LEVEL") or "INFO"),
            reminders=_reminder_rules(env, timezone),
            outbox_lease=timedelta(seconds=_seconds(env, "CEBOT_OUTBOX_LEASE_SECONDS", 120)),
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


def _reminder_rules(env: Mapping[str, str], timezone: ZoneInfo) -> ReminderRules:
    """The issue's defaults unless the operator says otherwise (docs/decisions.md, Reminders)."""
    defaults = ReminderRules(timezone=timezone)
    raw_days = env.get("CEBOT_REMINDER_DAYS_BEFORE")
    offsets = defaults.offsets_days
    if raw_days:
        try:
            offsets = tuple(sorted({int(part) for part in raw_days.split(",")}, reverse=True))
        except ValueError:
            offsets = ()
        if not offsets or any(not 0 <= day <= 365 for day in offsets):
            raise ConfigError(
                "CEBOT_REMINDER_DAYS_BEFORE must list whole days from 0 to 365 "
                f"separated by commas (e.g. 14,7,3,1,0), not {raw_days!r}"
            )
    every = _days(env, "CEBOT_REMINDER_OVERDUE_EVERY_DAYS", defaults.overdue_every_days)
    for_days = _days(env, "CEBOT_REMINDER_OVERDUE_FOR_DAYS", defaults.overdue_for_days)
    quiet_from, quiet_until = defaults.quiet_from, defaults.quiet_until
    raw_quiet = env.get("CEBOT_QUIET_HOURS")
    if raw_quiet:
        start, sep, end = raw_quiet.partition("-")
        quiet_from = _clock_time("CEBOT_QUIET_HOURS", start, raw_quiet)
        quiet_until = _clock_time("CEBOT_QUIET_HOURS", end if sep else "", raw_quiet)
    morning = defaults.morning
    if env.get("CEBOT_REMINDER_TIME"):
        morning = _clock_time("CEBOT_REMINDER_TIME", env["CEBOT_REMINDER_TIME"], None)
    rules = ReminderRules(
        offsets_days=offsets,
        overdue_every_days=every,
        overdue_for_days=for_days,
        quiet_from=quiet_from,
        quiet_until=quiet_until,
        morning=morning,
        timezone=timezone,
    )
    if rules.is_quiet(datetime.combine(datetime.now(timezone).date(), morning, tzinfo=timezone)):
        raise ConfigError(
            f"CEBOT_REMINDER_TIME {morning:%H:%M} falls in the quiet hours "
            f"{quiet_from:%H:%M}-{quiet_until:%H:%M}: no reminder would ever be sent"
        )
    return rules


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 2 <= int(raw) <= 3600:
        raise ConfigError(f"{name} must be a whole number of seconds from 2 to 3600, not {raw!r}")
    return int(raw)


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= 365:
        raise ConfigError(f"{name} must be a whole number of days from 0 to 365, not {raw!r}")
    return int(raw)


def _clock_time(name: str, value: str, whole: str | None) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        shown = whole if whole is not None else value
        example = "21:00-08:00" if whole is not None else "08:30"
        raise ConfigError(f"{name} must look like {example}, not {shown!r}") from None
