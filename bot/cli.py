"""The ``cebot`` command line: run the bot, talk to it in the terminal, operate the database."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import secrets
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot import operations
from bot.config import ConfigError, Settings
from bot.logs import configure_logging, log_format
from bot.runtime import SERVICES_KEY
from domain.model import Deadline
from domain.validators import mask_id_number

if TYPE_CHECKING:
    from domain.clock import Clock
    from scheduler.planning import ReminderRules
    from storage.uow import UnitOfWorkFactory

log = logging.getLogger("cebot")

REVIEWER_PASSWORD_ENV = "CEBOT_REVIEWER_PASSWORD"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cebot", description="继续教育基地管理机器人 cebot")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot (long polling unless --webhook-url)")
    run.add_argument("--webhook-url", help="public HTTPS URL Telegram posts updates to")
    run.add_argument("--listen", default="127.0.0.1", help="address the webhook server binds")
    run.add_argument("--port", type=int, default=8443, help="port the webhook server binds")
    run.add_argument(
        "--health-port",
        type=int,
        help="in long-polling mode, serve GET /healthz on 127.0.0.1 at this port "
        "(in webhook mode it is served beside the webhook)",
    )
    run.add_argument(
        "--secret-token",
        help="X-Telegram-Bot-Api-Secret-Token checked on every webhook request "
        "(default: CEBOT_WEBHOOK_SECRET or a random one per start)",
    )

    console = commands.add_parser("console", help="chat with cebot in this terminal, no token")
    console.add_argument("--record", help="save the session as a transcript file")
    console.add_argument("--replay", help="play a transcript back and report differences")
    console.add_argument("--downloads", default="var/downloads", help="where sent documents go")

    db = commands.add_parser("db", help="database operations")
    db.add_argument("action", choices=["upgrade"], help="upgrade: migrate to the latest schema")
    _reviewer_arguments(commands)
    _deadline_arguments(commands)
    reminders = commands.add_parser("reminders", help="plan reminders now: show them or send them")
    how = reminders.add_mutually_exclusive_group(required=True)
    how.add_argument("--dry-run", action="store_true", help="print who would be reminded of what")
    how.add_argument("--send-now", action="store_true", help="plan, then send through the Bot API")
    operations.add_arguments(commands)  # backup, restore, keys
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.load()
    except ConfigError as exc:
        print(f"cebot: {exc}", file=sys.stderr)
        return 2
    try:
        configure_logging(settings.log_level, log_format())
    except ConfigError as exc:
        print(f"cebot: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command in operations.COMMANDS:
            return operations.main(settings, args)
        if args.command == "run":
            return _run(settings, args)
        if args.command == "console":
            from bot.console import run_console

            return run_console(
                settings, record=args.record, replay=args.replay, downloads=args.downloads
            )
        if args.command == "db":
            from storage.migrate import upgrade

            upgrade(settings.database_url)
            print("database is at the latest schema")
            return 0
        if args.command == "reviewer":
            return asyncio.run(_reviewer(settings, args))
        if args.command == "deadline":
            return asyncio.run(_deadline(settings, args))
        if args.command == "reminders":
            return asyncio.run(_reminders(settings, send=args.send_now))
    except ConfigError as exc:
        print(f"cebot: {exc}", file=sys.stderr)
        return 2
    return 2


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.serve import Webhook, serve

    webhook = None
    if args.webhook_url:
        import os

        secret = (
            args.secret_token or os.environ.get("CEBOT_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
        )
        webhook = Webhook(url=args.webhook_url, listen=args.listen, port=args.port, secret=secret)
    return asyncio.run(serve(settings, webhook=webhook, health_port=args.health_port))


def _reviewer_arguments(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reviewer = commands.add_parser("reviewer", help="主管部门审核员: add or list reviewers")
    actions = reviewer.add_subparsers(dest="reviewer_action", required=True)
    add = actions.add_parser("add", help="create a reviewer (initial password asked twice)")
    add.add_argument("--name", required=True, help="姓名")
    add.add_argument("--id-number", required=True, help="身份证号码 (the login account)")
    add.add_argument("--mobile", required=True, help="手机号码")
    add.add_argument(
        "--region",
        action="append",
        default=[],
        help="a 市州 the reviewer covers; repeat for several; none: the whole province",
    )
    actions.add_parser("list", help="list the reviewers and their regions")


def _initial_password() -> str | None:
    """From the environment, else typed twice without echo; None when the two differ."""
    given = os.environ.get(REVIEWER_PASSWORD_ENV)
    if given:
        return given
    first = getpass.getpass("初始密码 / initial password: ")
    second = getpass.getpass("再次输入 / again: ")
    return first if first == second else None


@asynccontextmanager
async def _operator_units(settings: Settings) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work for an operator's command, on the configured database."""
    from storage.crypto import FieldCipher, load_keyring
    from storage.db import is_sqlite, make_engine
    from storage.migrate import upgrade_engine
    from storage.uow import UnitOfWorkFactory

    engine = make_engine(settings.database_url)
    try:
        if is_sqlite(engine):  # as ``cebot run`` does: an embedded database migrates itself
            await upgrade_engine(engine)
        cipher = FieldCipher(load_keyring(settings.secret_keys, settings.data_dir, logger=log))
        yield UnitOfWorkFactory(engine, cipher)
    finally:
        await engine.dispose()


async def _reviewer(settings: Settings, args: argparse.Namespace) -> int:
    """``cebot reviewer add|list``: reviewers belong to no base, so only the operator makes them."""
    async with _operator_units(settings) as uow:
        if args.reviewer_action == "add":
            return await _add_reviewer(uow, args)
        return await _list_reviewers(uow)


