"""Declaring a class, or editing one, field by field, then a summary to correct and save.

A form (``conversation.Form``): the raw text typed so far lives in ``user_data[DRAFT_KEY]``
(persisted, encrypted), the plan file as its stored file's id once uploaded (``plan``); it
survives commands and restarts and is offered back when 申报培训班 or 修改 is pressed again,
checked again then (the class may have been submitted meanwhile). Every question has ◀ 上一项.
The domain checks every field as it is typed, says which field comes next and which came
before, and checks the whole form again on saving.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.callbacks import BadCallbackData
from bot.errors import TRY_AGAIN, describe
from bot.handlers import conversation
from bot.handlers.classes.callbacks import EDIT, FIX, NEW, SAVE, SKIP, VALUE, State
from bot.handlers.classes.card import show_card
from bot.handlers.classes.fields import CHOICES, FIELD_LABELS, NONE, OPTIONAL, PROMPTS, fields_text
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import DomainError, Invalid
from domain.model import Actor, ClassCategory, TeachingMode
from domain.services import classes
from domain.services.classes import CLASS_FIELDS


def draft_of(context: Ctx) -> dict[str, Any]:
    """The declaration in progress; a step without one (ended, expired) is refused."""
    draft = conversation.draft_of(context, FORM)
    if draft is None:
        raise Invalid("field", classes.FIELD_UNKNOWN)
    return draft


def _filled(draft: dict[str, Any]) -> int:
    return sum(1 for raw in draft.get("fields", {}).values() if str(raw).strip())


def today(context: Ctx) -> date:
    svc = services(context)
    return svc.clock.now().astimezone(svc.settings.timezone).date()


async def ask(update: Update, context: Ctx, field: str, note: str = "") -> int:
    """Asks for ``field``, with the choices it has (a year, a category, 跳过) and ◀ 上一项."""
    t = tr(update, context)
    draft = draft_of(context)
    draft["field"] = field
    conversation.touch(context, FORM, field, FIELD_LABELS[field])
    buttons = _choices(field, context, t)
    text = t(PROMPTS[field])
    current = str(draft["fields"].get(field, ""))
    if current.strip() and field not in CHOICES:
        text += "\n" + t(N_("（当前：{value}）"), value=current)
    keyboard = rows(buttons, per_row=3) if buttons else None
    if draft["one"] or classes.previous_class_field(field, draft["fields"], today(context)):
        keyboard = conversation.with_back(keyboard, t, FORM, field)
    await reply(update, f"{note}\n{text}" if note else text, keyboard, edit=False)
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


async def start_declare(update: Update, context: Ctx) -> object:
    """申报培训班: refused at once without the permission, before anything is typed; a draft
    left earlier is offered back."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    async with acting(update, context) as (_uow, actor):
        classes.ensure_manager(actor)
    waiting = await conversation.offer_resume(update, context, FORM, NEW.encode())
    if waiting is not None:
        return waiting
    return await _declare(update, context, actor)


async def _declare(update: Update, context: Ctx, actor: Actor) -> int:
    _new_draft(context, actor, NEW.encode(), class_id=None, fields={}, one=False)
    return await ask(update, context, "name")


def _new_draft(
    context: Ctx,
    actor: Actor,
    entry: str,
    *,
    class_id: int | None,
    fields: dict[str, Any],
    one: bool,
    plan_file_id: int | None = None,
    plan_file_name: str = "",
) -> None:
    draft = {
        "class_id": class_id,
        "fields": fields,
        "plan_file_id": plan_file_id,
        "plan_file_name": plan_file_name,
        "field": "",
        "one": one,
        "base_id": actor.base_id,
        "user_id": actor.user_id,
    }
    conversation.start_draft(context, FORM, draft, entry)


async def start_edit(update: Update, context: Ctx) -> object:
    """修改: the class's values as the draft, straight to the summary (a draft left earlier is
    offered back first)."""
    assert update.callback_query is not None
    class_id = EDIT.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        await classes.class_to_edit(uow, actor, class_id)
    waiting = await conversation.offer_resume(update, context, FORM, EDIT.encode(class_id))
    if waiting is not None:
        return waiting
    await update.callback_query.answer()
    return await _edit(update, context, class_id)


async def _edit(update: Update, context: Ctx, class_id: int) -> int:
    async with acting(update, context) as (uow, actor):
        editing = await classes.class_to_edit(uow, actor, class_id)
    _new_draft(
        context,
        actor,
        EDIT.encode(class_id),
        class_id=class_id,
        fields={f: getattr(editing.form, f) for f in CLASS_FIELDS},
        one=True,
        plan_file_id=editing.form.plan_file_id,
        plan_file_name=editing.plan_file_name,
    )
    return await summary(update, context)


async def _restart(update: Update, context: Ctx, entry: str) -> int:
    """放弃 a draft offered back: what the person pressed then (申报培训班 or 修改) afresh."""
    try:
        return await _edit(update, context, EDIT.parse_id(entry))
    except BadCallbackData:
        async with acting(update, context) as (_uow, actor):
            classes.ensure_manager(actor)
        return await _declare(update, context, actor)


async def _resume(update: Update, context: Ctx) -> int:
    """继续填写: the draft is checked again, never trusted — the same account and base, the
    class still editable, every value still valid today — then its open step is asked."""
    draft = draft_of(context)
    t = tr(update, context)
    try:
        async with acting(update, context) as (uow, actor):
            if (draft.get("base_id"), draft.get("user_id")) != (actor.base_id, actor.user_id):
                raise DomainError(N_("这份草稿属于另一个基地或账号，已放弃。"))
            classes.ensure_manager(actor)
            if draft["class_id"] is not None:
                await classes.class_to_edit(uow, actor, int(draft["class_id"]))
    except DomainError as refused:
        conversation.forget(context, FORM)
        await reply(update, describe(refused, t) + "\n" + t(N_("草稿已放弃。")), edit=False)
        return ConversationHandler.END
    fields, day = draft["fields"], today(context)
    for field in CLASS_FIELDS:
        if field not in fields:
            continue
        try:
            classes.parse_class_field(field, str(fields[field]), today=day, current=fields)
        except Invalid as error:
            return await ask(update, context, field, describe(error, t) + "\n" + t(TRY_AGAIN))
    step = conversation.open_step(context, FORM)
    if step in CLASS_FIELDS:
        return await ask(update, context, step)
    return await summary(update, context)


async def _back(update: Update, context: Ctx) -> int:
    """◀ 上一项: the field asked before; from a correction, back to the summary."""
    draft = draft_of(context)
    if draft["one"]:
        return await summary(update, context)
    previous = classes.previous_class_field(draft["field"], draft["fields"], today(context))
    return await ask(update, context, previous or draft["field"])


FORM = conversation.form(
    name="classes",
    title=N_("申报或修改培训班"),
    reopen=N_("在 /classes 中点击“申报培训班”或该班的“修改”"),
    filled=_filled,
    resume=_resume,
    restart=_restart,
    back=_back,
)


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
    conversation.touch(context, FORM, "summary", N_("核对信息"))
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
    conversation.forget(context, FORM)
    note = t(N_("已保存为草稿。核对无误后请点击“提交审核”。"))
    await show_card(update, context, saved.id or 0, note, edit=False)
    return ConversationHandler.END
