"""How roles look in the chat: the list, a role's card, and the permission toggles."""

from __future__ import annotations

from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers.menu import MENU_SHOW
from bot.handlers.roles.callbacks import (
    ABORT,
    CARD,
    DELETE,
    EDIT,
    LIST,
    NEW,
    PERMISSIONS,
    RENAME,
    SAVE,
    TOGGLE,
)
from bot.handlers.roles.drafts import chosen
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from domain.model import Role
from domain.services import roles

PER_PAGE: Final = 8
ASK_NEW_NAME: Final = N_("请输入新角色的名称（最多 {max} 字），或发送 /cancel 取消：")
ASK_RENAME: Final = N_("请输入角色“{name}”的新名称（最多 {max} 字），或发送 /cancel 取消：")
ASK_NAME_AGAIN: Final = N_("请重新输入角色名称，或发送 /cancel 取消：")


def list_view(found: list[Role], page: int, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
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


def card_view(
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


def toggle_view(draft: dict[str, Any], t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    role_id = int(draft["role_id"])
    ticked = chosen(draft)
    if draft["mode"] == "create":
        text = t(N_("新角色“{name}”：点按权限以选择或取消，选好后点“保存”。"), name=draft["name"])
    else:
        text = t(
            N_("修改角色“{name}”的权限：点按以选择或取消，改好后点“保存”。"), name=draft["name"]
        )
    toggles = [
        button(f"{'✅' if p in ticked else '⬜'} {t(p.label)}", TOGGLE.encode(role_id, index))
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