def _deadline_arguments(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    deadline = commands.add_parser("deadline", help="the year's deadlines: set or list")
    actions = deadline.add_subparsers(dest="deadline_action", required=True)
    put = actions.add_parser("set", help="set (or replace) the deadline of a year and kind")
    put.add_argument("--year", type=int, required=True)
    put.add_argument(
        "--kind",
        required=True,
        choices=["annual_plan", "annual_summary", "annual_materials", "class_scores"],
    )
    put.add_argument("--due", help="annual kinds: 2026-12-31T17:00, in CEBOT_TIMEZONE")
    put.add_argument("--days-after-end", type=int, help="class_scores: days after a class ends")
    listing = actions.add_parser("list", help="list the deadlines")
    listing.add_argument("--year", type=int)


async def _deadline(settings: Settings, args: argparse.Namespace) -> int:
    from domain.clock import SystemClock
    from domain.errors import DomainError
    from domain.model import DeadlineKind
    from domain.services import deadlines

    async with _operator_units(settings) as units:
        try:
            if args.deadline_action == "set":
                due = deadlines.parse_due(args.due, settings.timezone) if args.due else None
                async with units() as uow:
                    stored = await deadlines.set_deadline(
                        uow,
                        SystemClock(),
                        year=args.year,
                        kind=DeadlineKind(args.kind),
                        due_at=due,
                        days_after_end=args.days_after_end,
                    )
                print(f"deadline set: {_deadline_line(stored, settings)}")
                return 0
        except DomainError as refused:
            print(f"cebot: {refused.key.format(**refused.params)}", file=sys.stderr)
            return 1
        async with units(readonly=True) as uow:
            found = await deadlines.list_deadlines(uow, year=args.year)
        if not found:
            print("no deadlines set")
        for item in found:
            print(_deadline_line(item, settings))
        return 0


def _deadline_line(deadline: Deadline, settings: Settings) -> str:
    if deadline.due_at is not None:
        when = deadline.due_at.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M")
    else:
        when = f"{deadline.days_after_end} days after each class ends"
    return f"{deadline.year} {deadline.kind.value}: {when}"


async def _add_reviewer(uow_factory: UnitOfWorkFactory, args: argparse.Namespace) -> int:
    password = _initial_password()
    if password is None:
        print("cebot: the two passwords differ; nothing was created", file=sys.stderr)
        return 1
    from domain.clock import SystemClock
    from domain.errors import DomainError
    from domain.services import review
    from storage.passwords import Argon2PasswordHasher

    try:
        async with uow_factory() as uow:
            user = await review.create_reviewer(
                uow,
                Argon2PasswordHasher(),
                SystemClock(),
                name=args.name,
                id_number=args.id_number,
                mobile=args.mobile,
                initial_password=password,
                regions=args.region,
            )
    except DomainError as refused:
        print(f"cebot: {refused.key.format(**refused.params)}", file=sys.stderr)
        return 1
    regions = "、".join(user.reviewer_regions) or "全省"
    print(f"reviewer created: #{user.id} {user.name} {mask_id_number(user.id_number)} {regions}")
    print("the initial password must be changed at the first login (/login in the chat)")
    return 0


async def _list_reviewers(uow_factory: UnitOfWorkFactory) -> int:
    from sqlalchemy import select

    from storage.models import UserRow

    async with uow_factory(readonly=True) as uow:
        statement = select(UserRow.id).where(UserRow.is_reviewer.is_(True)).order_by(UserRow.id)
        ids = list((await uow.session.scalars(statement)).all())
        users = await uow.users.get_many(ids)
    if not users:
        print("no reviewers yet: cebot reviewer add --name … --id-number … --mobile …")
    for user in sorted(users, key=lambda u: u.id or 0):
        regions = "、".join(user.reviewer_regions) or "全省"
        print(f"#{user.id} {user.name} {mask_id_number(user.id_number)} {user.mobile} {regions}")
    return 0


async def _reminders(settings: Settings, *, send: bool) -> int:
    """``--dry-run`` writes nothing; ``--send-now`` plans into the outbox and empties it once."""
    from domain.clock import SystemClock
    from scheduler import gather
    from scheduler.planning import plan

    clock = SystemClock()
    rules = settings.reminders
    if not send:
        async with _operator_units(settings) as units, units(readonly=True) as uow:
            now = clock.now()
            deadlines = await gather.deadlines_around(uow, now, rules)
            found = await gather.gather(uow, deadlines, rules)
            due = plan(found.obligations, found.holders, await uow.mutes.all(), now, rules)
        if rules.is_quiet(now):
            print("quiet hours: nothing is sent now; the morning run sends what is due")
        for reminder in due:
            base = found.base_names.get(reminder.base_id, "")
            print(
                f"user #{reminder.user_id} ({base}): {reminder.subject} {reminder.occasion}, "
                f"{reminder.days_left} days left"
            )
        print(f"{len(due)} reminders due")
        return 0
    return await _send_reminders(settings, clock, rules)


async def _send_reminders(settings: Settings, clock: Clock, rules: ReminderRules) -> int:
    from bot.app import build_application, prepare_database
    from bot.reminders import TelegramSender
    from scheduler import gather
    from scheduler.dispatch import dispatch_due
    from scheduler.pacing import Pacer

    app = build_application(settings)
    await prepare_database(app)
    services = app.bot_data[SERVICES_KEY]
    async with app:
        async with services.uow() as uow:
            added = await gather.enqueue_due(uow, clock, rules)
        print(f"{added} new reminders planned")
        report = await dispatch_due(services.uow, clock, TelegramSender(app, services), Pacer())
    print(f"{report.sent} sent, {report.failed} failed, {report.retried} to retry later")
    return 0


if __name__ == "__main__":
    sys.exit(main())
