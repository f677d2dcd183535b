"""Reminder planning: which occasion is due, for whom, never at night, never twice a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.model import DeadlineKind
from domain.permissions import Permission
from domain.ports import Holder
from scheduler.planning import (
    Obligation,
    ReminderRules,
    class_scores_due,
    occasions,
    plan,
)

RULES = ReminderRules()
ZONE = RULES.timezone
DUE = datetime(2026, 12, 31, 17, 0, tzinfo=ZONE)
PLAN = Obligation(1, DeadlineKind.ANNUAL_PLAN, "annual_plan:2026", DUE, done=False)
BOSS = Holder(10, 1, frozenset(Permission))
CLERK = Holder(11, 1, frozenset({Permission.SCORES_MANAGE}))
OTHER_BASE = Holder(20, 2, frozenset(Permission))


def at(day: int, hour: int = 9, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def test_occasions_are_mornings_before_on_and_after_the_day() -> None:
    names = [name for name, _ in occasions(DUE, RULES)]
    assert names[:5] == ["before:14", "before:7", "before:3", "before:1", "day"]
    assert names[5:] == [f"overdue:{k}" for k in range(1, 11)]
    moments = dict(occasions(DUE, RULES))
    assert moments["before:7"] == at(24, 8, 30)
    assert moments["day"] == at(31, 8, 30)
    assert moments["overdue:1"] == datetime(2027, 1, 3, 8, 30, tzinfo=ZONE)


def test_only_the_latest_passed_occasion_is_due_to_each_holder() -> None:
    assert plan([PLAN], [BOSS], set(), at(17, 8, 29), RULES) == []
    (reminder,) = plan([PLAN], [BOSS, CLERK, OTHER_BASE], set(), at(17, 8, 30), RULES)
    assert (reminder.user_id, reminder.occasion, reminder.days_left) == (10, "before:14", 14)
    # Asleep from the 14-day to the 3-day occasion: one reminder, the latest.
    (late,) = plan([PLAN], [BOSS], set(), at(28, 10), RULES)
    assert (late.occasion, late.days_left) == ("before:3", 3)


def test_done_muted_night_and_the_end_of_overdue_send_nothing() -> None:
    done = Obligation(1, DeadlineKind.ANNUAL_PLAN, "annual_plan:2026", DUE, done=True)
    assert plan([done], [BOSS], set(), at(28), RULES) == []
    assert plan([PLAN], [BOSS], {(10, DeadlineKind.ANNUAL_PLAN)}, at(28), RULES) == []
    assert plan([PLAN], [BOSS], set(), at(28, 21, 0), RULES) == []
    assert plan([PLAN], [BOSS], set(), at(28, 7, 59), RULES) == []
    overdue = plan([PLAN], [BOSS], set(), datetime(2027, 1, 10, 9, tzinfo=ZONE), RULES)
    assert [(r.occasion, r.days_left) for r in overdue] == [("overdue:3", -10)]
    long_after = DUE + timedelta(days=60)
    (last,) = plan([PLAN], [BOSS], set(), long_after.replace(hour=9), RULES)
    assert last.occasion == "overdue:10"  # the last one stays the latest; the outbox sends it once


def test_scores_go_to_score_managers_and_times_in_utc_work() -> None:
    due = class_scores_due(at(1).date(), 15, RULES)
    assert due == at(16, 23, 59)
    owed = Obligation(1, DeadlineKind.CLASS_SCORES, "class_scores:7", due, done=False)
    now_utc = at(16, 9).astimezone(UTC)
    reminders = plan([owed], [BOSS, CLERK], set(), now_utc, RULES)
    assert sorted((r.user_id, r.occasion) for r in reminders) == [(10, "day"), (11, "day")]


def test_a_deadline_before_the_morning_gets_no_same_day_occasion() -> None:
    early = datetime(2026, 12, 31, 8, 0, tzinfo=ZONE)
    names = [name for name, _ in occasions(early, RULES)]
    assert "day" not in names and "before:1" in names
