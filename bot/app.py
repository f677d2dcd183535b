"""The Application on a composition root (``bot.bootstrap``): handlers, persistence, commands.

Nothing is built at import time. ``cebot run`` builds the Application with ``application_on`` on
the root it owns; the console, ``cebot reminders --send-now`` and the tests with
``build_application``, so the tests drive exactly what production runs.
"""

from __future__ import annotations

from typing import cast

from telegram import BotCommand
from telegram.ext import ApplicationBuilder
from telegram.request import HTTPXRequest

from bot import errors
from bot.answering import AnsweringBot
from bot.bootstrap import Overrides, Root
from bot.config import Settings
from bot.handlers import (
    admins,
    audit,
    blocked_chats,
    classes,
    conversation,
    deadlines,
    edits,
    login,
    menu,
    password,
    profile,
    register,
    review,
    roles,
    scores,
    submissions,
)
from bot.i18n import N_, Translator
from bot.persistence import SqlPersistence
from bot.processor import PerChatUpdateProcessor
from bot.retrying import RetryingRateLimiter
from bot.runtime import SERVICES_KEY, App, services_of

COMMANDS: tuple[tuple[str, str], ...] = (
    ("menu", N_("功能列表")),
    ("profile", N_("继续教育机构信息管理")),
    ("admins", N_("权限管理")),
    ("roles", N_("角色管理")),
    ("classes", N_("培训班管理")),
    ("scores", N_("学员成绩管理")),
    ("plan", N_("年度培训计划")),
    ("summary", N_("年度工作总结")),
    ("materials", N_("年度工作材料报送")),
    ("deadlines", N_("截止日期与提醒")),
    ("audit", N_("操作记录（超级管理员）")),
    ("review", N_("待审核事项（主管部门审核员）")),
    ("base", N_("切换管理的基地")),
    ("login", N_("登录")),
    ("register", N_("注册继续教育基地")),
    ("password", N_("修改密码")),
    ("logout", N_("退出登录")),
    ("language", N_("切换语言")),
    ("help", N_("帮助")),
    ("cancel", N_("取消当前操作")),
)


def build_application(settings: Settings, overrides: Overrides | None = None) -> App:
    """The Application on a root of its own, closed (its engine disposed) when it shuts down."""
    return application_on(Root(settings, overrides), closes_root=True)


def application_on(root: Root, *, closes_root: bool = False) -> App:
    """The Application on ``root``'s parts. ``root`` is closed by whoever made it, after the
    Application stopped: ``cebot run``, whose root also holds the lease; or, with
    ``closes_root``, the Application itself once it has shut down."""
    overrides = root.overrides
    api_root = (overrides.bot_api_url or root.settings.bot_api_url).rstrip("/")
    persistence = SqlPersistence(root.persistence_store)
    processor = PerChatUpdateProcessor()

    async def post_init(app: App) -> None:
        await register_commands(app)

    async def post_shutdown(app: App) -> None:
        if closes_root:
            await root.aclose()

    # The bot is built here rather than by the builder: ours notes the button presses it
    # answers (bot/answering.py). Its requests are the builder's defaults.
    bot = AnsweringBot(
        token=overrides.token or root.settings.require_token(),
        base_url=f"{api_root}/bot",
        base_file_url=f"{api_root}/file/bot",
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        rate_limiter=RetryingRateLimiter(max_retries=3) if overrides.rate_limiter else None,
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .persistence(persistence)
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    # Application is invariant in its bot's type: App names the ExtBot our AnsweringBot extends.
    app = cast(App, builder.build())
    processor.after_update = app.update_persistence  # written after every update, not every minute
    app.bot_data[SERVICES_KEY] = root.services
    install_handlers(app)
    return app


async def prepare_database(app: App) -> None:
    """Runs before ``initialize()``, which already reads the persistence tables.

    An embedded SQLite is migrated here; a PostgreSQL deployment runs ``cebot db upgrade`` itself.
    """
    await services_of(app).prepare_database()


def install_handlers(app: App) -> None:
    """Order matters within the default group: conversations first, the catch-all hints last."""
    edits.register(app)
    register.register(app)
    login.register(app)
    password.register(app)
    # Features claim their own menu button (menu:open:<key>) before the generic "coming soon".
    profile.register(app)
    admins.register(app)
    roles.register(app)
    audit.register(app)
    classes.register(app)
    scores.register(app)
    submissions.register(app)
    review.register(app)
    deadlines.register(app)
    blocked_chats.register(app)
    menu.register(app)
    menu.register_fallbacks(app)
    app.add_error_handler(errors.on_error)
    conversation.install(app)  # one conversation at a time, the sweep, typed labels
    app.bot_data[conversation.DIRECT_COMMANDS_KEY] = {
        "start": menu.start,
        "help": menu.help_command,
        "menu": menu.show_menu,
        "language": menu.choose_language,
        "logout": login.logout,
        "base": login.switch_base,
        "profile": profile.show,
        "admins": admins.open_list,
        "audit": audit.command,
        "classes": classes.show,
        "scores": scores.show,
        "plan": submissions.show_plan,
        "summary": submissions.show_summary,
        "materials": submissions.show_materials,
        "review": review.command,
        "deadlines": deadlines.command,
    }


async def register_commands(app: App) -> None:
    """The command list in Chinese (the default) and English."""
    for language in ("zh", "en"):
        t = Translator(language, services_of(app).settings.timezone)
        commands = [BotCommand(name, t(description)) for name, description in COMMANDS]
        await app.bot.set_my_commands(
            commands, language_code=None if language == "zh" else language
        )
        if language == "zh":
            await app.bot.set_my_commands(commands, language_code="zh")
