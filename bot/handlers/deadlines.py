"""/deadlines (截止日期与提醒): where the base stands against each deadline, and mutes.

An admin sees the deadlines of the kinds they act on, each with its state and a button to the
thing owed, and turns reminders of a kind off or on. A reviewer sees the deadlines the operator
set for the years the reminders cover (``scheduler.gather.deadlines_around``). Mute buttons carry
the kind only and are re-checked by the domain on arrival.
"""

from __future__ import annotations

from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.callbacks import BadCallbackData, CallbackAction
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button
from bot.links import callback_data
from bot.runtime import App, Ctx, acting, current_home, guarded, reply, services, tr
from bot.scheduling import rules_of
from domain.model import Deadline, DeadlineKind, ReviewerActor
from domain.services import deadlines
from scheduler.gather import deadlines_around
from scheduler.overview import BaseDeadlines, DeadlineLine, Standing, base_deadlines
from scheduler.planning import ReminderRules

HOME = MENU_OPEN.encode("deadlines")
MUTE = CallbackAction("dl:mute", words=1)
UNMUTE = CallbackAction("dl:on", words=1)
DUE_FORMAT = "%Y-%m-%d %H:%M"
LIST_SEPARATOR = N_("、")
LINE_BUTTONS = 8
"""Buttons for the first lines still owed; the rest are reached through the modules."""


async def command(update: Update, context: Ctx) -> None:
    """/deadlines or the menu's 截止日期与提醒."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _show(update, context)


async def mute(update: Update, context: Ctx) -> None:
    await _toggle(update, context, MUTE, muted=True)


async def unmute(update: Update, context: Ctx) -> None:
    await _toggle(update, context, UNMUTE, muted=False)


async def _toggle(update: Update, context: Ctx, action: CallbackAction, *, muted: bool) -> None:
    query = update.callback_query
    assert query is not None
    word = action.parse_word(query.data)
    try:
        kind = DeadlineKind(word)
    except ValueError:
        raise BadCallbackData(query.data) from None
    async with acting(update, context) as (uow, actor):
        await deadlines.set_muted(uow, actor, kind, muted)
    t = tr(update, context)
    said = N_("已关闭“{what}”的截止提醒。") if muted else N_("已开启“{what}”的截止提醒。")
    await query.answer(t(said, what=t(kind.label)))
    await _show(update, context)


async def _show(update: Update, context: Ctx) -> None:
    svc = services(context)
    rules = rules_of(svc)
    guard = partial(current_home, update, context)
    async with guarded(context, guard, readonly=True) as (uow, home):
        if isinstance(home, ReviewerActor):
            view: BaseDeadlines | list[Deadline] = await deadlines_around(
                uow, svc.clock.now(), rules
            )
        else:
            view = await base_deadlines(uow, svc.clock, home, rules)
    t = tr(update, context)
    if isinstance(view, list):
        await reply(update, _operator_text(view, t, rules), _back(t))
    else:
        await reply(update, _base_text(view, t, rules), _base_keyboard(view, t))


def _base_text(view: BaseDeadlines, t: Translator, rules: ReminderRules) -> str:
    lines = [t(N_("截止日期与提醒（{base}）"), base=view.base_name)]
    if view.lines:
        lines += [
            f"{number}. {_line_text(line, t, rules)}"
            for number, line in enumerate(view.lines, start=1)
        ]
        if view.more:
            lines.append(t(N_("另有 {count} 项未列出，请在相应功能中查看。"), count=view.more))
    elif view.kinds:
        lines.append(t(N_("目前没有需要您处理的截止事项。")))
    else:
        lines.append(t(N_("您的角色不负责任何有截止日期的报送，因此不会收到截止提醒。")))
    if view.kinds:
        lines.append("")
        lines.append(_schedule_text(t, rules))
    if view.muted:
        names = t(LIST_SEPARATOR).join(t(kind.label) for kind in view.kinds if kind in view.muted)
        lines.append(t(N_("已关闭提醒：{kinds}。"), kinds=names))
    return "\n".join(lines)


def _line_text(line: DeadlineLine, t: Translator, rules: ReminderRules) -> str:
    due = line.due_at.astimezone(rules.timezone).strftime(DUE_FORMAT)
    if line.standing is Standing.DONE:
        state = t(N_("已提交"))
    elif line.standing is Standing.OVERDUE:
        state = t(N_("已逾期 {days} 天"), days=max(-line.days_left, 0))
    elif line.days_left == 0:
        state = t(N_("今天截止"))
    else:
        state = t(N_("未提交，还有 {days} 天"), days=line.days_left)
    return t(
        N_("{what}（{item}）：{due} 截止 · {state}"),
        what=t(line.kind.label),
        item=line.item,
        due=due,
        state=state,
    )


def _schedule_text(t: Translator, rules: ReminderRules) -> str:
    before = t(LIST_SEPARATOR).join(str(day) for day in rules.offsets_days if day > 0)
    text = t(
        N_("提醒在截止前 {days} 天{day_itself}的 {time} 发送给负责该事项的管理员。"),
        days=before or "0",
        day_itself=t(N_("和截止当天")) if 0 in rules.offsets_days else "",
        time=rules.morning.strftime("%H:%M"),
    )
    if rules.overdue_every_days and rules.overdue_for_days:
        text += t(
            N_("逾期后每 {every} 天提醒一次，最多 {days} 天。"),
            every=rules.overdue_every_days,
            days=rules.overdue_for_days,
        )
    return text + t(N_("已提交的事项不再提醒。"))


def _base_keyboard(view: BaseDeadlines, t: Translator) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for number, line in enumerate(view.lines, start=1):
        data = callback_data(line.link)
        if line.standing is not Standing.DONE and data and len(rows) < LINE_BUTTONS:
            rows.append([button(t(N_("{number}. 去处理"), number=number), data)])
    for kind in view.kinds:
        if kind in view.muted:
            label, data = t(N_("开启“{what}”提醒"), what=t(kind.label)), UNMUTE.encode(kind.value)
        else:
            label, data = t(N_("关闭“{what}”提醒"), what=t(kind.label)), MUTE.encode(kind.value)
        rows.append([button(label, data)])
    rows.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    return InlineKeyboardMarkup(rows)


def _operator_text(found: list[Deadline], t: Translator, rules: ReminderRules) -> str:
    lines = [t(N_("平台设定的截止日期"))]
    for deadline in found:
        if deadline.due_at is not None:
            due = deadline.due_at.astimezone(rules.timezone).strftime(DUE_FORMAT)
        else:
            due = t(N_("培训班结束后 {days} 天"), days=deadline.days_after_end)
        lines.append(
            t(
                N_("{year} 年{what}：{due}"),
                year=deadline.year,
                what=t(deadline.kind.label),
                due=due,
            )
        )
    if not found:
        lines.append(t(N_("平台尚未设定截止日期。")))
    return "\n".join(lines)


def _back(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(t(N_("返回功能列表")), MENU_SHOW.encode())]])


def register(app: App) -> None:
    app.add_handler(CommandHandler("deadlines", command))
    app.add_handler(CallbackQueryHandler(command, pattern=f"^{HOME}$"))
    app.add_handler(CallbackQueryHandler(mute, pattern=MUTE.pattern))
    app.add_handler(CallbackQueryHandler(unmute, pattern=UNMUTE.pattern))
