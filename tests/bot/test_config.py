from datetime import datetime, time
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings


def test_defaults_suit_a_single_machine() -> None:
    settings = Settings.from_mapping({})
    assert settings.database_url == "sqlite+aiosqlite:///var/cebot.db"
    assert settings.data_dir == Path("var")
    assert settings.bot_base_url == "https://api.telegram.org/bot"
    assert settings.bot_file_url == "https://api.telegram.org/file/bot"
    assert str(settings.timezone) == "Asia/Shanghai"
    assert settings.telegram_token is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CEBOT_DATABASE_URL", "mysql://root@localhost/x"),
        ("CEBOT_TELEGRAM_TOKEN", "not-a-token"),
        ("CEBOT_BOT_API_URL", "ftp://example.org"),
        ("CEBOT_TIMEZONE", "Mars/Olympus"),
        ("CEBOT_SESSION_IDLE_MINUTES", "-5"),
        ("CEBOT_LOG_LEVEL", "LOUD"),
        ("CEBOT_REMINDER_DAYS_BEFORE", "7,three"),
        ("CEBOT_REMINDER_DAYS_BEFORE", "400"),
        ("CEBOT_REMINDER_OVERDUE_EVERY_DAYS", "-1"),
        ("CEBOT_QUIET_HOURS", "21:00"),
        ("CEBOT_REMINDER_TIME", "8.30"),
        ("CEBOT_REMINDER_TIME", "22:00"),  # inside the quiet hours: nothing would ever go
    ],
)
def test_a_wrong_value_is_named_in_one_line(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_mapping({variable: value})
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message


def test_missing_token_is_named_when_needed() -> None:
    with pytest.raises(ConfigError, match="CEBOT_TELEGRAM_TOKEN"):
        Settings.from_mapping({}).require_token()


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# local settings\nCEBOT_TIMEZONE='Asia/Urumqi'\nexport CEBOT_LOG_LEVEL=debug\n",
        encoding="utf-8",
    )
    settings = Settings.load({"CEBOT_LOG_LEVEL": "WARNING"}, env_file=env_file)
    assert str(settings.timezone) == "Asia/Urumqi"
    assert settings.log_level == "WARNING"


def test_bot_api_url_is_trimmed_of_trailing_slash() -> None:
    settings = Settings.from_mapping({"CEBOT_BOT_API_URL": "http://127.0.0.1:8081/"})
    assert settings.bot_base_url == "http://127.0.0.1:8081/bot"


def test_reminder_rules_default_to_the_issue_and_follow_the_environment() -> None:
    defaults = Settings.from_mapping({}).reminders
    assert defaults.offsets_days == (14, 7, 3, 1, 0)
    assert (defaults.overdue_every_days, defaults.overdue_for_days) == (3, 30)
    assert (defaults.quiet_from, defaults.quiet_until, defaults.morning) == (
        time(21),
        time(8),
        time(8, 30),
    )
    custom = Settings.from_mapping(
        {
            "CEBOT_TIMEZONE": "Europe/Berlin",
            "CEBOT_REMINDER_DAYS_BEFORE": "1, 10,0,10",
            "CEBOT_REMINDER_OVERDUE_EVERY_DAYS": "7",
            "CEBOT_REMINDER_OVERDUE_FOR_DAYS": "0",
            "CEBOT_QUIET_HOURS": "12:00-13:30",
            "CEBOT_REMINDER_TIME": "09:15",
        }
    ).reminders
    assert custom.offsets_days == (10, 1, 0)
    assert (custom.overdue_every_days, custom.overdue_for_days) == (7, 0)
    assert str(custom.timezone) == "Europe/Berlin" and custom.morning == time(9, 15)
    noon = datetime(2026, 12, 1, 12, 30, tzinfo=custom.timezone)
    assert custom.is_quiet(noon) and not custom.is_quiet(noon.replace(hour=22))
