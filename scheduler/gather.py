"""The planner's input for every base, gathered in a fixed number of queries, and its answer queued.

``planning_inputs`` reads the year's deadlines, the bases, what each has submitted, the approved
classes and every membership with its role: one query each, however many bases there are (the
``PlanningReadRepository`` port exists for that). ``enqueue_due`` runs ``scheduler.planning.plan``
on it and writes each reminder to the outbox, whose unique key (recipient, subject, occasion)
makes a second run at the same occasion add nothing.

Subjects name the thing owed: ``annual_plan:2026:<base id>`` (a person may administer several
bases, and each base owes its own plan) and ``class_scores:<class id>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain import links
from domain.clock import Clock
from domain.messages import N_
from domain.model import Deadline, DeadlineKind, OutboxMessage, SubmissionKind
from domain.ports import Holder, UnitOfWork
from scheduler.planning import (
    Obligation,
    Reminder,
    ReminderRules,
    class_scores_due,
    plan,
)

ANNUAL: dict[DeadlineKind, SubmissionKind] = {
    DeadlineKind.ANNUAL_PLAN: SubmissionKind.PLAN,
    DeadlineKind.ANNUAL_SUMMARY: SubmissionKind.SUMMARY,
    DeadlineKind.ANNUAL_MATERIALS: SubmissionKind.MATERIAL,
}

BEFORE = N_("截止提醒：{base}的{what}（{item}）将于 {due} 截止（还有 {days} 天）。")
TODAY = N_("截止提醒：{base}的{what}（{item}）的截止时间是今天 {due}，请尽快提交。")
OVERDUE = N_("截止提醒：{base}的{what}（{item}）已于 {due} 截止，已逾期 {days} 天，请尽快提交。")
ACT_NOW = N_("立即处理")

DUE_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class PlanningInput:
    """The planner's input and what the reminders' texts need besides."""

    obligations: list[Obligation]
    holders: list[Holder]
    base_names: Mapping[int, str]
    items: Mapping[str, str]
    """Per subject, what names the thing owed beyond its kind: the year, or the class's name."""
    links: Mapping[str, str]
    """Per subject, where it is acted on (``domain.links``): the year's plan or summary, the
    materials, the class's score sheet."""


def annual_link(kind: DeadlineKind, year: int) -> str:
    """The year's plan or summary itself; materials are many, so their list."""
    submission = ANNUAL[kind]
    if submission is SubmissionKind.MATERIAL:
        return links.module("materials")
    return links.annual(year, submission)


def annual_subject(kind: DeadlineKind, year: int, base_id: int) -> str:
    return f"{kind.value}:{year}:{base_id}"


def scores_subject(class_id: int) -> str:
    return f"{DeadlineKind.CLASS_SCORES.value}:{class_id}"


async def gather(
    uow: UnitOfWork,
    deadlines: Sequence[Deadline],
    rules: ReminderRules,
    *,
    base_id: int | None = None,
) -> PlanningInput:
    """Everything owed under ``deadlines`` by every base (or by ``base_id`` alone), and every
    holder of a permission.

    Four queries (bases, submissions, classes, memberships), none when there is no deadline.
    """
    if not deadlines:
        return PlanningInput([], [], {}, {}, {})
    annual = [d for d in deadlines if d.kind in ANNUAL and d.due_at is not None]
    scores = {
        d.year: d.days_after_end
        for d in deadlines
        if d.kind is DeadlineKind.CLASS_SCORES and d.days_after_end is not None
    }
    base_names = await uow.planning.base_names(base_id)
    done = await uow.planning.annual_done(sorted({d.year for d in annual}), base_id)
    classes = await uow.planning.approved_classes(sorted(scores), base_id)

    obligations: list[Obligation] = []
    items: dict[str, str] = {}
    where: dict[str, str] = {}
    for deadline in annual:
        assert deadline.due_at is not None
        year, link, submission = (
            str(deadline.year),
            annual_link(deadline.kind, deadline.year),
            ANNUAL[deadline.kind],
        )
        for owing in base_names:
            subject = annual_subject(deadline.kind, deadline.year, owing)
            is_done = (owing, deadline.year, submission) in done
            obligations.append(Obligation(owing, deadline.kind, subject, deadline.due_at, is_done))
            items[subject] = year
            where[subject] = link
    for training_class in classes:
        subject = scores_subject(training_class.class_id)
        due_at = class_scores_due(training_class.end_date, scores[training_class.year], rules)
        obligations.append(
            Obligation(
                training_class.base_id,
                DeadlineKind.CLASS_SCORES,
                subject,
                due_at,
                done=training_class.scores_in,
            )
        )
        items[subject] = training_class.name
        where[subject] = links.score_sheet(training_class.class_id)

    holders = [h for h in await uow.planning.permission_holders(base_id) if h.permissions]
    return PlanningInput(obligations, holders, base_names, items, where)


