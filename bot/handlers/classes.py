"""培训班管理 (/classes): the base's classes, declaring and editing one, and its way through review.

A declaration is a conversation over ``CLASS_FIELDS`` in order; the raw text typed so far lives in
``user_data["draft:classes"]`` (persisted, encrypted), the plan file as its stored file's id once
uploaded. Every field is checked by the domain as it is typed and the whole form again on saving.
Every button re-resolves the actor and lets the services check the class belongs to their base.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import IntEnum
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.errors import TRY_AGAIN, describe
from bot.handlers import conversation
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_turns, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import Invalid
from domain.model import ClassCategory, TeachingMode, TrainingClass
from domain.services import classes, files
from domain.uploads import FileKind, check_announced_size
from domain.workflow import Reviewable, Status

DRAFT_KEY: Final = "draft:classes"
PER_PAGE: Final = 8
STATUSES: Final[tuple[Status, ...]] = tuple(Status)
PLAN_KINDS: Final = frozenset(
    {
        FileKind.PDF,
        FileKind.DOC,
        FileKind.DOCX,
        FileKind.XLS,
        FileKind.XLSX,
        FileKind.WPS,
        FileKind.ET,
    }
)

LIST = CallbackAction("cls:ls", ids=3)  # page, year (0: all), status index + 1 (0: all)
PICK_YEAR = CallbackAction("cls:fy", ids=1)  # status filter kept
PICK_STATUS = CallbackAction("cls:fs", ids=1)  # year filter kept
CARD = CallbackAction("cls:card", ids=1)
NEW = CallbackAction("cls:new")
EDIT = CallbackAction("cls:edit", ids=1)
SUBMIT = CallbackAction("cls:sub", ids=1)
WITHDRAW = CallbackAction("cls:wd", ids=1)
DELETE = CallbackAction("cls:del", ids=1)
DELETE_OK = CallbackAction("cls:delok", ids=1)
COPY = CallbackAction("cls:copy", ids=1)
COPY_TO = CallbackAction("cls:copyto", ids=2)  # class id, year
PLAN = CallbackAction("cls:plan", ids=1)
VALUE = CallbackAction("cls:v", words=1)  # a choice for the field being asked
FIX = CallbackAction("cls:fix", words=1)  # a field to type again
SAVE = CallbackAction("cls:save")
SKIP: Final = "skip"


class State(IntEnum):
    ASK = 1
    SUMMARY = 2


FIELD_LABELS: Final[dict[str, str]] = {
    "name": N_("培训班名称"),
    "year": N_("年度"),
    "category": N_("培训类别"),
    "mode": N_("培训方式"),
    "start_date": N_("开始日期"),
    "end_date": N_("结束日期"),
    "location": N_("培训地点"),
    "hours": N_("学时"),
    "capacity": N_("招生人数"),
    "fee": N_("收费标准（元）"),
    "audience": N_("培训对象"),
    "description": N_("培训简介"),
    "plan_text": N_("培训方案"),
}
PROMPTS: Final[dict[str, str]] = {
    "name": N_("请输入培训班名称："),
    "year": N_("请选择或输入培训年度（如 2026）："),
    "category": N_("请选择培训类别："),
    "mode": N_("请选择培训方式："),
    "start_date": N_("请输入开始日期（如 2026-03-01、2026/3/1、2026年3月1日 或 20260301）："),
    "end_date": N_("请输入结束日期（格式同开始日期）："),
    "location": N_("请输入培训地点："),
    "hours": N_("请输入学时（如 24 或 12.5）："),
    "capacity": N_("请输入招生人数："),
    "fee": N_("请输入收费标准（元，免费请输入 0）："),
    "audience": N_("请输入培训对象（可跳过）："),
    "description": N_("请输入培训简介（可跳过）："),
    "plan_text": N_(
        "请输入培训方案内容，或直接发送培训方案文件（PDF、Word、Excel 或 WPS，不超过 20 MB）："
    ),
}
CHOICES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "category": (("general", N_("公需科目")), ("professional", N_("专业科目"))),
    "mode": (("offline", N_("线下")), ("online", N_("线上")), ("blended", N_("线上线下结合"))),
}
OPTIONAL: Final = frozenset({"audience", "description"})
NONE: Final = N_("（无）")


# --- the list ------------------------------------------------------------------------------------


def _status_of(index: int) -> Status | None:
    return STATUSES[index - 1] if 1 <= index <= len(STATUSES) else None


async def show(update: Update, context: Ctx) -> None:
    """/classes, or the menu button: the first page, no filter."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _show_list(update, context, page=0, year=0, status_index=0)


async def on_list(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    page, year, status_index = LIST.parse(update.callback_query.data)
    assert isinstance(page, int) and isinstance(year, int) and isinstance(status_index, int)
    await update.callback_query.answer()
    await _show_list(update, context, page=page, year=year, status_index=status_index)


async def _show_list(
    update: Update, context: Ctx, *, page: int, year: int, status_index: int
) -> None:
    t = tr(update, context)
    status = _status_of(status_index)
    status_index = 0 if status is None else status_index
    async with acting(update, context, readonly=True) as (uow, actor):
        items, total = await classes.list_classes(
            uow,
            actor,
            year=year or None,
            status=status,
            offset=page * PER_PAGE,
            limit=PER_PAGE,
        )
    lines = [
        t(
            N_("培训班管理（共 {total} 个；年度：{year}；状态：{status}）"),
            total=total,
            year=year or t(N_("全部")),
            status=t(status.label) if status else t(N_("全部")),
        )
    ]
    if not items:
        lines.append(t(N_("还没有符合条件的培训班。点击“申报培训班”开始申报。")))
    for c in items:
        lines.append(
            t(N_("{name} · {year} · {status}"), name=c.name, year=c.year, status=t(c.status.label))
        )
    keyboard: list[list[InlineKeyboardButton]] = [
        [button(c.name[:40], CARD.encode(c.id or 0))] for c in items
    ]
    paging = page_turns(
        page, (page + 1) * PER_PAGE < total, lambda p: LIST.encode(p, year, status_index)
    )
    if paging:
        keyboard.append(paging)
    keyboard.append(
        [
            button(t(N_("按年度筛选")), PICK_YEAR.encode(status_index)),
            button(t(N_("按状态筛选")), PICK_STATUS.encode(year)),
        ]
    )
    keyboard.append([button(t(N_("申报培训班")), NEW.encode())])
    keyboard.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(keyboard))


