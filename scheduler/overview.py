"""``/deadlines``: where one base stands against each deadline, for one of its admins.

The same gathering as planning (``scheduler.gather``), narrowed to the admin's base, so the
screen and the reminders never disagree about what is done. An admin sees the deadlines of the
kinds they can act on: a plan manager the plan, a score manager each approved class's scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.clock import Clock
from domain.model import Actor, DeadlineKind
from domain.ports import UnitOfWork
from scheduler.gather import deadlines_around, gather
from scheduler.planning import Obligation, ReminderRules

SHOWN = 12
"""Lines on the screen; the rest is counted. A base with many classes sees the nearest first."""


class Standing(StrEnum):
    DONE = "done"
    OPEN = "open"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DeadlineLine:
    kind: DeadlineKind
    item: str
    """The year, or the class's name."""
    due_at: datetime
    days_left: int
    """Whole local days until the deadline's day; negative when overdue."""
    standing: Standing
    link: str
    """Where acting on it happens (``domain.links``)."""


@dataclass(frozen=True)
class BaseDeadlines:
    base_name: str
    lines: list[DeadlineLine]
    more: int
    """Lines left off the screen."""
    kinds: tuple[DeadlineKind, ...]
    """Kinds this admin is reminded of (holds the permission), each with a mute toggle."""
    muted: frozenset[DeadlineKind]


def standing_of(owed: Obligation, now: datetime) -> Standing:
    if owed.done:
        return Standing.DONE
    return Standing.OVERDUE if now > owed.due_at else Standing.OPEN


def is_shown(owed: Obligation, now: datetime, rules: ReminderRules) -> bool:
    """What is still owed, whenever it was due; what is done, while its deadline is near."""
    return not owed.done or owed.due_at >= now - timedelta(days=rules.overdue_for_days)


async def base_deadlines(
    uow: UnitOfWork, clock: Clock, actor: Actor, rules: ReminderRules
) -> BaseDeadlines:
    now = clock.now()
    found = await gather(uow, await deadlines_around(uow, now, rules), rules, base_id=actor.base_id)
    today = now.astimezone(rules.timezone).date()
    lines: list[DeadlineLine] = []
    for owed in found.obligations:
        if not actor.can(owed.kind.permission) or not is_shown(owed, now, rules):
            continue
        lines.append(
            DeadlineLine(
                kind=owed.kind,
                item=found.items.get(owed.subject, ""),
                due_at=owed.due_at,
                days_left=(owed.due_at.astimezone(rules.timezone).date() - today).days,
                standing=standing_of(owed, now),
                link=found.links[owed.subject],
            )
        )
    lines.sort(key=lambda line: (line.standing is Standing.DONE, line.due_at))
    kinds = tuple(kind for kind in DeadlineKind if actor.can(kind.permission))
    muted = frozenset(await uow.mutes.for_user(actor.user_id)) & frozenset(kinds)
    return BaseDeadlines(
        base_name=found.base_names.get(actor.base_id, ""),
        lines=lines[:SHOWN],
        more=max(len(lines) - SHOWN, 0),
        kinds=kinds,
        muted=muted,
    )
