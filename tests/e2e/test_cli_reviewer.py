"""``cebot reviewer add|list`` as real processes: the operator's way to create reviewers."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from domain.clock import FixedClock
from domain.services import auth
from storage.crypto import FieldCipher, Keyring
from storage.db import is_sqlite, make_engine
from storage.migrate import upgrade_engine
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory
from tests.services.test_classes import make_id

CEBOT = [sys.executable, "-m", "bot.cli"]
ID_NUMBER = make_id("42010019750505002")
MASKED = ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]
PASSWORD = "运营给的初始密码 2026"


async def cebot(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *CEBOT,
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_reviewer_add_then_login(
    empty_database_url: str,
    tmp_path: Path,
    keyring: Keyring,
    hasher: Argon2PasswordHasher,
    clock: FixedClock,
) -> None:
    engine = make_engine(empty_database_url)
    if not is_sqlite(engine):  # PostgreSQL is migrated by the operator; SQLite by cebot itself
        await upgrade_engine(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(
        CEBOT_DATABASE_URL=empty_database_url,
        CEBOT_DATA_DIR=str(tmp_path / "data"),
        CEBOT_SECRET_KEYS=keyring.to_json(),
        CEBOT_REVIEWER_PASSWORD=PASSWORD,
    )
    try:
        add = ["reviewer", "add", "--name", "周审核", "--id-number", ID_NUMBER]
        code, out, err = await cebot(
            env, *add, "--mobile", "13600001111", "--region", "武汉", "--region", "宜昌市"
        )
        assert code == 0, err
        assert MASKED in out and ID_NUMBER not in out and PASSWORD not in out + err

        code, out, err = await cebot(env, *add, "--mobile", "13600001111")
        assert code == 1 and "已是系统用户" in err

        code, out, err = await cebot(env, "reviewer", "list")
        assert code == 0, err
        assert "周审核" in out and MASKED in out and "武汉市、宜昌市" in out
        assert ID_NUMBER not in out

        uow_factory = UnitOfWorkFactory(engine, FieldCipher(keyring))
        async with uow_factory() as uow:
            outcome = await auth.login(
                uow,
                hasher,
                clock,
                telegram_user_id=5005,
                id_number=ID_NUMBER,
                password=PASSWORD,
            )
        assert outcome.user.is_reviewer and outcome.needs_password_change
        assert outcome.user.reviewer_regions == ("武汉市", "宜昌市")
        assert outcome.bases == []
    finally:
        await engine.dispose()
