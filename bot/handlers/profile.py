"""/profile (继续教育机构信息管理): the base's profile as one message, each field editable.

A typed value is validated at once with registration's rules, shown as old → new, and stored
only when the admin confirms.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.handlers import conversation
from bot.handlers.base_fields import BASE_FIELD_TEXT, BASE_FIELD_TEXTS
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from bot.runtime import App, Ctx, acting, reply, services, tr
from domain import validators
from domain.errors import Invalid, NotFound
from domain.model import Base
from domain.services import profile

DRAFT_KEY = "draft:profile"
EDIT = CallbackAction("prof:edit", words=1)
REGION = CallbackAction("prof:region", ids=1)
SAVE = CallbackAction("prof:save")
DISCARD = CallbackAction("prof:discard")


class State(IntEnum):
    VALUE = 0
    CONFIRM = 1


def profile_text(base: Base, t: Translator) -> str:
    lines = [t(N_("继续教育机构信息"))]
    for field in BASE_FIELD_TEXTS:
        lines.append(
            t(N_("{label}：{value}"), label=t(field.label), value=getattr(base, field.attribute))
        )
    return "\n".join(lines)


def profile_keyboard(t: Translator) -> InlineKeyboardMarkup:
    edits = [
        button(t(N_("修改{label}"), label=t(f.label)), EDIT.encode(f.attribute))
        for f in BASE_FIELD_TEXTS
    ]
    return rows([*edits, button(t(N_("返回功能列表")), MENU_SHOW.encode())], per_row=2)


async def show(update: Update, context: Ctx) -> int:
    """/profile or the menu button: the profile and its edit buttons."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    async with acting(update, context, readonly=True) as (uow, actor):
        base = await profile.get_profile(uow, actor)
    t = tr(update, context)
    await reply(update, profile_text(base, t), profile_keyboard(t))
    return ConversationHandler.END


async def ask(update: Update, context: Ctx) -> State:
    """An edit button: the field name is a word from a fixed list, checked on arrival."""
    assert update.callback_query is not None and context.user_data is not None
    attribute = EDIT.parse_word(update.callback_query.data)
    if attribute not in BASE_FIELD_TEXT:
        raise NotFound()
    async with acting(update, context, readonly=True) as (uow, actor):
        await profile.get_profile(uow, actor)  # the permission is checked now, not only on saving
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"field": attribute}
    t = tr(update, context)
    keyboard = None
    if attribute == "region":
        keyboard = rows(
            [button(r, REGION.encode(i)) for i, r in enumerate(validators.HUBEI_REGIONS)], 3
        )
    await reply(update, t(BASE_FIELD_TEXT[attribute].prompt), keyboard, edit=False)
    return State.VALUE


async def typed(update: Update, context: Ctx) -> State | int:
    """VALUE: validated now; old → new shown for confirmation."""
    assert update.message is not None and update.message.text is not None
    return await _propose(update, context, update.message.text)


async def picked_region(update: Update, context: Ctx) -> State | int:
    """VALUE: a region button; the index is checked against the list."""
    assert update.callback_query is not None
    index = REGION.parse_id(update.callback_query.data)
    if index >= len(validators.HUBEI_REGIONS):
        raise Invalid("region")
    await update.callback_query.answer()
    return await _propose(update, context, validators.HUBEI_REGIONS[index])


async def _propose(update: Update, context: Ctx, raw: str) -> State | int:
    draft = _draft(context)
    field = draft["field"]
    value = profile.parse_base_field(field, raw)
    async with acting(update, context, readonly=True) as (uow, actor):
        base = await profile.get_profile(uow, actor)
    t = tr(update, context)
    old = getattr(base, field)
    if old == value:
        await reply(update, t(N_("与原值相同，未作修改。")), profile_keyboard(t), edit=False)
        return _end(context)
    draft["value"] = value
    label = t(BASE_FIELD_TEXT[field].label)
    keyboard = rows(
        [button(t(N_("✅ 确认修改")), SAVE.encode()), button(t(N_("取消")), DISCARD.encode())]
    )
    await reply(
        update,
        t(N_("{label}：\n{old}\n→ {new}\n确认修改吗？"), label=label, old=old, new=value),
        keyboard,
        edit=False,
    )
    return State.CONFIRM


async def save(update: Update, context: Ctx) -> int:
    """CONFIRM: stored and written to the audit trail with old and new value."""
    assert update.callback_query is not None
    draft = _draft(context)
    if "value" not in draft:
        raise Invalid("field")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        base, _changed = await profile.update_field(
            uow, svc.clock, actor, draft["field"], draft["value"]
        )
    await update.callback_query.answer()
    t = tr(update, context)
    await reply(update, t(N_("已保存。")) + "\n\n" + profile_text(base, t), profile_keyboard(t))
    return _end(context)


async def discard(update: Update, context: Ctx) -> int:
    """CONFIRM: nothing is stored."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    t = tr(update, context)
    await reply(update, t(N_("未作修改。")))
    return _end(context)


def _draft(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or "field" not in draft:
        raise Invalid("field", N_("这一步已失效，请重新打开 /profile。"))
    return draft


def _end(context: Ctx) -> int:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
    return ConversationHandler.END


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="profile",
        persistent=True,
        entry_points=[CallbackQueryHandler(ask, pattern=EDIT.pattern)],
        states={
            State.VALUE: [
                CallbackQueryHandler(picked_region, pattern=REGION.pattern),
                MessageHandler(text, typed),
            ],
            State.CONFIRM: [
                CallbackQueryHandler(save, pattern=SAVE.pattern),
                CallbackQueryHandler(discard, pattern=DISCARD.pattern),
            ],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(CommandHandler("profile", show))
    app.add_handler(CallbackQueryHandler(show, pattern=f"^{MENU_OPEN.encode('profile')}$"))
    app.add_handler(build())
