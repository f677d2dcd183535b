"""/roles (角色管理, manual 5.1.2.1): list, create, rename, change permissions, delete a role.

The permission toggles of a role being created or edited live in ``user_data["draft:roles"]``
(persisted, so a restart keeps them) and the keyboard is edited in place on each press. A toggle,
save or cancel counts only on the keyboard message of the current draft and for its role; anything
else is a stale or forged press and changes nothing. Every action that reads or writes a role goes
through the domain, which re-checks the permission and that the role belongs to the actor's base.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import BadCallbackData, CallbackAction
from bot.errors import describe
from bot.handlers import conversation
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, column, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import Conflict, Invalid
from domain.model import Role
from domain.permissions import Permission, parse_permissions
from domain.services import roles

DRAFT_KEY = "draft:roles"
PER_PAGE = 8
PERMISSIONS: tuple[Permission, ...] = tuple(Permission)
"""The order of the toggles; a toggle carries an index into this tuple, checked on arrival."""

LIST = CallbackAction("role:list", ids=1)  # page
CARD = CallbackAction("role:card", ids=1)  # role id
NEW = CallbackAction("role:new")
RENAME = CallbackAction("role:ren", ids=1)
EDIT = CallbackAction("role:perm", ids=1)
DELETE = CallbackAction("role:del", ids=1)
DELETE_OK = CallbackAction("role:delok", ids=1)
TOGGLE = CallbackAction("role:tg", ids=2)  # role id (0 for a new role), permission index
SAVE = CallbackAction("role:save", ids=1)
ABORT = CallbackAction("role:abort", ids=1)
ANY_ROLE_BUTTON = r"^role:"

ASK_NEW_NAME = N_("请输入新角色的名称（最多 {max} 字），或发送 /cancel 取消：")
ASK_RENAME = N_("请输入角色“{name}”的新名称（最多 {max} 字），或发送 /cancel 取消：")
ASK_NAME_AGAIN = N_("请重新输入角色名称，或发送 /cancel 取消：")
STALE_DRAFT = N_(
    "这个按钮已失效：该编辑已取消、已保存或已过期，操作未执行。请发送 /roles 重新开始。"
)


class State(IntEnum):
    NAME = 0
    PERMISSIONS = 1


# --- views ------------------------------------------------------------------------------------


def _list_view(found: list[Role], page: int, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(found) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = found[page * PER_PAGE : (page + 1) * PER_PAGE]
    lines = [t(N_("角色管理"))]
    if not found:
        lines.append(t(N_("本基地还没有角色。新增角色后，可在“权限管理”中分配给管理员。")))
    else:
        lines.append(t(N_("本基地共有 {count} 个角色。选择一个角色查看详情："), count=len(found)))
        for role in shown:
            lines.append(
                t(N_("· {name}：{count} 项权限"), name=role.name, count=len(role.permissions))
            )
        if pages > 1:
            lines.append(t(N_("第 {page}/{pages} 页"), page=page + 1, pages=pages))
    keyboard: list[list[InlineKeyboardButton]] = [
        [button(role.name, CARD.encode(role.id or 0))] for role in shown
    ]
    turn = []
    if page > 0:
        turn.append(button(t(N_("◀ 上一页")), LIST.encode(page - 1)))
    if page < pages - 1:
        turn.append(button(t(N_("下一页 ▶")), LIST.encode(page + 1)))
    if turn:
        keyboard.append(turn)
    keyboard.append([button(t(N_("新增角色")), NEW.encode())])
    keyboard.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def _card_view(
    card: roles.RoleCard, t: Translator, notice: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    role = card.role
    role_id = role.id or 0
    lines = [notice] if notice else []
    lines.append(t(N_("角色：{name}"), name=role.name))
    held = [p for p in PERMISSIONS if p in role.permissions]
    if held:
        lines.append(t(N_("权限（{count} 项）："), count=len(held)))
        lines.extend(f"• {t(p.label)}" for p in held)
    else:
        lines.append(t(N_("该角色目前没有任何权限。")))
    if card.holder_names:
        lines.append(t(N_("担任此角色的管理员：{names}"), names="、".join(card.holder_names)))
    else:
        lines.append(t(N_("目前没有管理员担任此角色。")))
    keyboard = rows(
        [
            button(t(N_("重命名")), RENAME.encode(role_id)),
            button(t(N_("修改权限")), EDIT.encode(role_id)),
            button(t(N_("删除")), DELETE.encode(role_id)),
            button(t(N_("返回列表")), LIST.encode(0)),
        ]
    )
    return "\n".join(lines), keyboard


def _toggle_view(draft: dict[str, Any], t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    role_id = int(draft["role_id"])
    chosen = _chosen(draft)
    if draft["mode"] == "create":
        text = t(N_("新角色“{name}”：点按权限以选择或取消，选好后点“保存”。"), name=draft["name"])
    else:
        text = t(
            N_("修改角色“{name}”的权限：点按以选择或取消，改好后点“保存”。"), name=draft["name"]
        )
    toggles = [
        button(f"{'✅' if p in chosen else '⬜'} {t(p.label)}", TOGGLE.encode(role_id, index))
        for index, p in enumerate(PERMISSIONS)
    ]
    keyboard = [list(toggles[i : i + 2]) for i in range(0, len(toggles), 2)]
    keyboard.append(
        [
            button(t(N_("保存")), SAVE.encode(role_id)),
            button(t(N_("取消")), ABORT.encode(role_id)),
        ]
    )
    return text, InlineKeyboardMarkup(keyboard)


# --- the draft ------------------------------------------------------------------------------


def _draft(context: Ctx) -> dict[str, Any] | None:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    return draft if isinstance(draft, dict) else None


def _start_draft(context: Ctx, **values: Any) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = {"permissions": [], "message_id": None, **values}
    context.user_data[DRAFT_KEY] = draft
    return draft


def _drop_draft(context: Ctx) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)


def _chosen(draft: dict[str, Any]) -> frozenset[Permission]:
    return parse_permissions(list(draft.get("permissions", [])))


def _pressed_draft(update: Update, context: Ctx, role_id: int) -> dict[str, Any] | None:
    """The draft a toggle, save or cancel belongs to; None for another message or another role."""
    query = update.callback_query
    draft = _draft(context)
    if (
        query is None
        or query.message is None
        or draft is None
        or draft.get("mode") not in ("create", "edit")
        or draft.get("role_id") != role_id
        or draft.get("message_id") != query.message.message_id
    ):
        return None
    return draft


async def _refuse_stale(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(tr(update, context)(STALE_DRAFT), show_alert=True)


async def _answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


# --- browsing: list, card, delete (no conversation state) ----------------------------------


async def show_list(update: Update, context: Ctx) -> int:
    """/roles, the menu button, ◀ ▶ or 返回列表: the base's roles; leaves any draft behind."""
    query = update.callback_query
    turned = query is not None and (query.data or "").startswith(f"{LIST.prefix}:")
    page = LIST.parse_id(query.data) if query is not None and turned else 0
    async with acting(update, context, readonly=True) as (uow, actor):
        found = await roles.list_roles(uow, actor)
    _drop_draft(context)
    await _answer(update)
    await reply(update, *_list_view(found, page, tr(update, context)))
    return ConversationHandler.END


