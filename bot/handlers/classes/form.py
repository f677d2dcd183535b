"""Declaring a class, or editing one, field by field, then a summary to correct and save.

The raw text typed so far lives in ``user_data[DRAFT_KEY]`` (persisted, encrypted), the plan file
as its stored file's id once uploaded (``plan``). The domain checks every field as it is typed,
says which field comes next, and checks the whole form again on saving.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.errors import TRY_AGAIN, describe
from bot.handlers import conversation
from bot.handlers.classes.callbacks import DRAFT_KEY, EDIT, FIX, SAVE, SKIP, VALUE, State
from bot.handlers.classes.card import show_card
from bot.handlers.classes.fields import CHOICES, FIELD_LABELS, NONE, OPTIONAL, PROMPTS, fields_text
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import Invalid
from domain.model import ClassCategory, TeachingMode
from domain.services import classes
from domain.services.classes import CLASS_FIELDS


def draft_of(context: Ctx) -> dict[str, Any]:
    """The declaration in progress; a step without one (ended, expired) is refused."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict):
        raise Invalid("field", classes.FIELD_UNKNOWN)
    return draft


def today(context: Ctx) -> date:
    svc = services(context)
    return svc.clock.now().astimezone(svc.settings.timezone).date()


async def ask(update: Update, context: Ctx, field: str, note: str = "") -> int:
    """Asks for ``field``, with the choices it has (a year, a category, 跳过)."""
    t = tr(update, context)
    draft_of(context)["field"] = field
    buttons = _choices(field, context, t)
    text = t(PROMPTS[field])
    await reply(
        update,
        f"{note}\n{text}" if note else text,
        rows(buttons, per_row=3) if buttons else None,
        edit=False,
    )
    return State.ASK


def _choices(field: str, context: Ctx, t: Translator) -> list[InlineKeyboardButton]:
    if field == "year":
        this_year = today(context).year
        return [button(str(y), VALUE.encode(str(y))) for y in (this_year, this_year + 1)]
    if field in CHOICES:
        return [button(t(label), VALUE.encode(word)) for word, label in CHOICES[field]]
    if field in OPTIONAL:
        return [button(t(N_("跳过")), VALUE.encode(SKIP))]
    return []


async def start_declare(update: Update, context: Ctx) -> int:
    """申报培训班: refused at once without the permission, before anything is typed."""
    assert context.user_data is not None
    if update.callback_query is not None:
        await update.callback_query.answer()
    async with acting(update, context) as (_uow, actor):
        classes.ensure_manager(actor)
    context.user_data[DRAFT_KEY] = {
        "class_id": None,
        "fields": {},
        "plan_file_id": None,
        "plan_file_name": "",
        "field": "name",
        "one": False,
    }
    return await ask(update, context, "name")


async def start_edit(update: Update, context: Ctx) -> int:
    """修改: the class's values as the draft, straight to the summary."""
    assert update.callback_query is not None and context.user_data is not None
    class_id = EDIT.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        editing = await classes.class_to_edit(uow, actor, class_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {
        "class_id": class_id,
        "fields": {f: getattr(editing.form, f) for f in CLASS_FIELDS},
        "plan_file_id": editing.form.plan_file_id,
        "plan_file_name": editing.plan_file_name,
        "field": "",
        "one": True,
    }
    return await summary(update, context)


async def _accept(update: Update, context: Ctx, raw: str) -> int:
    """A value for the field being asked: checked by the domain, kept raw, then the next step."""
    draft = draft_of(context)
    field = draft["field"]
    if field not in CLASS_FIELDS:
        raise Invalid("field", classes.FIELD_UNKNOWN)
    fields, day = draft["fields"], today(context)
    classes.parse_class_field(field, raw, today=day, current=fields)
    fields[field] = raw
    if field == "plan_text" and raw.strip():
        draft["plan_file_id"], draft["plan_file_name"] = None, ""
    if not draft["one"]:
        following = classes.next_class_field(field, fields, day)
        if following is not None:
            return await ask(update, context, following)
        return await summary(update, context)
    refused = classes.refused_after_change(field, fields, day)
    if refused is not None:
        return await ask(update, context, refused.field, describe(refused, tr(update, context)))
    return await summary(update, context)


async def on_text(update: Update, context: Ctx) -> int:
    assert update.message is not None and update.message.text is not None
    return await _accept(update, context, update.message.text)


async def on_value(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    word = VALUE.parse_word(update.callback_query.data)
    await update.callback_query.answer()
    return await _accept(update, context, "" if word == SKIP else word)


def _shown(field: str, raw: str, current: dict[str, str], day: date, t: Translator) -> str:
    """A field as the domain reads it (dates normalised, choices by label); raw if refused."""
    try:
        value = classes.parse_class_field(field, raw, today=day, current=current)
    except Invalid:
        return raw
    if isinstance(value, ClassCategory | TeachingMode):
        return t(value.label)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


async def summary(update: Update, context: Ctx, note: str = "") -> int:
    """请核对: every field as the domain reads it, a button to correct each, and 保存."""
    t = tr(update, context)
    draft = draft_of(context)
    draft["one"] = True
    raw = {f: str(draft["fields"].get(f, "")) for f in CLASS_FIELDS}
    values = {f: _shown(f, raw[f], raw, today(context), t) for f in CLASS_FIELDS}
    if draft["plan_file_id"] is not None:
        plan = t(N_("培训方案：文件“{file}”"), file=draft["plan_file_name"])
    else:
        plan = t(N_("培训方案：\n{plan}"), plan=values["plan_text"] or t(NONE))
    text = "\n\n".join(
        filter(None, [note, t(N_("请核对培训班信息：")), fields_text(values, t), plan])
    )
    fixes = [
        button(t(N_("修改{field}"), field=t(FIELD_LABELS[f])), FIX.encode(f)) for f in CLASS_FIELDS
    ]
    keyboard = rows(fixes, per_row=2).inline_keyboard
    save = [button(t(N_("✅ 保存为草稿")), SAVE.encode())]
    await reply(update, text, InlineKeyboardMarkup([*keyboard, save]), edit=False)
    return State.SUMMARY


async def on_fix(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    field = FIX.parse_word(update.callback_query.data)
    if field not in CLASS_FIELDS:
        raise Invalid("field", classes.FIELD_UNKNOWN)
    await update.callback_query.answer()
    draft_of(context)["one"] = True
    return await ask(update, context, field)


async def on_save(update: Update, context: Ctx) -> int:
    """The whole form again: a refusal asks for the field it names."""
    assert update.callback_query is not None
    draft = draft_of(context)
    t = tr(update, context)
    form = classes.ClassForm(
        **{f: str(draft["fields"].get(f, "")) for f in CLASS_FIELDS},
        plan_file_id=draft["plan_file_id"],
    )
    await update.callback_query.answer()
    try:
        validated = classes.parse_class_form(form, today(context))
    except Invalid as error:
        field = classes.field_to_ask(error)
        if field is None:
            raise
        draft["one"] = True
        return await ask(update, context, field, describe(error, t) + "\n" + t(TRY_AGAIN))
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        saved = await classes.save_class(uow, svc.clock, actor, draft["class_id"], validated)
    conversation.drop_drafts(context)
    note = t(N_("已保存为草稿。核对无误后请点击“提交审核”。"))
    await show_card(update, context, saved.id or 0, note, edit=False)
    return ConversationHandler.END
