"""The ``cebot`` command line: run the bot, talk to it in the terminal, operate the database."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from bot import operations
from bot.bootstrap import Root
from bot.config import ConfigError, Settings
from bot.logs import configure_logging, log_format
from domain.errors import DomainError
from domain.model import Deadline, DeadlineKind
from domain.services import admins, deadlines, review
from domain.validators import mask_id_number
from scheduler import gather
from scheduler.dispatch import dispatch_due
from scheduler.pacing import Pacer
from scheduler.planning import plan

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
    _user_arguments(commands)
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
            # Imported late, as bot.serve and bot.app are: the handlers and the emulator add
            # about a tenth to the start of every other command (python -X importtime).
            from bot.console import run_console

            return run_console(
                settings, record=args.record, replay=args.replay, downloads=args.downloads
            )
        if args.command == "db":
            asyncio.run(_upgrade(settings))
            print("database is at the latest schema")
            return 0
        if args.command == "reviewer":
            return asyncio.run(_reviewer(settings, args))
        if args.command == "user":
            return asyncio.run(_user(settings, args))
        if args.command == "deadline":
            return asyncio.run(_deadline(settings, args))
        if args.command == "reminders":
            return asyncio.run(_reminders(settings, send=args.send_now))
    except ConfigError as exc:
        print(f"cebot: {exc}", file=sys.stderr)
        return 2
    return 2


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.serve import Webhook, serve  # late: see main

    webhook = None
    if args.webhook_url:
        secret = (
            args.secret_token or os.environ.get("CEBOT_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
        )
        webhook = Webhook(url=args.webhook_url, listen=args.listen, port=args.port, secret=secret)
    return asyncio.run(serve(settings, webhook=webhook, health_port=args.health_port))


def _reviewer_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reviewer = commands.add_parser(
        "reviewer",
        help="主管部门审核员: add, list, reset a password, deactivate, activate, regions",
    )
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
    actions.add_parser("list", help="list the reviewers: state and regions")
    reset = actions.add_parser(
        "reset-password",
        help="a one-time password, changed at the next login; every session ends "
        "(refused for a deactivated reviewer: activate first)",
    )
    _one_reviewer(reset)
    _password_source(reset)
    deactivate = actions.add_parser(
        "deactivate", help="no more login as a reviewer; their sessions and open steps end"
    )
    _one_reviewer(deactivate)
    activate = actions.add_parser("activate", help="a deactivated reviewer may log in again")
    _one_reviewer(activate)
    regions = actions.add_parser("regions", help="set the 市州 the reviewer covers")
    _one_reviewer(regions)
    which = regions.add_mutually_exclusive_group(required=True)
    which.add_argument("--region", action="append", help="a 市州; repeat for several")
    which.add_argument("--all-regions", action="store_true", help="the whole province")


def _one_reviewer(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--id-number", help="身份证号码")
    which.add_argument("--id", type=int, help="the #id that `cebot reviewer list` shows")


def _password_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stdin",
        action="store_true",
        help="read the one-time password from standard input (one line) instead of generating "
        "one; it must meet the password policy",
    )


def _user_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help="any person: reset a forgotten password")
    actions = user.add_subparsers(dest="user_action", required=True)
    reset = actions.add_parser(
        "reset-password",
        help="a one-time password (printed once), changed at the next login; every session ends",
    )
    reset.add_argument("--id-number", required=True, help="身份证号码")
    _password_source(reset)


def _initial_password() -> str | None:
    """From the environment, else typed twice without echo; None when the two differ."""
    given = os.environ.get(REVIEWER_PASSWORD_ENV)
    if given:
        return given
    first = getpass.getpass("初始密码 / initial password: ")
    second = getpass.getpass("再次输入 / again: ")
    return first if first == second else None


async def _upgrade(settings: Settings) -> None:
    async with Root(settings) as root:
        await root.upgrade_schema()


@asynccontextmanager
async def _operator_root(settings: Settings) -> AsyncIterator[Root]:
    """What an operator's command works with, on the configured database."""
    async with Root(settings) as root:
        await root.prepare_database()  # as ``cebot run`` does: an embedded database migrates
        yield root


async def _reviewer(settings: Settings, args: argparse.Namespace) -> int:
    """``cebot reviewer …``: reviewers belong to no base, so only the operator manages them."""
    async with _operator_root(settings) as root:
        if args.reviewer_action == "add":
            return await _add_reviewer(root, args)
        if args.reviewer_action == "list":
            return await _list_reviewers(root)
        return await _change_reviewer(root, args)


