"""The reviewer's decisions: 审核通过 at once, 退回 once a reason is typed.

After a decision the base's admins who manage that kind are told at once, where they last
logged in (the notices wait in the outbox, written with the decision); someone who blocked the
bot is skipped, the decision stays.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.errors import describe
from bot.handlers.review.guard import reviewing
from bot.handlers.review.kinds import BY_KEY
from bot.handlers.review.screens import View, command
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, application, reply, services, tr
from bot.scheduling import dispatch_soon
from domain.errors import InvalidTransition, NotFound, NotLoggedIn, NotPermitted
from domain.services import review
from domain.workflow import Action

DRAFT_KEY = "draft:review"
"""``{"kind": <ReviewKind.key>, "item_id": <the item's id>}`` while a reason is asked for. Drafts
stored before kept the id as "class_id", and those from before there were kinds have no "kind"
(a class): both are still read."""


NOT_RETURNED = N_("退回未执行，输入的原因没有保存。")


class State(IntEnum):
    REASON = 0


async def approve(view: View, update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    item_id = view.buttons.approve.parse_id(update.callback_query.data)
    async with reviewing(update, context) as (uow, reviewer):
        decision = await view.kind.approve(uow, services(context).clock, reviewer, item_id)
    await update.callback_query.answer()
    await tell_decided(update, context, view, decision)


async def ask_reason(view: View, update: Update, context: Ctx) -> int:
    """退回: the item is checked before the reviewer types anything."""
    assert update.callback_query is not None and context.user_data is not None
    item_id = view.buttons.give_back.parse_id(update.callback_query.data)
    async with reviewing(update, context, readonly=True) as (uow, reviewer):
        item = await view.kind.get(uow, reviewer, item_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"kind": view.kind.key, "item_id": item_id}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("退回“{name}”：请输入退回原因（必填，最多 500 个字），发送 /cancel 取消。"),
            name=view.title(item, t),
        ),
        edit=False,
    )
    return State.REASON


async def typed_reason(update: Update, context: Ctx) -> int:
    """REASON: an empty or too long reason is refused by the domain; the step stays."""
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    drafted = _drafted(context.user_data.get(DRAFT_KEY) or {})
    if drafted is None:
        context.user_data.pop(DRAFT_KEY, None)
        await command(update, context)
        return ConversationHandler.END
    view, item_id = drafted
    try:
        async with reviewing(update, context) as (uow, reviewer):
            decision = await view.kind.give_back(
                uow, services(context).clock, reviewer, item_id, update.message.text
            )
    except (NotFound, InvalidTransition, NotPermitted) as gone:
        # The item left the queue while the reason was typed (withdrawn, decided elsewhere): the
        # step ends here, or the next message would become the reason of whatever comes back.
        context.user_data.pop(DRAFT_KEY, None)
        await reply(update, describe(gone, tr(update, context)), edit=False)
        return ConversationHandler.END
    except NotLoggedIn as ended:
        # The session ended meanwhile (deactivated by the operator, a password reset, idle): the
        # step ends too, politely, and the message is not kept as a reason.
        context.user_data.pop(DRAFT_KEY, None)
        t = tr(update, context)
        await reply(update, t(NOT_RETURNED) + "\n" + describe(ended, t), edit=False)
        return ConversationHandler.END
    context.user_data.pop(DRAFT_KEY, None)
    await tell_decided(update, context, view, decision)
    return ConversationHandler.END


def _drafted(draft: dict[str, Any]) -> tuple[View, int] | None:
    """The kind and the item a stored draft is about, or None when it says neither."""
    view = BY_KEY.get(draft.get("kind", review.CLASSES.key))  # before kinds: a class
    item_id = draft.get("item_id", draft.get("class_id"))  # "class_id": a draft stored before
    if view is None or not isinstance(item_id, int):
        return None
    return view, item_id


async def tell_decided(update: Update, context: Ctx, view: View, decision: review.Decided) -> None:
    """What the reviewer is told, under a way back to the kind's queue; the base's notices go."""
    t = tr(update, context)
    name = view.title(decision, t)
    if decision.action is Action.APPROVE:
        text = t(
            N_("已审核通过：{name}（{base}）。已通知该基地的管理员。"),
            name=name,
            base=decision.base_name,
        )
    else:
        text = t(
            N_("已退回：{name}（{base}）。退回原因：{reason}\n已通知该基地的管理员。"),
            name=name,
            base=decision.base_name,
            reason=decision.reason or "",
        )
    back = column([button(t(N_("返回队列")), view.buttons.queue.encode(0))])
    await reply(update, text, back, edit=False)
    dispatch_soon(application(context))
