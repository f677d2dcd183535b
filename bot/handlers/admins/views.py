"""How admins look in the chat: the list, a card with the buttons the domain allows, the roles."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CallbackAction
from bot.handlers.admins.callbacks import ADD, CARD, DELETE, LIST, RESET, ROLES, SUPER
from bot.handlers.menu import MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_turns
from domain.model import Actor, Role
from domain.services.admins import AdminAction, AdminView, admin_actions

PAGE_SIZE: Final = 8
SUPER_MARK: Final = N_("★ 超级管理员")
NO_ROLE: Final = N_("未分配角色")

ACTION_BUTTONS: Final[dict[AdminAction, tuple[str, CallbackAction]]] = {
    AdminAction.CHANGE_ROLE: (N_("更换角色"), ROLES),
    AdminAction.RESET_PASSWORD: (N_("重置密码"), RESET),
    AdminAction.HAND_OVER: (N_("设为超级管理员"), SUPER),
    AdminAction.REMOVE: (N_("删除"), DELETE),
}


def role_label(view: AdminView, t: Translator) -> str:
    if view.is_super:
        return t(SUPER_MARK)
    return view.role_name or t(NO_ROLE)


def list_text(views: list[AdminView], total: int, page: int, pages: int, t: Translator) -> str:
    lines = [
        t(
            N_("权限管理：本基地共有 {total} 位管理员（第 {page}/{pages} 页）"),
            total=total,
            page=page + 1,
            pages=pages,
        )
    ]
    for number, view in enumerate(views, start=page * PAGE_SIZE + 1):
        lines.append(
            t(
                N_("{number}. {name} · {id_number} · {role}"),
                number=number,
                name=view.name,
                id_number=view.masked_id_number,
                role=role_label(view, t),
            )
        )
    lines.append(t(N_("点击管理员查看详情。")))
    return "\n".join(lines)


def list_keyboard(
    views: list[AdminView], page: int, pages: int, t: Translator
) -> InlineKeyboardMarkup:
    people = [
        button(f"★ {view.name}" if view.is_super else view.name, CARD.encode(view.membership_id))
        for view in views
    ]
    grid: list[list[InlineKeyboardButton]] = [people[i : i + 2] for i in range(0, len(people), 2)]
    navigation = page_turns(page, page + 1 < pages, LIST.encode)
    if navigation:
        grid.append(navigation)
    grid.append([button(t(N_("新增管理员")), ADD.encode())])
    grid.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    return InlineKeyboardMarkup(grid)


def card_text(view: AdminView, t: Translator) -> str:
    return t(
        N_("管理员：{name}\n身份证号码：{id_number}\n角色：{role}"),
        name=view.name,
        id_number=view.masked_id_number,
        role=role_label(view, t),
    )


def card_keyboard(view: AdminView, actor: Actor, t: Translator) -> InlineKeyboardMarkup:
    """The actions the domain allows on this admin; it checks them again when pressed."""
    actions = []
    for action in admin_actions(actor, view):
        label, callback = ACTION_BUTTONS[action]
        actions.append(button(t(label), callback.encode(view.membership_id)))
    actions.append(button(t(N_("返回列表")), LIST.encode(0)))
    return column(actions)


def roles_keyboard(
    roles: list[Role], action: CallbackAction, t: Translator, *lead: int, current: int | None = None
) -> list[InlineKeyboardButton]:
    """One button per role, then 无角色; ``lead`` ids come before the role id in the data."""
    buttons = [
        button(("✓ " if role.id == current else "") + role.name, action.encode(*lead, role.id or 0))
        for role in roles
    ]
    buttons.append(button(t(N_("无角色")), action.encode(*lead, 0)))
    return buttons
