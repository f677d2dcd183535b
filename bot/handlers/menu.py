"""/start, /help, /menu (功能列表), /language, and a hint for anything the bot does not expect."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.answering import answer_if_open
from bot.callbacks import CallbackAction
from bot.errors import describe
from bot.i18n import LANGUAGES, N_, Translator
from bot.keyboards import button, column, rows
from bot.runtime import (
    LANGUAGE_KEY,
    App,
    Ctx,
    current_home,
    reply,
    resolved,
    services,
    telegram_user_id,
    tr,
)
from domain.commands import Standing, commands_for
from domain.errors import NotPermitted
from domain.model import Actor, ReviewerActor
from domain.permissions import Permission
from domain.ports import UnitOfWork
from domain.services.sessions import PasswordChangeRequired, standing

MENU_OPEN = CallbackAction("menu:open", words=1)
MENU_SHOW = CallbackAction("menu")
LANGUAGE_SET = CallbackAction("lang", words=1)


@dataclass(frozen=True)
class Module:
    """A function of the manual's list (功能列表); its feature claims ``menu:open:<key>``."""

    key: str
    label: str
    permission: Permission


MODULES: tuple[Module, ...] = (
    Module("profile", N_("继续教育机构信息管理"), Permission.PROFILE_EDIT),
    Module("admins", N_("权限管理"), Permission.ADMINS_MANAGE),
    Module("roles", N_("角色管理"), Permission.ROLES_MANAGE),
    Module("classes", N_("培训班管理"), Permission.CLASSES_MANAGE),
    Module("scores", N_("学员成绩管理"), Permission.SCORES_MANAGE),
    Module("plan", N_("年度培训计划"), Permission.PLANS_MANAGE),
    Module("summary", N_("年度工作总结"), Permission.SUMMARIES_MANAGE),
    Module("materials", N_("年度工作材料报送"), Permission.MATERIALS_MANAGE),
)
MODULES_BY_KEY = {m.key: m for m in MODULES}

WELCOME = N_(
    "您好！这里是湖北省专业技术人员继续教育公共服务平台的继续教育基地管理助手。\n\n"
    "已注册的基地管理员请发送 /login 登录；新基地请发送 /register 注册。\n"
    "发送 /help 查看全部命令。"
)
HELP_HEADING = N_("可用命令：")
HELP_PRIVACY = N_("为保护个人信息，含密码或身份证号码的消息会在读取后立即从聊天中删除。")
COMMAND_LABELS: dict[str, str] = {
    "login": N_("登录（身份证号码 + 密码）"),
    "register": N_("注册继续教育基地"),
    "menu": N_("功能列表"),
    "profile": N_("继续教育机构信息管理"),
    "admins": N_("权限管理"),
    "roles": N_("角色管理"),
    "classes": N_("培训班管理"),
    "scores": N_("学员成绩管理"),
    "plan": N_("年度培训计划"),
    "summary": N_("年度工作总结"),
    "materials": N_("年度工作材料报送"),
    "audit": N_("操作记录"),
    "review": N_("待审核事项"),
    "deadlines": N_("截止日期与提醒"),
    "base": N_("切换管理的基地"),
    "password": N_("修改密码"),
    "logout": N_("退出登录"),
    "language": N_("切换语言"),
    "help": N_("帮助"),
    "cancel": N_("取消当前操作"),
}
"""What /help says of each command ``domain.commands`` may allow."""


def help_text(standing: Standing, t: Translator) -> str:
    """Exactly the commands this person may use now, one a line."""
    lines = [t(HELP_HEADING)]
    lines += [f"/{command} {t(COMMAND_LABELS[command])}" for command in commands_for(standing)]
    return "\n".join(lines) + "\n\n" + t(HELP_PRIVACY)


HINT = N_("我没有理解这条消息。请使用下方命令或按钮操作，发送 /help 查看全部命令。")
UNSUPPORTED = N_("暂不支持这种类型的消息。请发送文字或使用按钮，发送 /help 查看全部命令。")


def menu_keyboard(actor: Actor, t: Translator) -> InlineKeyboardMarkup:
    """Only the entries the admin's permissions allow, then password and logout."""
    allowed = [
        button(t(m.label), MENU_OPEN.encode(m.key)) for m in MODULES if actor.can(m.permission)
    ]
    extras = [
        button(t(N_("截止日期与提醒")), MENU_OPEN.encode("deadlines")),
        button(t(N_("修改密码")), "pw:start"),
        button(t(N_("退出登录")), "logout"),
    ]
    if actor.is_super:
        extras.insert(0, button(t(N_("操作记录")), MENU_OPEN.encode("audit")))
    return rows([*allowed, *extras], per_row=2)


def menu_text(actor: Actor, t: Translator) -> str:
    role = t(N_("超级管理员")) if actor.is_super else t(N_("管理员"))
    lines = [
        t(N_("功能列表")),
        t(N_("{base} · {name}（{role}）"), base=actor.base_name, name=actor.user_name, role=role),
    ]
    if not actor.permissions:
        lines.append(t(N_("您的角色目前没有任何权限，请联系本基地超级管理员分配。")))
    return "\n".join(lines)