async def show_card(update: Update, context: Ctx) -> int:
    """A role button: name, permissions, holders, and what can be done with it."""
    assert update.callback_query is not None
    role_id = CARD.parse_id(update.callback_query.data)
    async with acting(update, context, readonly=True) as (uow, actor):
        card = await roles.role_card(uow, actor, role_id)
    _drop_draft(context)
    await _answer(update)
    await reply(update, *_card_view(card, tr(update, context)))
    return ConversationHandler.END


async def ask_delete(update: Update, context: Ctx) -> int:
    """删除: confirm first; the role is checked now and again on confirmation."""
    assert update.callback_query is not None
    role_id = DELETE.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        role = await roles.get_role(uow, actor, role_id)
    _drop_draft(context)
    await _answer(update)
    t = tr(update, context)
    keyboard = rows(
        [
            button(t(N_("确认删除")), DELETE_OK.encode(role_id)),
            button(t(N_("返回角色")), CARD.encode(role_id)),
        ]
    )
    await reply(
        update, t(N_("确定要删除角色“{name}”吗？删除后不能恢复。"), name=role.name), keyboard
    )
    return ConversationHandler.END


async def delete(update: Update, context: Ctx) -> int:
    """确认删除: refused while the role is assigned, naming who holds it."""
    assert update.callback_query is not None
    role_id = DELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    back = button(t(N_("返回列表")), LIST.encode(0))
    try:
        async with acting(update, context) as (uow, actor):
            role = await roles.delete_role(uow, svc.clock, actor, role_id)
    except Conflict as assigned:
        await _answer(update)
        await reply(
            update,
            describe(assigned, t),
            rows([button(t(N_("返回角色")), CARD.encode(role_id)), back]),
        )
        return ConversationHandler.END
    await _answer(update)
    await reply(update, t(N_("已删除角色“{name}”。"), name=role.name), column([back]))
    return ConversationHandler.END


