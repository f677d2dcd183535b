"""``cebot run`` as a real process against the emulator: long polling and webhook mode."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import Emulator
from storage.crypto import Keyring
from storage.db import is_sqlite, make_engine
from storage.migrate import upgrade_engine
from storage.processes import ACTIVE, STANDBY, HeldKeys, ProcessRecord, census
from tests.e2e.processes import CEBOT_RUN, Process, answer_to_start, run_environment, stop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


def environment(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    return run_environment(
        emu,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cebot.db'}",
        data=tmp_path / "data",
        keyring=Keyring.generate(),
    )


async def test_run_answers_over_long_polling_and_registers_commands(
    emu: Emulator, tmp_path: Path
) -> None:
    process = await Process.start(environment(emu, tmp_path), tmp_path)
    try:
        assert "/login" in await answer_to_start(emu)
        assert "登录" in json.dumps(emu.commands, ensure_ascii=False)
    finally:
        await process.close()
    assert (tmp_path / "cebot.db").exists()


async def test_run_in_webhook_mode_checks_the_secret_token(emu: Emulator, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    process = await Process.start(
        environment(emu, tmp_path),
        tmp_path,
        "--webhook-url",
        url,
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        "--secret-token",
        "s3cret-token",
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
        await process.close()


async def test_a_wrong_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env["CEBOT_TIMEZONE"] = "Mars/Olympus"
    process = await asyncio.create_subprocess_exec(
        *CEBOT_RUN,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "CEBOT_TIMEZONE" in lines[0]


async def test_run_announces_itself_standing_by_and_active_and_withdraws_on_sigterm(
    emu: Emulator, tmp_path: Path, empty_database_url: str
) -> None:
    env = environment(emu, tmp_path)
    env["CEBOT_DATABASE_URL"] = empty_database_url
    keys = HeldKeys.of(Keyring.from_json(env["CEBOT_SECRET_KEYS"]))
    engine = make_engine(empty_database_url)
    if not is_sqlite(engine):  # PostgreSQL is migrated by the operator; SQLite by cebot itself
        await upgrade_engine(engine)
    started: list[asyncio.subprocess.Process] = []
    logs: list[Path] = []

    async def start(name: str) -> asyncio.subprocess.Process:
        logs.append(tmp_path / f"{name}.log")
        with logs[-1].open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *CEBOT_RUN,
                env=env,
                cwd=tmp_path,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        started.append(process)
        return process

    async def row_of(process: asyncio.subprocess.Process, role: str) -> ProcessRecord:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.returncode is None:
            found = await census(engine)
            for record in found.live if found is not None else []:
                if f":{process.pid}:" in record.process_id and record.role == role:
                    return record
            await asyncio.sleep(0.1)
        said = "".join(log.read_text() for log in logs)
        raise AssertionError(f"no {role} row for pid {process.pid}:\n{said}")

    try:
        first = await start("first")
        assert "/login" in await answer_to_start(emu)
        active = await row_of(first, ACTIVE)
        second = await start("second")
        standby = await row_of(second, STANDBY)
        assert active.keys == keys and standby.keys == keys
        assert active.heartbeat.total_seconds() == 5 and active.started_at <= active.seen_at

        deadline = time.monotonic() + 3 * active.heartbeat.total_seconds()
        while True:  # both keep their rows fresh
            found = await census(engine)
            assert found is not None and found.dead == []
            seen = {r.process_id: r.seen_at for r in found.live}
            if (
                seen[active.process_id] > active.seen_at
                and seen[standby.process_id] > standby.seen_at
            ):
                break
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.2)

        await stop(second)  # a standby, too, stops cleanly on SIGTERM and takes its row along
        assert second.returncode == 0
        found = await census(engine)
        assert found is not None
        assert [r.process_id for r in found.live] == [active.process_id] and found.dead == []

        await stop(first)
        assert first.returncode == 0
        found = await census(engine)
        assert found is not None and found.live == [] and found.dead == []
    finally:
        for process in started:
            await stop(process)
        await engine.dispose()
