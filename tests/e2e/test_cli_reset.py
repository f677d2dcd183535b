"""``cebot user reset-password`` and ``cebot reviewer reset-password|deactivate|activate|regions|
list`` as real processes (issue 16): the operator's way back in for anyone."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from domain.clock import FixedClock
from domain.services import auth
from storage.crypto import FieldCipher, Keyring
from storage.db import is_sqlite, make_engine
from storage.migrate import upgrade_engine
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory
from tests.e2e.test_cli_reviewer import CEBOT, ID_NUMBER, MASKED, PASSWORD, cebot

ONE_TIME = re.compile(r"one-time password: (\S+)")
CHOSEN = "运维选的一次性密码 77"


async def cebot_with_input(env: dict[str, str], stdin: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *CEBOT,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_operator_resets_deactivates_activates_and_assigns_regions(
    database_url: str,
    tmp_path: Path,
    keyring: Keyring,
    hasher: Argon2PasswordHasher,
    clock: FixedClock,
) -> None:
    engine = make_engine(database_url)
    if not is_sqlite(engine):
        await upgrade_engine(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(
        CEBOT_DATABASE_URL=database_url,
        CEBOT_DATA_DIR=str(tmp_path / "data"),
        CEBOT_SECRET_KEYS=keyring.to_json(),
        CEBOT_REVIEWER_PASSWORD=PASSWORD,
    )
    units = UnitOfWorkFactory(engine, FieldCipher(keyring))

    async def logs_in(password: str) -> bool:
        async with units() as uow:
            try:
                outcome = await auth.login(
                    uow,
                    hasher,
                    clock,
                    telegram_user_id=5005,
                    id_number=ID_NUMBER,
                    password=password,
                )
            except Exception:
                return False
        return outcome.needs_password_change

    try:
        add = ["reviewer", "add", "--name", "周审核", "--id-number", ID_NUMBER]
        code, _out, err = await cebot(env, *add, "--mobile", "13600001111", "--region", "武汉")
        assert code == 0, err
        code, out, err = await cebot(env, "reviewer", "list")
        assert code == 0 and "active 武汉市" in out, err

        code, out, err = await cebot(env, "user", "reset-password", "--id-number", ID_NUMBER)
        assert code == 0, err
        found = ONE_TIME.search(out)
        assert found is not None and MASKED in out and ID_NUMBER not in out
        one_time = found.group(1)
        assert not await logs_in(PASSWORD) and await logs_in(one_time)

        code, out, err = await cebot_with_input(
            env, CHOSEN + "\n", "reviewer", "reset-password", "--id-number", ID_NUMBER, "--stdin"
        )
        assert code == 0, err
        assert CHOSEN not in out + err and "one-time password" not in out  # never echoed
        assert await logs_in(CHOSEN)
        code, out, err = await cebot_with_input(
            env, "1234\n", "user", "reset-password", "--id-number", ID_NUMBER, "--stdin"
        )
        assert code == 1 and "密码至少需要" in err  # the policy holds for a chosen one
        code, out, err = await cebot_with_input(
            env, "", "user", "reset-password", "--id-number", ID_NUMBER, "--stdin"
        )
        assert code == 1 and "no password" in err

        code, out, err = await cebot(env, "reviewer", "deactivate", "--id-number", ID_NUMBER)
        assert code == 0 and "deactivated" in out and "1 open session(s) ended" in out, err
        code, out, err = await cebot(env, "reviewer", "list")
        assert "deactivated 武汉市" in out
        assert not await logs_in(CHOSEN)
        code, out, err = await cebot(env, "reviewer", "reset-password", "--id-number", ID_NUMBER)
        assert code == 1 and "请先启用" in err and "one-time" not in out
        code, out, err = await cebot(env, "user", "reset-password", "--id-number", ID_NUMBER)
        assert code == 1 and "请先启用" in err

        reviewer_id = re.search(r"#(\d+) 周审核", (await cebot(env, "reviewer", "list"))[1])
        assert reviewer_id is not None
        code, out, err = await cebot(env, "reviewer", "activate", "--id", reviewer_id.group(1))
        assert code == 0 and "activated" in out, err
        assert await logs_in(CHOSEN)
        code, out, err = await cebot(
            env,
            "reviewer",
            "regions",
            "--id-number",
            ID_NUMBER,
            "--region",
            "宜昌",
            "--region",
            "武汉",
        )
        assert code == 0 and "武汉市、宜昌市" in out, err
        code, out, err = await cebot(env, "reviewer", "regions", "--id", "999", "--all-regions")
        assert code == 1 and "没有这位审核员" in err
        code, out, err = await cebot(
            env, "reviewer", "regions", "--id-number", ID_NUMBER, "--all-regions"
        )
        assert code == 0 and "全省" in out, err
        code, out, err = await cebot(env, "reviewer", "list")
        assert "active 全省" in out
    finally:
        await engine.dispose()