async def _change_reviewer(root: Root, args: argparse.Namespace) -> int:
    """reset-password, deactivate, activate, regions: one reviewer, one unit of work."""
    action = args.reviewer_action
    given = None
    if action == "reset-password" and args.stdin:
        given = _password_from_stdin()
        if given is None:
            return 1
    try:
        async with root.uow() as uow:
            reviewer = await review.find_reviewer(
                uow, root.clock, id_number=args.id_number, user_id=args.id
            )
            who = f"#{reviewer.id} {reviewer.name} {mask_id_number(reviewer.id_number)}"
            if action == "reset-password":
                password = await review.reset_reviewer_password(
                    uow, root.hasher, root.clock, reviewer, given
                )
                message = f"password reset: {who}; every session ended"
            elif action == "deactivate":
                ended = await review.deactivate_reviewer(uow, root.clock, reviewer)
                message = f"deactivated: {who}; {ended} open session(s) ended"
            elif action == "activate":
                changed = await review.activate_reviewer(uow, root.clock, reviewer)
                message = f"activated: {who}" if changed else f"already active: {who}"
            else:
                regions = [] if args.all_regions else args.region
                covered = await review.set_regions(uow, root.clock, reviewer, regions)
                message = f"regions of {who}: {'、'.join(covered) or '全省'}"
    except DomainError as refused:
        print(f"cebot: {refused.key.format(**refused.params)}", file=sys.stderr)
        return 1
    print(message)
    if action == "reset-password":
        _print_one_time(password, given is not None)
    return 0


async def _user(settings: Settings, args: argparse.Namespace) -> int:
    """``cebot user reset-password``: anyone, a base's only super admin included."""
    given = None
    if args.stdin:
        given = _password_from_stdin()
        if given is None:
            return 1
    async with _operator_root(settings) as root:
        try:
            async with root.uow() as uow:
                person, password = await admins.operator_reset_password(
                    uow, root.hasher, root.clock, id_number=args.id_number, password=given
                )
        except DomainError as refused:
            print(f"cebot: {refused.key.format(**refused.params)}", file=sys.stderr)
            return 1
    print(
        f"password reset: #{person.id} {person.name} {mask_id_number(person.id_number)}; "
        "every session ended"
    )
    _print_one_time(password, given is not None)
    return 0


def _password_from_stdin() -> str | None:
    """One line from standard input, its line break dropped; None (and why) when empty."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        print("cebot: no password on standard input; nothing was changed", file=sys.stderr)
        return None
    return line


def _print_one_time(password: str, given: bool) -> None:
    """A generated password is printed once, alone on its line; a given one is never echoed."""
    if not given:
        print(f"one-time password: {password}")
    print("it must be changed at the next login (/login in the chat); the person is told")


def _deadline_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    async with _operator_root(settings) as root:
        units = root.uow
        try:
            if args.deadline_action == "set":
                due = deadlines.parse_due(args.due, settings.timezone) if args.due else None
                async with units() as uow:
                    stored = await deadlines.set_deadline(
                        uow,
                        root.clock,
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


async def _add_reviewer(root: Root, args: argparse.Namespace) -> int:
    password = _initial_password()
    if password is None:
        print("cebot: the two passwords differ; nothing was created", file=sys.stderr)
        return 1
    try:
        async with root.uow() as uow:
            user = await review.create_reviewer(
                uow,
                root.hasher,
                root.clock,
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


async def _list_reviewers(root: Root) -> int:
    async with root.uow(readonly=True) as uow:
        users = await uow.users.reviewers()
    if not users:
        print("no reviewers yet: cebot reviewer add --name … --id-number … --mobile …")
    for user in users:
        regions = "、".join(user.reviewer_regions) or "全省"
        state = "active" if user.reviewer_active else "deactivated"
        print(
            f"#{user.id} {user.name} {mask_id_number(user.id_number)} {user.mobile} "
            f"{state} {regions}"
        )
    return 0


async def _reminders(settings: Settings, *, send: bool) -> int:
    """``--dry-run`` writes nothing; ``--send-now`` plans into the outbox and empties it once."""
    if send:
        return await _send_reminders(settings)
    rules = settings.reminders
    async with _operator_root(settings) as root, root.uow(readonly=True) as uow:
        now = root.clock.now()
        due_dates = await gather.deadlines_around(uow, now, rules)
        found = await gather.gather(uow, due_dates, rules)
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


async def _send_reminders(settings: Settings) -> int:
    # The Application (late: see main) and its sender, for the one operator command that sends.
    from bot.app import application_on
    from bot.reminders import TelegramSender

    rules = settings.reminders
    async with Root(settings) as root:
        app = application_on(root)
        await root.prepare_database()
        services = root.services
        async with app:
            async with services.uow() as uow:
                added = await gather.enqueue_due(uow, services.clock, rules)
            print(f"{added} new reminders planned")
            sender = TelegramSender(app, services)
            report = await dispatch_due(services.uow, services.clock, sender, Pacer())
    print(f"{report.sent} sent, {report.failed} failed, {report.retried} to retry later")
    return 0


if __name__ == "__main__":
    sys.exit(main())
