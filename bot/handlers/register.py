"""/register (注册): the base and its first admin, field by field, validated as typed.

The draft lives in ``user_data`` (persisted encrypted), so a restart mid-registration continues
where the user was. Passwords are hashed the moment they are read and the message deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
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
from bot.i18n import N_, Translator
from bot.keyboards import button, column, rows
from bot.runtime import App, Ctx, delete_user_message, reply, services, telegram_user_id, tr
from domain import validators
from domain.errors import Invalid
from domain.services import auth
from domain.services.profile import parse_base_field


class State(IntEnum):
    FIELD = 0
    REGION = 1
    PASSWORD = 2
    PASSWORD_AGAIN = 3
    CONFIRM = 4


DRAFT_KEY = "draft:register"
REGION_PICK = CallbackAction("reg:region", ids=1)
EDIT_FIELD = CallbackAction("reg:edit", words=1)
CONFIRM = CallbackAction("reg:ok")
ABORT = CallbackAction("reg:cancel")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    prompt: str
    parse: Callable[[str, date], str]
    sensitive: bool = False


def _base_field(key: str, attribute: str) -> Field:
    text = BASE_FIELD_TEXT[attribute]
    return Field(key, text.label, text.prompt, lambda raw, _: parse_base_field(attribute, raw))


FIELDS: tuple[Field, ...] = (
    *(
        _base_field("base_name" if f.attribute == "name" else f.attribute, f.attribute)
        for f in BASE_FIELD_TEXTS
    ),
    Field(
        "admin_name",
        N_("管理员姓名"),
        N_("请输入管理员（您本人）的姓名："),
        lambda raw, _: validators.parse_name(raw),
    ),
    Field(
        "admin_id_number",
        N_("管理员身份证号码"),
        N_("请输入管理员身份证号码（18 位，即登录账号）。为保护隐私，该消息读取后会立即删除："),
        validators.parse_id_number,
        sensitive=True,
    ),
    Field(
        "admin_mobile",
        N_("管理员手机号码"),
        N_("请输入管理员手机号码（11 位）："),
        lambda raw, _: validators.parse_mobile(raw),
    ),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
PASSWORD_PROMPT = N_(
    "请设置登录密码：至少 8 个字符，可使用任意字符（包括空格和汉字），"
    "不能是常见密码，也不能包含身份证号码或手机号码。该消息读取后会立即删除。"
)
PASSWORD_AGAIN_PROMPT = N_("请再次输入密码以确认：")


def _draft(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.setdefault(DRAFT_KEY, {"values": {}, "editing": False})
    assert isinstance(draft, dict)
    return draft


def _next_missing(draft: dict[str, Any]) -> Field | None:
    return next((f for f in FIELDS if f.key not in draft["values"]), None)


async def _ask(update: Update, context: Ctx, field: Field) -> State:
    t = tr(update, context)
    _draft(context)["field"] = field.key
    if field.key == "region":
        keyboard = rows(
            [
                button(name, REGION_PICK.encode(i))
                for i, name in enumerate(validators.HUBEI_REGIONS)
            ],
            3,
        )
        await reply(update, t(field.prompt), keyboard, edit=False)
        return State.REGION
    await reply(update, t(field.prompt), edit=False)
    return State.FIELD


async def _advance(update: Update, context: Ctx) -> State:
    """The next empty field, the password, or the summary when editing or done."""
    draft = _draft(context)
    missing = _next_missing(draft)
    if missing is not None and not draft["editing"]:
        return await _ask(update, context, missing)
    if "password_hash" not in draft:
        await reply(update, tr(update, context)(PASSWORD_PROMPT), edit=False)
        return State.PASSWORD
    return await _summary(update, context)


async def begin(update: Update, context: Ctx) -> State:
    """/register: a fresh draft, the first question."""
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = {"values": {}, "editing": False}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("开始注册继续教育基地。共 {count} 项信息，随时发送 /cancel 取消。"),
            count=len(FIELDS) + 1,
        ),
    )
    return await _advance(update, context)


async def typed_field(update: Update, context: Ctx) -> State:
    """FIELD: one typed value, validated now; refused values keep the user on the same field."""
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    field = FIELDS_BY_KEY[draft["field"]]
    if field.sensitive:
        await delete_user_message(update)
    svc = services(context)
    value = field.parse(update.message.text, svc.clock.now().date())
    await _check_unique(context, field.key, value)
    return await _store(update, context, field.key, value)


async def picked_region(update: Update, context: Ctx) -> State:
    """REGION: a button; its index is checked against the list, never trusted."""
    assert update.callback_query is not None
    index = REGION_PICK.parse_id(update.callback_query.data)
    if index >= len(validators.HUBEI_REGIONS):
        raise Invalid("region")
    await update.callback_query.answer()
    region = validators.HUBEI_REGIONS[index]
    await reply(update, tr(update, context)(N_("所在市州：{region}"), region=region))
    return await _store(update, context, "region", region)


async def typed_region(update: Update, context: Ctx) -> State:
    """REGION: a typed name instead of a button."""
    assert update.message is not None and update.message.text is not None
    return await _store(update, context, "region", validators.parse_region(update.message.text))


async def _store(update: Update, context: Ctx, key: str, value: str) -> State:
    draft = _draft(context)
    draft["values"][key] = value
    if key in {"admin_id_number", "admin_mobile", "admin_name"}:
        draft.pop("password_hash", None)  # the policy checks the password against these
    return await _advance(update, context)


async def _check_unique(context: Ctx, key: str, value: str) -> None:
    if key not in {"credit_code", "admin_id_number"}:
        return
    svc = services(context)
    async with svc.uow(readonly=True) as uow:
        if key == "credit_code":
            await auth.ensure_registrable(uow, credit_code=value)
        else:
            await auth.ensure_registrable(uow, id_number=value)


async def typed_password(update: Update, context: Ctx) -> State:
    """PASSWORD: deleted at once, checked against the policy, hashed; only the hash is kept."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = _draft(context)
    values = draft["values"]
    draft["password_hash"] = await auth.prepare_password(
        services(context).hasher,
        password,
        id_number=values.get("admin_id_number"),
        mobile=values.get("admin_mobile"),
        name=values.get("admin_name"),
    )
    await reply(update, tr(update, context)(PASSWORD_AGAIN_PROMPT), edit=False)
    return State.PASSWORD_AGAIN


async def typed_password_again(update: Update, context: Ctx) -> State:
    """PASSWORD_AGAIN: must match; otherwise both are asked again."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = _draft(context)
    t = tr(update, context)
    if not await services(context).hasher.verify(password, draft["password_hash"]):
        draft.pop("password_hash")
        await reply(update, t(N_("两次输入的密码不一致。")) + "\n" + t(PASSWORD_PROMPT), edit=False)
        return State.PASSWORD
    return await _advance(update, context)


def _summary_text(draft: dict[str, Any], t: Translator) -> str:
    values = draft["values"]
    lines = [t(N_("请核对注册信息："))]
    for field in FIELDS:
        shown = values[field.key]
        if field.key == "admin_id_number":
            shown = validators.mask_id_number(shown)
        lines.append(t(N_("{label}：{value}"), label=t(field.label), value=shown))
    lines.append(t(N_("登录密码：已设置（不显示）")))
    return "\n".join(lines)


def _summary_keyboard(t: Translator) -> InlineKeyboardMarkup:
    edits = [
        button(t(N_("修改{label}"), label=t(f.label)), EDIT_FIELD.encode(f.key)) for f in FIELDS
    ]
    edits.append(button(t(N_("修改密码")), EDIT_FIELD.encode("password")))
    keyboard = rows(edits, per_row=2).inline_keyboard
    final = [button(t(N_("✅ 确认注册")), CONFIRM.encode()), button(t(N_("取消")), ABORT.encode())]
    return InlineKeyboardMarkup([list(final), *keyboard])


async def _summary(update: Update, context: Ctx) -> State:
    draft = _draft(context)
    draft["editing"] = True
    t = tr(update, context)
    await reply(update, _summary_text(draft, t), _summary_keyboard(t), edit=False)
    return State.CONFIRM


async def edit_field(update: Update, context: Ctx) -> State:
    """CONFIRM: correct one field, then back to the summary."""
    assert update.callback_query is not None
    key = EDIT_FIELD.parse_word(update.callback_query.data)
    await update.callback_query.answer()
    if key == "password":
        _draft(context).pop("password_hash", None)
        await reply(update, tr(update, context)(PASSWORD_PROMPT), edit=False)
        return State.PASSWORD
    field = FIELDS_BY_KEY.get(key)
    if field is None:
        raise Invalid("field")
    return await _ask(update, context, field)


async def confirm(update: Update, context: Ctx) -> int:
    """CONFIRM: everything is validated once more by the service and saved in one transaction."""
    assert update.callback_query is not None and context.user_data is not None
    await update.callback_query.answer()
    draft = _draft(context)
    values = draft["values"]
    svc = services(context)
    form = auth.Registration(password_hash=draft["password_hash"], **values)
    async with svc.uow() as uow:
        outcome = await auth.register_base(
            uow, svc.clock, form, telegram_user_id=telegram_user_id(update)
        )
    context.user_data.pop(DRAFT_KEY, None)
    t = tr(update, context)
    base = outcome.bases[0]
    await reply(
        update,
        t(N_("注册成功！“{base}”已创建，您是该基地的超级管理员，已为您登录。"), base=base.name),
        column([button(t(N_("打开功能列表")), "menu")]),
    )
    return ConversationHandler.END


async def abort(update: Update, context: Ctx) -> int:
    """The summary's cancel button."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await conversation.cancel(update, context)


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="register",
        persistent=True,
        entry_points=[CommandHandler("register", begin)],
        states={
            State.FIELD: [MessageHandler(text, typed_field)],
            State.REGION: [
                CallbackQueryHandler(picked_region, pattern=REGION_PICK.pattern),
                MessageHandler(text, typed_region),
            ],
            State.PASSWORD: [MessageHandler(text, typed_password)],
            State.PASSWORD_AGAIN: [MessageHandler(text, typed_password_again)],
            State.CONFIRM: [
                CallbackQueryHandler(edit_field, pattern=EDIT_FIELD.pattern),
                CallbackQueryHandler(confirm, pattern=CONFIRM.pattern),
                CallbackQueryHandler(abort, pattern=ABORT.pattern),
            ],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
