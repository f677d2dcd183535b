"""How long a form's draft lives (registration, a class declaration): a rule of the service.

A draft is what a person typed into a form of several fields and has not saved yet. It survives
commands, stray messages and restarts, and is offered back (继续填写 / 放弃) when the form is
opened again, until it expires. See docs/decisions.md, "Forms that survive a slip".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Final

STEP_IDLE: Final = timedelta(minutes=30)
"""Silence after which an open step is left (the draft is kept): long enough to find a document
on a desk, short enough that a stray message hours later is not read as the answer."""

LIFETIME: Final = timedelta(days=3)
"""A draft not changed for this long is dropped: it may hold an ID-card number, and a form left
for longer than a weekend is better started again than resumed with stale data."""


class DraftAge(Enum):
    FRESH = "fresh"
    """Changed within ``STEP_IDLE``: its step may still be open."""
    IDLE = "idle"
    """Kept, but its step is no longer open: offered back when the form is opened again."""
    EXPIRED = "expired"
    """Older than ``LIFETIME``: dropped."""


def age(touched: datetime, now: datetime) -> DraftAge:
    """How old a draft last changed at ``touched`` is at ``now``."""
    idle = now - touched
    if idle >= LIFETIME:
        return DraftAge.EXPIRED
    if idle >= STEP_IDLE:
        return DraftAge.IDLE
    return DraftAge.FRESH


def expires_at(touched: datetime) -> datetime:
    return touched + LIFETIME
