"""Notices to one person about their account (a reset password, a new role, a hand-over).

Written to the outbox in the transaction of the change they report, so a change that commits is
told and one that rolls back is not; sent where the person last logged in, in their language
(``scheduler/dispatch.py``). Every notice names the base it is about: a person may administer
several.
"""

from __future__ import annotations

import secrets

from domain.clock import Clock
from domain.model import OutboxMessage
from domain.ports import UnitOfWork

KIND_PREFIX = "notice:"


async def tell(
    uow: UnitOfWork,
    clock: Clock,
    user_id: int,
    what: str,
    text_key: str,
    **params: str,
) -> None:
    """One notice to ``user_id``: ``text_key`` a msgid, ``params`` its values (a value that is a
    msgid itself is translated for the reader). Each call is its own occasion: told twice, sent
    twice."""
    now = clock.now()
    await uow.outbox.add_many(
        [
            OutboxMessage(
                user_id=user_id,
                subject=f"account:{user_id}",
                occasion=f"{what}:{now:%Y%m%dT%H%M%S}:{secrets.token_hex(4)}",
                kind=f"{KIND_PREFIX}{what}",
                text_key=text_key,
                params=params,
                not_before=now,
                created_at=now,
            )
        ]
    )
