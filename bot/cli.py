"""The ``cebot`` command line: run the bot, talk to it in the terminal, operate the database."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import secrets
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from telegram.ext import Application

from bot.config import ConfigError, Settings
from bot.runtime import SERVICES_KEY
from domain.validators import mask_id_number

if TYPE_CHECKING:
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.load()
    except ConfigError as exc:
        print(f"cebot: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
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
    except ConfigError as exc:
        print(f"cebot: {exc}", file=sys.stderr)
        return 2
    return 2


async def _prepare(app: Application) -> None:  # type: ignore[type-arg]
    """Migrations before PTB's own loop starts; the pool is emptied so no connection outlives it."""
    from bot.app import prepare_database

    await prepare_database(app)
    await app.bot_data[SERVICES_KEY].release_connections()


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_application

    app = build_application(settings)
    asyncio.run(_prepare(app))
    if args.webhook_url:
        import os

        secret = (
            args.secret_token or os.environ.get("CEBOT_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
        )
        app.run_webhook(
            listen=args.listen,
            port=args.port,
            url_path="telegram",
            webhook_url=args.webhook_url,
            secret_token=secret,
        )
    else:
        app.run_polling()
    return 0


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


async def _reviewer(settings: Settings, args: argparse.Namespace) -> int:
    """``cebot reviewer add|list``: reviewers belong to no base, so only the operator makes them."""
    from storage.crypto import FieldCipher, load_keyring
    from storage.db import is_sqlite, make_engine
    from storage.migrate import upgrade_engine
    from storage.uow import UnitOfWorkFactory

    engine = make_engine(settings.database_url)
    try:
        if is_sqlite(engine):  # as ``cebot run`` does: an embedded database migrates itself
            await upgrade_engine(engine)
        cipher = FieldCipher(load_keyring(settings.secret_keys, settings.data_dir, logger=log))
        uow = UnitOfWorkFactory(engine, cipher)
        if args.reviewer_action == "add":
            return await _add_reviewer(uow, args)
        return await _list_reviewers(uow)
    finally:
        await engine.dispose()


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


if __name__ == "__main__":
    sys.exit(main())