# --- the name: new role or rename -------------------------------------------------------------


async def ask_new_name(update: Update, context: Ctx) -> State:
    """新增角色: the name first, checked as typed."""
    async with acting(update, context) as (_uow, actor):
        roles.ensure_manager(actor)
    _start_draft(context, mode="create", role_id=0, name="")
    await _answer(update)
    t = tr(update, context)
    await reply(update, t(ASK_NEW_NAME, max=roles.ROLE_NAME_MAX))
    return State.NAME


async def ask_rename(update: Update, context: Ctx) -> State:
    """重命名: the role is checked before its new name is asked."""
    assert update.callback_query is not None
    role_id = RENAME.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        role = await roles.get_role(uow, actor, role_id)
    _start_draft(context, mode="rename", role_id=role_id, name=role.name)
    await _answer(update)
    t = tr(update, context)
    await reply(update, t(ASK_RENAME, name=role.name, max=roles.ROLE_NAME_MAX))
    return State.NAME


async def typed_name(update: Update, context: Ctx) -> int:
    """NAME: a refused name keeps the step; a new role goes on to its permissions."""
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    t = tr(update, context)
    if draft is None or draft.get("mode") not in ("create", "rename"):
        await reply(update, t(STALE_DRAFT), edit=False)
        return ConversationHandler.END
    svc = services(context)
    renamed: Role | None = None
    try:
        async with acting(update, context) as (uow, actor):
            if draft["mode"] == "rename":
                renamed = await roles.rename_role(
                    uow, svc.clock, actor, int(draft["role_id"]), update.message.text
                )
            else:
                draft["name"] = await roles.check_role_name(uow, actor, update.message.text)
    except (Invalid, Conflict) as refused:
        await reply(update, describe(refused, t) + "\n" + t(ASK_NAME_AGAIN), edit=False)
        return State.NAME
    if renamed is not None:
        _drop_draft(context)
        notice = t(N_("已将角色重命名为“{name}”。"), name=renamed.name)
        await _send_card(update, context, renamed.id or 0, notice)
        return ConversationHandler.END
    sent = await reply(update, *_toggle_view(draft, t), edit=False)
    draft["message_id"] = sent.message_id if isinstance(sent, Message) else None
    return State.PERMISSIONS


async def _send_card(update: Update, context: Ctx, role_id: int, notice: str) -> None:
    async with acting(update, context) as (uow, actor):
        card = await roles.role_card(uow, actor, role_id)
    await reply(update, *_card_view(card, tr(update, context), notice), edit=False)


# --- the permission toggles ---------------------------------------------------------------


async def edit_permissions(update: Update, context: Ctx) -> State:
    """修改权限: the same toggles, pre-filled with what the role holds now."""
    assert update.callback_query is not None and update.callback_query.message is not None
    role_id = EDIT.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        role = await roles.get_role(uow, actor, role_id)
    draft = _start_draft(
        context,
        mode="edit",
        role_id=role_id,
        name=role.name,
        permissions=sorted(p.value for p in role.permissions),
        message_id=update.callback_query.message.message_id,
    )
    await _answer(update)
    await reply(update, *_toggle_view(draft, tr(update, context)))
    return State.PERMISSIONS


