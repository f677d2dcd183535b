"""Which reminders are due now: a pure function of deadlines, submissions, people and the time.

No I/O: the caller gathers the input for every base in one query and writes the answer to the
outbox, whose unique key (recipient, subject, occasion) makes planning twice harmless.

Occasions are mornings: each offset before a deadline and each overdue step falls at
``rules.morning`` (08:30) local time of its day, and the deadline day itself too. Only the latest
occasion that has passed is due: a machine that slept through the 7-day reminder and wakes on
the 3-day one sends one reminder, not two. During quiet hours nothing is due; the morning run
picks it up.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain.model import DeadlineKind
from domain.ports import Holder


@dataclass(frozen=True)
class ReminderRules:
    """The defaults of the issue; each is configurable through the environment
    (``CEBOT_REMINDER_*`` and ``CEBOT_QUIET_HOURS``, read in ``bot/config.py``)."""

    offsets_days: tuple[int, ...] = (14, 7, 3, 1, 0)
    overdue_every_days: int = 3
    overdue_for_days: int = 30
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    morning: time = time(8, 30)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def is_quiet(self, moment: datetime) -> bool:
        """Quiet hours may run over midnight (21:00–08:00) or not (12:00–13:30); equal ends
        mean none."""
        local = moment.astimezone(self.timezone).time()
        if self.quiet_from > self.quiet_until:
            return local >= self.quiet_from or local < self.quiet_until
        return self.quiet_from <= local < self.quiet_until


class Obligation(NamedTuple):
    """Something one base owes by a deadline: the year's plan, or one class's scores."""

    base_id: int
    kind: DeadlineKind
    subject: str
    """Stable and unique per thing owed: ``annual_plan:2026``, ``class_scores:17``."""
    due_at: datetime
    done: bool
    """Submitted (or already approved): nobody is reminded any more."""


class Reminder(NamedTuple):
    user_id: int
    base_id: int
    kind: DeadlineKind
    subject: str
    occasion: str
    """``before:7``, ``day``, ``overdue:2``: with recipient and subject, the outbox's key."""
    due_at: datetime
    days_left: int
    """Whole local days until the deadline's day; negative when overdue."""


@lru_cache(maxsize=4096)
def occasions(due_at: datetime, rules: ReminderRules) -> list[tuple[str, datetime]]:
    """Every occasion of one deadline with its moment, in time order.

    Cached: thousands of bases share a handful of deadlines. Callers must not change the list.
    """
    zone = rules.timezone
    due_day = due_at.astimezone(zone).date()

    def morning(day: date) -> datetime:
        return datetime.combine(day, rules.morning, tzinfo=zone)

    found = []
    for offset in sorted(set(rules.offsets_days), reverse=True):
        name = "day" if offset == 0 else f"before:{offset}"
        moment = morning(due_day - timedelta(days=offset))
        if offset == 0 and moment > due_at:  # a deadline at 08:00 gets its reminder the day before
            continue
        found.append((name, moment))
    steps = rules.overdue_for_days // rules.overdue_every_days if rules.overdue_every_days else 0
    for step in range(1, steps + 1):
        found.append(
            (f"overdue:{step}", morning(due_day + timedelta(days=step * rules.overdue_every_days)))
        )
    return sorted(found, key=lambda item: item[1])


def latest_occasion(
    due_at: datetime, now: datetime, rules: ReminderRules
) -> tuple[str, datetime] | None:
    """The last occasion at or before ``now`` (a binary search: occasions are in time order)."""
    found = occasions(due_at, rules)
    index = bisect_right(found, now, key=lambda item: item[1])
    return found[index - 1] if index else None


def plan(
    obligations: Iterable[Obligation],
    holders: Iterable[Holder],
    mutes: Set[tuple[int, DeadlineKind]],
    now: datetime,
    rules: ReminderRules,
) -> list[Reminder]:
    """The reminders due at ``now``: for what is not done, to whoever holds the permission."""
    if rules.is_quiet(now):
        return []
    by_base = holders_by_base(holders)
    today = now.astimezone(rules.timezone).date()
    # Thousands of bases share a handful of due moments: each is worked out once.
    timing: dict[datetime, tuple[str | None, int]] = {}
    due: list[Reminder] = []
    for owed in obligations:
        if owed.done:
            continue
        when = timing.get(owed.due_at)
        if when is None:
            latest = latest_occasion(owed.due_at, now, rules)
            days_left = (owed.due_at.astimezone(rules.timezone).date() - today).days
            when = timing[owed.due_at] = (latest[0] if latest else None, days_left)
        occasion, days_left = when
        if occasion is None:
            continue
        permission = owed.kind.permission
        for holder in by_base.get(owed.base_id, ()):
            if permission not in holder.permissions or (holder.user_id, owed.kind) in mutes:
                continue
            due.append(
                Reminder(
                    user_id=holder.user_id,
                    base_id=owed.base_id,
                    kind=owed.kind,
                    subject=owed.subject,
                    occasion=occasion,
                    due_at=owed.due_at,
                    days_left=days_left,
                )
            )
    return due


def class_scores_due(end_date: date, days_after_end: int, rules: ReminderRules) -> datetime:
    """A class's scores are due at the end of the day ``days_after_end`` after it ended."""
    day = end_date + timedelta(days=days_after_end)
    return datetime.combine(day, time(23, 59), tzinfo=rules.timezone)


def holders_by_base(holders: Iterable[Holder]) -> Mapping[int, list[Holder]]:
    grouped: dict[int, list[Holder]] = {}
    for holder in holders:
        grouped.setdefault(holder.base_id, []).append(holder)
    return grouped
