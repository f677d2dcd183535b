"""Bases full of logged-in admins, inserted in bulk, for the rows that chat with the whole bot.

Every admin of the update rows has an open session (logged in a minute ago, base chosen) and a
role with every permission, so the menu shows every module and 权限管理 lists the base's admins,
several pages of them; nobody has to type a password before the clock starts. The bases, users,
roles and memberships are built as the reminder rows build theirs
(``tests.bench.arrange_reminders.admin_tables``: the rows the services would have written, ID and
mobile numbers encrypted, the blind index set); one bulk insert a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.permissions import Permission
from storage.db import is_sqlite
from storage.models import LoginSessionRow
from storage.uow import UnitOfWorkFactory
from tests.bench.arrange_reminders import NOW, admin_tables, bulk, membership

FIRST_ADMIN_CHAT = 700_000_000
"""Telegram user ids of the update rows' admins start here."""
EVERYTHING = sorted(p.value for p in Permission)


@dataclass(frozen=True)
class Admins:
    """Who was arranged: the Telegram ids, in order, and the base each one manages."""

    chats: list[int]
    bases: int
    per_base: int


def open_session(chat: int, user_id: int, base_id: int) -> dict[str, Any]:
    return {
        "telegram_user_id": chat,
        "user_id": user_id,
        "base_id": base_id,
        "started_at": NOW - timedelta(hours=1),
        "last_seen_at": NOW,  # touched just now: resolving the session writes nothing
        "ended_at": None,
        "end_reason": None,
    }


async def logged_in_admins(
    engine: AsyncEngine, units: UnitOfWorkFactory, password_hash: str, bases: int, per_base: int
) -> Admins:
    """``bases`` bases of ``per_base`` admins each: the first its super admin, the others holding
    a role with every permission; each admin logged in from chat ``FIRST_ADMIN_CHAT + user id``."""
    roles, memberships, sessions, chats = [], [], [], []
    for n in range(1, bases + 1):
        roles.append({"id": n, "base_id": n, "name": "全部权限", "permissions": EVERYTHING})
        for k in range(per_base):
            user_id = (n - 1) * per_base + k + 1
            memberships.append(
                membership(n, user_id, is_super=k == 0, role_id=None if k == 0 else n)
            )
            chat = FIRST_ADMIN_CHAT + user_id
            sessions.append(open_session(chat, user_id, n))
            chats.append(chat)
    await bulk(
        engine,
        [
            *admin_tables(units.cipher, password_hash, bases, bases * per_base, roles, memberships),
            (LoginSessionRow, sessions),
        ],
    )
    await advance_sequences(engine)
    return Admins(chats, bases, per_base)


async def advance_sequences(engine: AsyncEngine) -> None:
    """PostgreSQL's serial sequences do not see explicit ids: moved past them, so a row the bot
    inserts later (a session, an audit record) does not collide. SQLite needs nothing."""
    if is_sqlite(engine):
        return
    async with engine.begin() as conn:
        for table in ("bases", "users", "roles", "memberships", "login_sessions"):
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )
