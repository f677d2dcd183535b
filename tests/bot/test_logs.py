"""Log lines name the update and user being handled, as text or JSON, and never a full ID number."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.logs import configure_logging, log_format, make_handler, mask_id_numbers
from bot.processor import PerChatUpdateProcessor
from tests.bot.test_processor import update

ID_NUMBER = "11010519491231002X"
ID_DIGITS = "420106199001011231"

# The logger under test, the stream its handlers write to, and the handlers to remove after.
Captured = tuple[logging.Logger, io.StringIO, list[logging.Handler]]


@pytest.fixture
def captured() -> Iterator[Captured]:
    stream = io.StringIO()
    logger = logging.getLogger("cebot.test_logs")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handlers: list[logging.Handler] = []
    yield logger, stream, handlers
    for handler in handlers:
        logger.removeHandler(handler)


def attach(fixture: Captured, fmt: str) -> tuple[logging.Logger, io.StringIO]:
    logger, stream, handlers = fixture
    handler = make_handler(fmt, stream)
    logger.addHandler(handler)
    handlers.append(handler)
    return logger, stream


def test_id_numbers_are_masked_wherever_they_hide() -> None:
    assert mask_id_numbers(f"id={ID_NUMBER}.") == "id=110***********002X."
    assert mask_id_numbers(f"身份证{ID_DIGITS}已") == "身份证420***********1231已"
    assert mask_id_numbers(ID_NUMBER.lower()) == "110***********002x"
    # Shorter or longer runs of digits (update ids, amounts, timestamps) are left alone.
    assert mask_id_numbers("12345678901234567") == "12345678901234567"
    assert mask_id_numbers("1234567890123456789") == "1234567890123456789"


def test_the_filter_masks_the_format_the_arguments_and_the_traceback(captured: Captured) -> None:
    logger, stream = attach(captured, "text")
    logger.info(f"typed {ID_NUMBER}")
    logger.info("looked up %s and %d", ID_DIGITS, int(ID_DIGITS))
    logger.info("draft %s", {"id_number": ID_NUMBER})
    try:
        raise ValueError(f"no user {ID_NUMBER}")
    except ValueError:
        logger.exception("failed")
    output = stream.getvalue()
    assert ID_NUMBER not in output and ID_DIGITS not in output
    assert output.count("110***********002X") == 3
    assert output.count("420***********1231") == 2
    assert "ValueError: no user 110***********002X" in output


def test_json_lines_carry_the_update_and_the_user(captured: Captured) -> None:
    logger, stream = attach(captured, "json")
    logger.warning("outside any update")
    processor = PerChatUpdateProcessor()

    async def handler(n: int) -> None:
        await asyncio.sleep(0.01 * (3 - n))  # finish out of order: the ids must not mix
        logger.info("handling %d", n)

    async def both() -> None:
        await asyncio.gather(
            *(
                asyncio.create_task(processor.process_update(update(n, 100 + n), handler(n)))
                for n in (1, 2)
            )
        )

    asyncio.run(both())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["update_id"] is None and lines[0]["user_id"] is None
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "cebot.test_logs"
    by_message = {line["message"]: line for line in lines[1:]}
    assert by_message["handling 1"]["update_id"] == 1
    assert by_message["handling 1"]["user_id"] == 101
    assert by_message["handling 2"]["update_id"] == 2
    assert by_message["handling 2"]["user_id"] == 102
    assert all(line["time"].endswith("+00:00") for line in lines)


def test_text_lines_name_the_update_only_while_one_is_handled(captured: Captured) -> None:
    logger, stream = attach(captured, "text")
    processor = PerChatUpdateProcessor()

    async def handler() -> None:
        logger.info("inside")

    logger.info("before")
    asyncio.run(processor.process_update(update(41, 7), handler()))
    logger.info("after")
    before, inside, after = stream.getvalue().splitlines()
    assert before.endswith("cebot.test_logs: before")
    assert inside.endswith("cebot.test_logs: inside [update=41 user=7]")
    assert after.endswith("cebot.test_logs: after")


def test_the_format_comes_from_the_environment_or_dot_env(tmp_path: Path) -> None:
    missing = tmp_path / "none.env"
    assert log_format({}, missing) == "text"
    assert log_format({"CEBOT_LOG_FORMAT": "JSON"}, missing) == "json"
    dot_env = tmp_path / ".env"
    dot_env.write_text("CEBOT_LOG_FORMAT=json\n", encoding="utf-8")
    assert log_format({}, dot_env) == "json"
    with pytest.raises(ConfigError, match="CEBOT_LOG_FORMAT"):
        log_format({"CEBOT_LOG_FORMAT": "xml"}, missing)


def test_debug_never_opens_telegrams_raw_updates() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("telegram").level)
    try:
        configure_logging("DEBUG", "json")
        assert root.level == logging.DEBUG
        assert logging.getLogger("telegram").getEffectiveLevel() == logging.INFO
        configure_logging("WARNING")
        assert logging.getLogger("telegram").getEffectiveLevel() == logging.WARNING
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.getLogger("telegram").setLevel(saved[2])
