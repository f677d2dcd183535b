"""Whom to tell in Telegram: a person is reached where they last logged in.

The bot cannot write first to someone who never talked to it, so the Telegram user of a person's
most recent session (open or ended) is the only address we have.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.ports import UnitOfWork


async def notification_targets(uow: UnitOfWork, user_ids: Sequence[int]) -> list[int]:
    """Telegram user ids in the order of ``user_ids``; people never logged in are skipped.

    A Telegram user shared by two of the people is listed once, so nobody gets a message twice.
    """
    latest = await uow.sessions.latest_telegram_user_ids(list(user_ids))
    targets: list[int] = []
    for user_id in user_ids:
        telegram_id = latest.get(user_id)
        if telegram_id is not None and telegram_id not in targets:
            targets.append(telegram_id)
    return targets
