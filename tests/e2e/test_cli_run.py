"""``cebot run`` as a real process against the emulator: long polling and webhook mode."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import Emulator
from storage.crypto import Keyring

CEBOT = [sys.executable, "-m", "bot.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


def environment(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(
        CEBOT_TELEGRAM_TOKEN=emu.token,
        CEBOT_BOT_API_URL=emu.root_url,
        CEBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cebot.db'}",
        CEBOT_DATA_DIR=str(tmp_path / "data"),
        CEBOT_SECRET_KEYS=Keyring.generate().to_json(),
    )
    return env


async def answer_to_start(emu: Emulator) -> str:
    user = emu.user(user_id=4242, first_name="测试", language_code="zh-hans")
    await user.send_text("/start")
    message = await user.wait_for_bot_message(timeout=30)
    return message.text or ""


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_run_answers_over_long_polling_and_registers_commands(
    emu: Emulator, tmp_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        *CEBOT,
        "run",
        env=environment(emu, tmp_path),
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert "/login" in await answer_to_start(emu)
        assert "登录" in json.dumps(emu.commands, ensure_ascii=False)
    finally:
        await stop(process)
    assert (tmp_path / "cebot.db").exists()


async def test_run_in_webhook_mode_checks_the_secret_token(emu: Emulator, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    process = await asyncio.create_subprocess_exec(
        *CEBOT,
        "run",
        "--webhook-url",
        url,
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        "--secret-token",
        "s3cret-token",
        env=environment(emu, tmp_path),
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert "/login" in await answer_to_start(emu)
        forged = urllib.request.Request(
            url,
            data=b'{"update_id": 1}',
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": "wrong",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            await asyncio.to_thread(urllib.request.urlopen, forged, timeout=10)
        assert refused.value.code == 403
        health = await asyncio.to_thread(
            urllib.request.urlopen, f"http://127.0.0.1:{port}/healthz", timeout=10
        )
        state = json.loads(health.read())
        assert health.status == 200 and state["status"] == "active"
        assert state["mode"] == "webhook" and state["updates_in_hand"] in (0, 1)
    finally:
        await stop(process)


async def test_a_wrong_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env["CEBOT_TIMEZONE"] = "Mars/Olympus"
    process = await asyncio.create_subprocess_exec(
        *CEBOT,
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "CEBOT_TIMEZONE" in lines[0]