async def toggle(update: Update, context: Ctx) -> State:
    """PERMISSIONS: flips one permission in the draft; the keyboard is edited only if it changed.

    Nothing is stored yet, so no actor is needed here: 保存 resolves it and the domain checks.
    """
    query = update.callback_query
    assert query is not None and query.message is not None
    role_id, index = TOGGLE.parse(query.data)
    assert isinstance(role_id, int) and isinstance(index, int)
    if not 0 <= index < len(PERMISSIONS):
        raise BadCallbackData(query.data)
    draft = _pressed_draft(update, context, role_id)
    if draft is None:
        await _refuse_stale(update, context)
        return State.PERMISSIONS
    chosen = set(_chosen(draft)) ^ {PERMISSIONS[index]}
    draft["permissions"] = sorted(p.value for p in chosen)
    await query.answer()
    _, keyboard = _toggle_view(draft, tr(update, context))
    shown = getattr(query.message, "reply_markup", None)
    if keyboard != shown:
        await query.edit_message_reply_markup(keyboard)
    return State.PERMISSIONS


async def save(update: Update, context: Ctx) -> int:
    """保存: create_role or set_permissions; a refusal keeps the draft to correct it."""
    assert update.callback_query is not None
    role_id = SAVE.parse_id(update.callback_query.data)
    draft = _pressed_draft(update, context, role_id)
    if draft is None:
        await _refuse_stale(update, context)
        return State.PERMISSIONS
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        if draft["mode"] == "create":
            role = await roles.create_role(uow, svc.clock, actor, draft["name"], _chosen(draft))
            notice = t(N_("已创建角色“{name}”。"), name=role.name)
        else:
            role = await roles.set_permissions(uow, svc.clock, actor, role_id, _chosen(draft))
            notice = t(
                N_("已保存角色“{name}”的权限。担任此角色的管理员下一次操作时即按新权限使用。"),
                name=role.name,
            )
    _drop_draft(context)
    await _answer(update)
    async with acting(update, context) as (uow, actor):
        card = await roles.role_card(uow, actor, role.id or 0)
    await reply(update, *_card_view(card, t, notice))
    return ConversationHandler.END


async def abort(update: Update, context: Ctx) -> int:
    """取消 on the toggles: the draft is dropped, the role untouched."""
    assert update.callback_query is not None
    role_id = ABORT.parse_id(update.callback_query.data)
    if _pressed_draft(update, context, role_id) is None:
        await _refuse_stale(update, context)
        return State.PERMISSIONS
    _drop_draft(context)
    await _answer(update)
    t = tr(update, context)
    back = column([button(t(N_("返回列表")), LIST.encode(0))])
    await reply(update, t(N_("已取消，角色未做任何修改。")), back)
    return ConversationHandler.END


async def stale_button(update: Update, context: Ctx) -> None:
    """A toggle, save or cancel after its draft ended (cancelled, saved, timed out)."""
    await _refuse_stale(update, context)


def build() -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="roles",
        persistent=True,
        entry_points=[
            CommandHandler("roles", show_list),
            CallbackQueryHandler(show_list, pattern=f"^{MENU_OPEN.encode('roles')}$"),
            CallbackQueryHandler(show_list, pattern=LIST.pattern),
            CallbackQueryHandler(show_card, pattern=CARD.pattern),
            CallbackQueryHandler(ask_delete, pattern=DELETE.pattern),
            CallbackQueryHandler(delete, pattern=DELETE_OK.pattern),
            CallbackQueryHandler(ask_new_name, pattern=NEW.pattern),
            CallbackQueryHandler(ask_rename, pattern=RENAME.pattern),
            CallbackQueryHandler(edit_permissions, pattern=EDIT.pattern),
        ],
        states={
            State.NAME: [MessageHandler(text, typed_name)],
            State.PERMISSIONS: [
                CallbackQueryHandler(toggle, pattern=TOGGLE.pattern),
                CallbackQueryHandler(save, pattern=SAVE.pattern),
                CallbackQueryHandler(abort, pattern=ABORT.pattern),
            ],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(build())
    app.add_handler(CallbackQueryHandler(stale_button, pattern=ANY_ROLE_BUTTON))
