"""The operator's deadlines (``cebot deadline set|list``) and each admin's mutes (``/deadlines``).

A deadline is one per year and kind: the annual plan, summary and materials fall due at a moment;
a class's scores fall due a number of days after the class ends. Setting one again replaces it.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from domain.clock import Clock
from domain.errors import Invalid, NotPermitted
from domain.messages import N_
from domain.model import Actor, Deadline, DeadlineKind
from domain.ports import UnitOfWork
from domain.services import audit

DUE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d")
MAX_DAYS_AFTER_END = 365

YEAR_RANGE = N_("年度应在 2000 到 2100 之间。")
DUE_REQUIRED = N_("年度计划、总结和材料的截止时间请用 --due 给出，例如 2026-12-31T17:00。")
DAYS_REQUIRED = N_("学员成绩的截止时间请用 --days-after-end 给出培训班结束后的天数。")
DUE_UNREADABLE = N_("无法识别截止时间“{value}”，请写成 2026-12-31T17:00。")
DAYS_RANGE = N_("天数应在 0 到 {maximum} 之间。")


def parse_due(raw: str, zone: tzinfo) -> datetime:
    """``2026-12-31T17:00`` (or a date alone: the end of that day) in the platform's time zone."""
    text = raw.strip()
    for pattern in DUE_FORMATS:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if pattern == "%Y-%m-%d":
            moment = moment.replace(hour=23, minute=59)
        return moment.replace(tzinfo=zone)
    raise Invalid("due", DUE_UNREADABLE, value=raw)


async def set_deadline(
    uow: UnitOfWork,
    clock: Clock,
    *,
    year: int,
    kind: DeadlineKind,
    due_at: datetime | None = None,
    days_after_end: int | None = None,
) -> Deadline:
    if not 2000 <= year <= 2100:
        raise Invalid("year", YEAR_RANGE)
    if kind is DeadlineKind.CLASS_SCORES:
        if days_after_end is None:
            raise Invalid("days_after_end", DAYS_REQUIRED)
        if not 0 <= days_after_end <= MAX_DAYS_AFTER_END:
            raise Invalid("days_after_end", DAYS_RANGE, maximum=MAX_DAYS_AFTER_END)
        due_at = None
    else:
        if due_at is None:
            raise Invalid("due", DUE_REQUIRED)
        days_after_end = None
    stored = await uow.deadlines.set(
        Deadline(year=year, kind=kind, due_at=due_at, days_after_end=days_after_end)
    )
    await audit.record(
        uow,
        clock,
        action="deadline.set",
        base_id=None,
        actor_user_id=None,
        subject=f"{year} {kind.value}",
        new_value=due_at.isoformat() if due_at else f"+{days_after_end}d",
    )
    return stored


async def list_deadlines(uow: UnitOfWork, *, year: int | None = None) -> list[Deadline]:
    return await uow.deadlines.list(year=year)


async def set_muted(
    uow: UnitOfWork, actor: Actor, kind: DeadlineKind, muted: bool
) -> frozenset[DeadlineKind]:
    """Mutes or unmutes one kind for this person (on every base they administer, since the
    reminder goes to the person); returns what they have muted now.

    Only a kind they are reminded of (they hold its permission) can be toggled: the screen offers
    no other, and a forged button must not change what it does not show.
    """
    if not actor.can(kind.permission):
        raise NotPermitted()
    if muted:
        await uow.mutes.mute(actor.user_id, kind)
    else:
        await uow.mutes.unmute(actor.user_id, kind)
    now_muted = frozenset(await uow.mutes.for_user(actor.user_id))
    return now_muted
