"""What /register asks, field by field: labels, prompts and how each value is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

from bot.handlers.base_fields import BASE_FIELD_TEXT, BASE_FIELD_TEXTS
from bot.handlers.register.callbacks import AGAIN_STEP, PASSWORD_STEP, PROVE_STEP, SUMMARY_STEP
from bot.i18n import N_
from domain import validators
from domain.services.profile import parse_base_field


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
BASE_KEYS: Final = tuple(f.key for f in FIELDS[: len(BASE_FIELD_TEXTS)])
PASSWORD_PROMPT = N_(
    "请设置登录密码：至少 8 个字符，可使用任意字符（包括空格和汉字），"
    "不能是常见密码，也不能包含身份证号码或手机号码。该消息读取后会立即删除。"
)
PASSWORD_AGAIN_PROMPT = N_("请再次输入密码以确认：")
PROVE_PROMPT = N_(
    "该身份证号码已注册（您已是其他继续教育基地的管理员）。请输入该账号的登录密码以确认是您本人，"
    "新基地将加入您管理的基地。该消息读取后会立即删除；密码输错与登录时一样计入锁定次数。"
)
STEP_LABELS: Final[dict[str, str]] = {
    **{f.key: f.label for f in FIELDS},
    PASSWORD_STEP: N_("登录密码"),
    AGAIN_STEP: N_("再次输入密码"),
    PROVE_STEP: N_("已有账号的登录密码"),
    SUMMARY_STEP: N_("核对信息"),
}
