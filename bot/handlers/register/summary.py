"""The summary /register ends on: everything typed, a button to correct each, 确认注册."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup

from bot.handlers.register.callbacks import ABORT, CONFIRM, EDIT_FIELD
from bot.handlers.register.draft import proof
from bot.handlers.register.fields import FIELDS
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from domain import validators


def summary_text(draft: dict[str, Any], t: Translator) -> str:
    values = draft["values"]
    existing = proof(draft) is not None
    lines = [t(N_("请核对注册信息："))]
    for field in FIELDS:
        shown = values.get(field.key, "")
        if field.key == "admin_id_number":
            shown = validators.mask_id_number(shown)
        lines.append(t(N_("{label}：{value}"), label=t(field.label), value=shown))
    if existing:
        lines.append(t(N_("管理员账号：已有账号（已确认身份），新基地将加入您管理的基地")))
    else:
        lines.append(t(N_("登录密码：已设置（不显示）")))
    return "\n".join(lines)


def summary_keyboard(draft: dict[str, Any], t: Translator) -> InlineKeyboardMarkup:
    existing = proof(draft) is not None
    shown = [f for f in FIELDS if not existing or f.key not in {"admin_name", "admin_mobile"}]
    edits = [
        button(t(N_("修改{label}"), label=t(f.label)), EDIT_FIELD.encode(f.key)) for f in shown
    ]
    if not existing:
        edits.append(button(t(N_("修改密码")), EDIT_FIELD.encode("password")))
    keyboard = rows(edits, per_row=2).inline_keyboard
    final = [button(t(N_("✅ 确认注册")), CONFIRM.encode()), button(t(N_("取消")), ABORT.encode())]
    return InlineKeyboardMarkup([list(final), *keyboard])