async def planning_inputs(
    uow: UnitOfWork, year: int, rules: ReminderRules
) -> tuple[list[Obligation], list[Holder]]:
    """The obligations under the deadlines of ``year`` and the holders of every base."""
    found = await gather(uow, await uow.deadlines.list(year=year), rules)
    return found.obligations, found.holders


def years_around(now: datetime, rules: ReminderRules) -> set[int]:
    """The years whose deadlines can remind today: last year's overdue tail runs into January,
    and next year's plan may fall due in December."""
    this_year = now.astimezone(rules.timezone).year
    return {this_year - 1, this_year, this_year + 1}


async def deadlines_around(uow: UnitOfWork, now: datetime, rules: ReminderRules) -> list[Deadline]:
    """The deadlines of ``years_around`` now, by year then kind: what the reminders are planned
    from and what ``/deadlines`` shows, to a base's admin and to a reviewer alike."""
    years = years_around(now, rules)
    return [d for d in await uow.deadlines.list() if d.year in years]


def to_message(
    reminder: Reminder, found: PlanningInput, rules: ReminderRules, now: datetime
) -> OutboxMessage:
    """The reminder as the outbox keeps it: a msgid with string parameters and a button."""
    if reminder.days_left > 0:
        text_key = BEFORE
    elif reminder.days_left == 0:
        text_key = TODAY
    else:
        text_key = OVERDUE
    params = {
        "base": found.base_names.get(reminder.base_id, ""),
        "what": reminder.kind.label,  # a msgid: the sender translates parameter values too
        "item": found.items.get(reminder.subject, ""),
        "due": reminder.due_at.astimezone(rules.timezone).strftime(DUE_FORMAT),
        "days": str(abs(reminder.days_left)),
    }
    return OutboxMessage(
        user_id=reminder.user_id,
        subject=reminder.subject,
        occasion=reminder.occasion,
        kind=f"reminder:{reminder.kind.value}",
        text_key=text_key,
        params=params,
        button_key=ACT_NOW,
        link=found.links.get(reminder.subject),
        not_before=now,
        created_at=now,
    )


async def enqueue_due(
    uow: UnitOfWork, clock: Clock, rules: ReminderRules, *, year: int | None = None
) -> int:
    """Writes the reminders due now to the outbox (the job's unit of work commits them);
    returns how many were new.

    ``year`` None takes the deadlines of last year, this year and next (``deadlines_around``).
    During quiet hours nothing is due, and nothing is read.
    """
    now = clock.now()
    if rules.is_quiet(now):
        return 0
    if year is None:
        deadlines = await deadlines_around(uow, now, rules)
    else:
        deadlines = await uow.deadlines.list(year=year)
    found = await gather(uow, deadlines, rules)
    if not found.obligations:
        return 0
    reminders = plan(found.obligations, found.holders, await uow.mutes.all(), now, rules)
    added = await uow.outbox.add_many([to_message(r, found, rules, now) for r in reminders])
    return added