async def pick_year(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    status_index = PICK_YEAR.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        years = await classes.class_years(uow, actor)
    await update.callback_query.answer()
    choices = [button(t(N_("全部年度")), LIST.encode(0, 0, status_index))]
    choices += [button(str(y), LIST.encode(0, y, status_index)) for y in years]
    await reply(update, t(N_("请选择年度：")), rows(choices, per_row=3))


async def pick_status(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year = PICK_STATUS.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (_uow, _actor):
        pass  # the guard alone: only someone logged in gets the choices
    await update.callback_query.answer()
    choices = [button(t(N_("全部状态")), LIST.encode(0, year, 0))]
    choices += [button(t(s.label), LIST.encode(0, year, i + 1)) for i, s in enumerate(STATUSES)]
    await reply(update, t(N_("请选择状态：")), rows(choices, per_row=3))


# --- the card ------------------------------------------------------------------------------------


def _fields_text(values: dict[str, str], t: Translator) -> str:
    return "\n".join(
        t(N_("{label}：{value}"), label=t(FIELD_LABELS[name]), value=values[name] or t(NONE))
        for name in classes.CLASS_FIELDS
        if name != "plan_text"
    )


def _class_values(c: TrainingClass, t: Translator) -> dict[str, str]:
    return {
        "name": c.name,
        "year": str(c.year),
        "category": t(c.category.label),
        "mode": t(c.mode.label),
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat(),
        "location": c.location or "",
        "hours": str(c.hours),
        "capacity": str(c.capacity),
        "fee": str(c.fee),
        "audience": c.audience,
        "description": c.description,
    }


async def card_text(update: Update, context: Ctx, card: classes.ClassCard) -> str:
    t = tr(update, context)
    c = card.training_class
    parts = [
        t(N_("培训班：{name}\n状态：{status}"), name=c.name, status=t(c.status.label)),
        _fields_text(_class_values(c, t), t),
    ]
    if c.plan_file_id is not None:
        async with acting(update, context) as (uow, actor):
            stored = await files.describe_file(uow, actor, c.plan_file_id)
        parts.append(t(N_("培训方案：文件“{file}”"), file=stored.original_name))
    else:
        parts.append(t(N_("培训方案：\n{plan}"), plan=c.plan_text or t(NONE)))
    parts.append(history_text(c, card.names, t))
    return "\n\n".join(parts)


def history_text(c: Reviewable, names: Mapping[int, str], t: Translator) -> str:
    """办理记录: when, who, what, and the reviewer's reason; shared with the reviewer's card."""
    history = [t(N_("办理记录："))]
    for change in c.history:
        who = names.get(change.by_user_id or 0, "")
        if change.reason:
            history.append(
                t(
                    N_("{at} {who} {action}（原因：{reason}）"),
                    at=change.at,
                    who=who,
                    action=t(change.action.label),
                    reason=change.reason,
                )
            )
        else:
            history.append(
                t(N_("{at} {who} {action}"), at=change.at, who=who, action=t(change.action.label))
            )
    if len(history) == 1:
        history.append(t(NONE))
    return "\n".join(history)


def card_keyboard(c: TrainingClass, t: Translator) -> InlineKeyboardMarkup:
    class_id = c.id or 0
    buttons = []
    if c.plan_file_id is not None:
        buttons.append(button(t(N_("下载计划")), PLAN.encode(class_id)))
    if c.is_editable:
        buttons.append(button(t(N_("修改")), EDIT.encode(class_id)))
    if c.status is Status.DRAFT:
        buttons.append(button(t(N_("删除")), DELETE.encode(class_id)))
    if c.status in (Status.DRAFT, Status.RETURNED):
        buttons.append(button(t(N_("提交审核")), SUBMIT.encode(class_id)))
    if c.status is Status.SUBMITTED:
        buttons.append(button(t(N_("撤回")), WITHDRAW.encode(class_id)))
    buttons.append(button(t(N_("复制为新草稿")), COPY.encode(class_id)))
    buttons.append(button(t(N_("返回培训班列表")), LIST.encode(0, 0, 0)))
    return rows(buttons, per_row=2)


async def _show_card(update: Update, context: Ctx, class_id: int, note: str = "") -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        card = await classes.class_card(uow, actor, class_id)
    text = await card_text(update, context, card)
    await reply(
        update, f"{note}\n\n{text}" if note else text, card_keyboard(card.training_class, t)
    )


async def on_card(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = CARD.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await _show_card(update, context, class_id)


async def on_submit(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = SUBMIT.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await classes.submit_class(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await _show_card(update, context, class_id, t(N_("已提交审核。")))


async def on_withdraw(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = WITHDRAW.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await classes.withdraw_class(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await _show_card(update, context, class_id, t(N_("已撤回，培训班回到草稿状态。")))


async def on_delete(update: Update, context: Ctx) -> None:
    """Asks first; the class is checked now so a refusal comes before the question."""
    assert update.callback_query is not None
    class_id = DELETE.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        c = await classes.get_class(uow, actor, class_id)
    if c.status is not Status.DRAFT:
        raise classes.ClassNotDeletable(c.status.value, "delete")
    await update.callback_query.answer()
    keyboard = column(
        [
            button(t(N_("确认删除")), DELETE_OK.encode(class_id)),
            button(t(N_("取消")), CARD.encode(class_id)),
        ]
    )
    await reply(update, t(N_("确定删除培训班“{name}”吗？删除后不能恢复。"), name=c.name), keyboard)


async def on_delete_ok(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = DELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        deleted = await classes.delete_class(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    back = column([button(t(N_("返回培训班列表")), LIST.encode(0, 0, 0))])
    await reply(update, t(N_("培训班“{name}”已删除。"), name=deleted.name), back)


async def on_copy(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = COPY.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        c = await classes.get_class(uow, actor, class_id)
    await update.callback_query.answer()
    this_year = svc.clock.now().astimezone(svc.settings.timezone).year
    years = sorted({this_year, this_year + 1, c.year + 1})
    choices = [button(str(y), COPY_TO.encode(class_id, y)) for y in years]
    choices.append(button(t(N_("取消")), CARD.encode(class_id)))
    await reply(
        update, t(N_("复制“{name}”为新草稿：请选择新培训班的年度。"), name=c.name), rows(choices, 3)
    )


async def on_copy_to(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, year = COPY_TO.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(year, int)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        copy = await classes.copy_class(uow, svc.clock, actor, class_id, year=year)
    await update.callback_query.answer()
    await _show_card(update, context, copy.id or 0, t(N_("已复制为新草稿，请核对日期后提交。")))


async def on_plan(update: Update, context: Ctx) -> None:
    """下载计划: the plan file, with the name it was uploaded under."""
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = PLAN.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        c = await classes.get_class(uow, actor, class_id)
        if c.plan_file_id is None:
            await update.callback_query.answer(t(N_("这个培训班没有上传培训方案文件。")))
            return
        stored, data = await files.open_file(uow, svc.blobs, actor, c.plan_file_id)
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        data, filename=stored.original_name, caption=t(N_("培训方案：{name}"), name=c.name)
    )


# --- declaring and editing -----------------------------------------------------------------------


def _draft(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict):
        raise Invalid("field", classes.FIELD_UNKNOWN)
    return draft


def _today(context: Ctx) -> date:
    svc = services(context)
    return svc.clock.now().astimezone(svc.settings.timezone).date()


def _is_online(draft: dict[str, Any]) -> bool:
    try:
        return classes.parse_mode(draft["fields"].get("mode", "")) is TeachingMode.ONLINE
    except Invalid:
        return False


def _next_field(draft: dict[str, Any], after: str) -> str | None:
    order = list(classes.CLASS_FIELDS)
    for name in order[order.index(after) + 1 :]:
        if name == "location" and _is_online(draft):
            draft["fields"]["location"] = ""
            continue
        return name
    return None


async def _ask(update: Update, context: Ctx, field: str, note: str = "") -> int:
    t = tr(update, context)
    draft = _draft(context)
    draft["field"] = field
    buttons: list[InlineKeyboardButton] = []
    if field == "year":
        this_year = _today(context).year
        buttons = [button(str(y), VALUE.encode(str(y))) for y in (this_year, this_year + 1)]
    elif field in CHOICES:
        buttons = [button(t(label), VALUE.encode(word)) for word, label in CHOICES[field]]
    elif field in OPTIONAL:
        buttons = [button(t(N_("跳过")), VALUE.encode(SKIP))]
    text = t(PROMPTS[field])
    await reply(
        update,
        f"{note}\n{text}" if note else text,
        rows(buttons, per_row=3) if buttons else None,
        edit=False,
    )
    return State.ASK


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
    return await _ask(update, context, "name")


async def start_edit(update: Update, context: Ctx) -> int:
    """修改: the class's values as the draft, straight to the summary."""
    assert update.callback_query is not None and context.user_data is not None
    class_id = EDIT.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        c = await classes.get_class(uow, actor, class_id)
        if not c.is_editable:
            raise classes.ClassNotEditable(c.status.value, "edit")
        name = ""
        if c.plan_file_id is not None:
            name = (await files.describe_file(uow, actor, c.plan_file_id)).original_name
    await update.callback_query.answer()
    form = classes.class_form(c)
    context.user_data[DRAFT_KEY] = {
        "class_id": class_id,
        "fields": {f: getattr(form, f) for f in classes.CLASS_FIELDS},
        "plan_file_id": form.plan_file_id,
        "plan_file_name": name,
        "field": "",
        "one": True,
    }
    return await _summary(update, context)


async def _accept(update: Update, context: Ctx, raw: str) -> int:
    """A value for the field being asked: checked by the domain, kept raw, then the next step."""
    draft = _draft(context)
    field = draft["field"]
    if field not in classes.CLASS_FIELDS:
        raise Invalid("field", classes.FIELD_UNKNOWN)
    classes.parse_class_field(field, raw, today=_today(context), current=draft["fields"])
    draft["fields"][field] = raw
    if field == "plan_text" and raw.strip():
        draft["plan_file_id"], draft["plan_file_name"] = None, ""
    following = None if draft["one"] else _next_field(draft, field)
    if draft["one"] and field == "mode":
        try:
            classes.parse_class_field(
                "location",
                str(draft["fields"].get("location", "")),
                today=_today(context),
                current=draft["fields"],
            )
        except Invalid as error:  # no longer online, and no place given
            t = tr(update, context)
            return await _ask(update, context, "location", describe(error, t))
    if following is None:
        return await _summary(update, context)
    return await _ask(update, context, following)


async def on_text(update: Update, context: Ctx) -> int:
    assert update.message is not None and update.message.text is not None
    return await _accept(update, context, update.message.text)


async def on_value(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    word = VALUE.parse_word(update.callback_query.data)
    await update.callback_query.answer()
    return await _accept(update, context, "" if word == SKIP else word)


async def on_document(update: Update, context: Ctx) -> int:
    """A plan file: its announced size is checked before anything is downloaded."""
    assert update.message is not None and update.message.document is not None
    draft = _draft(context)
    if draft["field"] != "plan_text":
        await conversation.unexpected(update, context)
        return State.ASK
    doc = update.message.document
    check_announced_size(doc.file_size)
    svc = services(context)
    async with acting(update, context) as (_uow, actor):
        classes.ensure_manager(actor)
    data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    async with svc.uow() as uow:
        stored = await files.store_upload(
            uow, svc.blobs, svc.clock, actor, data, doc.file_name, allowed=PLAN_KINDS
        )
    draft["plan_file_id"], draft["plan_file_name"] = stored.id, stored.original_name
    draft["fields"]["plan_text"] = ""
    return await _summary(update, context)


def _shown(field: str, raw: str, current: dict[str, str], context: Ctx, t: Translator) -> str:
    """A field as the domain reads it (dates normalised, choices by label); raw if refused."""
    try:
        value = classes.parse_class_field(field, raw, today=_today(context), current=current)
    except Invalid:
        return raw
    if isinstance(value, ClassCategory | TeachingMode):
        return t(value.label)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


async def _summary(update: Update, context: Ctx, note: str = "") -> int:
    t = tr(update, context)
    draft = _draft(context)
    draft["one"] = True
    raw = {f: str(draft["fields"].get(f, "")) for f in classes.CLASS_FIELDS}
    values = {f: _shown(f, raw[f], raw, context, t) for f in classes.CLASS_FIELDS}
    if draft["plan_file_id"] is not None:
        plan = t(N_("培训方案：文件“{file}”"), file=draft["plan_file_name"])
    else:
        plan = t(N_("培训方案：\n{plan}"), plan=values["plan_text"] or t(NONE))
    text = "\n\n".join(
        filter(None, [note, t(N_("请核对培训班信息：")), _fields_text(values, t), plan])
    )
    fixes = [
        button(t(N_("修改{field}"), field=t(FIELD_LABELS[f])), FIX.encode(f))
        for f in classes.CLASS_FIELDS
    ]
    keyboard = rows(fixes, per_row=2).inline_keyboard
    save = [button(t(N_("✅ 保存为草稿")), SAVE.encode())]
    await reply(update, text, InlineKeyboardMarkup([*keyboard, save]), edit=False)
    return State.SUMMARY


async def on_fix(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    field = FIX.parse_word(update.callback_query.data)
    if field not in classes.CLASS_FIELDS:
        raise Invalid("field", classes.FIELD_UNKNOWN)
    await update.callback_query.answer()
    _draft(context)["one"] = True
    return await _ask(update, context, field)


async def on_save(update: Update, context: Ctx) -> int:
    """The whole form again: a refusal asks for the field it names."""
    assert update.callback_query is not None and context.user_data is not None
    draft = _draft(context)
    t = tr(update, context)
    svc = services(context)
    form = classes.ClassForm(
        **{f: str(draft["fields"].get(f, "")) for f in classes.CLASS_FIELDS},
        plan_file_id=draft["plan_file_id"],
    )
    await update.callback_query.answer()
    try:
        validated = classes.parse_class_form(form, _today(context))
    except Invalid as error:
        field = "plan_text" if error.field == "plan" else error.field
        if field not in classes.CLASS_FIELDS:
            raise
        draft["one"] = True
        return await _ask(update, context, field, describe(error, t) + "\n" + t(TRY_AGAIN))
    async with acting(update, context) as (uow, actor):
        if validated.plan_file_id is not None:
            await files.describe_file(uow, actor, validated.plan_file_id)  # own base's file only
        if draft["class_id"] is None:
            saved = await classes.declare(uow, svc.clock, actor, validated)
        else:
            saved = await classes.update_class(uow, svc.clock, actor, draft["class_id"], validated)
    conversation.drop_drafts(context)
    note = t(N_("已保存为草稿。核对无误后请点击“提交审核”。"))
    await _show_card_new(update, context, saved.id or 0, note)
    return ConversationHandler.END


async def _show_card_new(update: Update, context: Ctx, class_id: int, note: str) -> None:
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        card = await classes.class_card(uow, actor, class_id)
    text = await card_text(update, context, card)
    await reply(update, f"{note}\n\n{text}", card_keyboard(card.training_class, t), edit=False)


def build() -> ConversationHandler:  # type: ignore[type-arg]
    return ConversationHandler(
        name="classes",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(start_declare, pattern=NEW.pattern),
            CallbackQueryHandler(start_edit, pattern=EDIT.pattern),
        ],
        states={
            State.ASK: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
                MessageHandler(filters.Document.ALL, on_document),
                CallbackQueryHandler(on_value, pattern=VALUE.pattern),
            ],
            State.SUMMARY: [
                CallbackQueryHandler(on_fix, pattern=FIX.pattern),
                CallbackQueryHandler(on_save, pattern=SAVE.pattern),
            ],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: Any) -> None:
    app.add_handler(build())
    app.add_handler(CommandHandler("classes", show))
    app.add_handler(CallbackQueryHandler(show, pattern=f"^{MENU_OPEN.encode('classes')}$"))
    for action, callback in (
        (LIST, on_list),
        (PICK_YEAR, pick_year),
        (PICK_STATUS, pick_status),
        (CARD, on_card),
        (SUBMIT, on_submit),
        (WITHDRAW, on_withdraw),
        (DELETE, on_delete),
        (DELETE_OK, on_delete_ok),
        (COPY, on_copy),
        (COPY_TO, on_copy_to),
        (PLAN, on_plan),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
