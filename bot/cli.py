"""The ``cebot`` command line: run the bot, talk to it in the terminal, operate the database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from collections.abc import Sequence

from telegram.ext import Application

from bot.config import ConfigError, Settings
from bot.runtime import SERVICES_KEY


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


if __name__ == "__main__":
    sys.exit(main())