REVIEW_HOME = MENU_OPEN.encode("review")
"""The reviewer's way in (待审核事项); bot/handlers/review.py claims it."""


def reviewer_menu(reviewer: ReviewerActor, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = t(N_("功能列表\n{name}（主管部门审核员）"), name=reviewer.user_name)
    keyboard = column(
        [
            button(t(N_("待审核事项")), REVIEW_HOME),
            button(t(N_("截止日期")), MENU_OPEN.encode("deadlines")),
            button(t(N_("修改密码")), "pw:start"),
            button(t(N_("退出登录")), "logout"),
        ]
    )
    return text, keyboard


async def show_menu(update: Update, context: Ctx) -> None:
    """/menu or the 功能列表 button: the function list by permission, or the reviewer's.

    A press is answered first, so the phone's spinner stops before the list is read.
    """
    if update.callback_query is not None:
        await update.callback_query.answer()
    t = tr(update, context)
    home = await resolved(context, partial(current_home, update, context))
    if isinstance(home, ReviewerActor):
        await reply(update, *reviewer_menu(home, t))
        return
    await reply(update, menu_text(home, t), menu_keyboard(home, t))


async def where_one_stands(update: Update, context: Ctx) -> Standing:
    """The person's standing, read without queueing behind a writer (see ``resolved``)."""
    svc = services(context)

    async def guard(uow: UnitOfWork) -> Standing:
        return await standing(uow, svc.clock, telegram_user_id(update), svc.session_policy)

    return await resolved(context, guard)


async def start(update: Update, context: Ctx) -> None:
    """/start: the function list when logged in; otherwise the greeting and the way in."""
    t = tr(update, context)
    found = await where_one_stands(update, context)
    notice = describe(found.notice, t) + "\n\n" if found.notice is not None else ""
    if isinstance(found.home, ReviewerActor):
        text, keyboard = reviewer_menu(found.home, t)
        await reply(update, notice + text, keyboard, edit=False)
    elif isinstance(found.home, Actor):
        await reply(
            update, notice + menu_text(found.home, t), menu_keyboard(found.home, t), edit=False
        )
    elif found.must_change_password:
        await reply(update, notice + t(PasswordChangeRequired.default_key), edit=False)
    elif found.base_choice_required:
        await reply(update, notice + t(N_("请发送 /base 选择要管理的继续教育基地。")), edit=False)
    else:
        await reply(update, notice + t(WELCOME), edit=False)


async def help_command(update: Update, context: Ctx) -> None:
    """/help: the commands this person may use now (``domain.commands``), in one message."""
    t = tr(update, context)
    found = await where_one_stands(update, context)
    notice = describe(found.notice, t) + "\n\n" if found.notice is not None else ""
    await reply(update, notice + help_text(found, t), edit=False)


async def choose_language(update: Update, context: Ctx) -> None:
    """/language: buttons for each catalogue."""
    t = tr(update, context)
    keyboard = rows([button(name, LANGUAGE_SET.encode(code)) for code, name in LANGUAGES.items()])
    await reply(update, t(N_("请选择语言：")), keyboard)


async def set_language(update: Update, context: Ctx) -> None:
    """A language button: stored in user_data, so it survives a restart."""
    assert update.callback_query is not None and context.user_data is not None
    code = LANGUAGE_SET.parse_word(update.callback_query.data)
    if code not in LANGUAGES:
        raise NotPermitted()
    context.user_data[LANGUAGE_KEY] = code
    await update.callback_query.answer()
    await reply(update, tr(update, context)(N_("语言已切换为中文。")))


async def unknown_text(update: Update, context: Ctx) -> None:
    """Text or a command outside any conversation: a hint, never silence."""
    await reply(update, tr(update, context)(HINT))


async def unsupported(update: Update, context: Ctx) -> None:
    """Stickers, photos, voice and the like."""
    await reply(update, tr(update, context)(UNSUPPORTED))


async def stale_button(update: Update, context: Ctx) -> None:
    """A button no handler claims (an old keyboard, forged data): refused politely, unless a
    handler of another group already answered it."""
    assert update.callback_query is not None
    t = tr(update, context)
    await answer_if_open(update, t(N_("这个按钮已失效，请重新打开菜单：/menu")), show_alert=True)


def register(app: App) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("menu", show_menu))
    app.add_handler(CommandHandler("language", choose_language))
    app.add_handler(CallbackQueryHandler(show_menu, pattern=MENU_SHOW.pattern))
    app.add_handler(CallbackQueryHandler(set_language, pattern=LANGUAGE_SET.pattern))


def register_fallbacks(app: App) -> None:
    """Registered last in the default group: only what no feature claimed reaches these."""
    app.add_handler(MessageHandler(filters.TEXT | filters.COMMAND, unknown_text))
    app.add_handler(MessageHandler(~filters.StatusUpdate.ALL, unsupported))
    app.add_handler(CallbackQueryHandler(stale_button))
