"""The registration draft as data: which steps it has, which are done, who was proven."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.handlers.register.callbacks import AGAIN_STEP, PASSWORD_STEP, PROVE_STEP
from bot.handlers.register.fields import FIELDS
from domain.services import auth


def fresh() -> dict[str, Any]:
    return {"values": {}, "editing": False}


def filled(draft: dict[str, Any]) -> int:
    return len(draft.get("values", {}))


def proof(draft: dict[str, Any]) -> auth.IdentityProof | None:
    stored = draft.get("existing")
    if not isinstance(stored, dict):
        return None
    return auth.IdentityProof(
        int(stored["user_id"]),
        str(stored["id_number"]),
        datetime.fromisoformat(str(stored["proven_at"])),
    )


def sequence(draft: dict[str, Any]) -> list[str]:
    """Every step in order: an existing account proves itself instead of a mobile and password."""
    keys = [f.key for f in FIELDS]
    if draft.get("claims_account"):
        return [*keys[: keys.index("admin_mobile")], PROVE_STEP]
    return [*keys, PASSWORD_STEP, AGAIN_STEP]


def done(draft: dict[str, Any], step: str) -> bool:
    if step == PASSWORD_STEP:
        return "password_hash" in draft
    if step == AGAIN_STEP:
        return bool(draft.get("password_confirmed"))
    if step == PROVE_STEP:
        return proof(draft) is not None
    return step in draft["values"]


def first_missing(draft: dict[str, Any]) -> str | None:
    return next((s for s in sequence(draft) if not done(draft, s)), None)
