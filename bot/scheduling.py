"""The reminder jobs inside ``cebot run``: plan every few minutes, dispatch continuously.

python-telegram-bot's JobQueue is APScheduler 3 (AsyncIOScheduler) tied to the application's
life. What matters lives in the outbox, not in APScheduler: a restart or a missed run (machine
asleep) simply plans again and finds the same unique rows. Both jobs coalesce missed runs into
one and accept any lateness (APScheduler 3's default ``misfire_grace_time`` of one second would
silently skip a late run), and never overlap themselves.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.reminders import TelegramSender
from bot.runtime import App, Ctx, Services, application, services, services_of
from scheduler import gather
from scheduler.dispatch import dispatch_due
from scheduler.pacing import Pacer
from scheduler.planning import ReminderRules

log = logging.getLogger("cebot.scheduling")

PLAN_EVERY = timedelta(minutes=5)
DISPATCH_EVERY = timedelta(seconds=5)
JOB_OPTIONS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
PACER_KEY = "cebot.pacer"
SENDING_NOW_KEY = "cebot.sending_now"


def rules_of(services: Services) -> ReminderRules:
    return services.settings.reminders


async def plan_job(context: Ctx) -> None:
    svc = services(context)
    async with svc.uow() as uow:
        added = await gather.enqueue_due(uow, svc.clock, rules_of(svc))
    if added:
        log.info("reminders planned: %d new", added)


async def dispatch_job(context: Ctx) -> None:
    await _dispatch(application(context))


def dispatch_soon(app: App) -> None:
    """Sends what is due now without waiting for the next tick: a reviewer's decision reaches
    the base within seconds. The outbox's claim keeps this and the regular job from sending
    one message twice; in the console and the tests it is the only dispatcher."""
    running: set[asyncio.Task[None]] = app.bot_data.setdefault(SENDING_NOW_KEY, set())
    task = app.create_task(_dispatch(app), name="outbox.dispatch.now")
    running.add(task)
    task.add_done_callback(running.discard)


def sending_now(app: App) -> bool:
    """Whether a dispatch started by ``dispatch_soon`` is still running (tests wait for it)."""
    return bool(app.bot_data.get(SENDING_NOW_KEY))


async def _dispatch(app: App) -> None:
    svc = services_of(app)
    pacer = app.bot_data.setdefault(PACER_KEY, Pacer())
    report = await dispatch_due(
        svc.uow, svc.clock, TelegramSender(app, svc), pacer, lease=svc.settings.outbox_lease
    )
    if report.handled:
        log.info(
            "outbox: %d sent, %d retried, %d failed", report.sent, report.retried, report.failed
        )


def install_jobs(app: App) -> None:
    """Only ``cebot run`` schedules; the console and the tests drive the same functions."""
    queue = app.job_queue
    if queue is None:  # python-telegram-bot installed without the job-queue extra
        raise RuntimeError("python-telegram-bot[job-queue] is required for reminders")
    queue.run_repeating(
        plan_job, interval=PLAN_EVERY, first=10, name="reminders.plan", job_kwargs=JOB_OPTIONS
    )
    queue.run_repeating(
        dispatch_job,
        interval=DISPATCH_EVERY,
        first=5,
        name="outbox.dispatch",
        job_kwargs=JOB_OPTIONS,
    )
