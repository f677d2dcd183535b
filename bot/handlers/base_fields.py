"""How a base's fields are named and asked for: shared by /register and /profile."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True)
class BaseFieldText:
    attribute: str
    """The attribute of ``domain.model.Base`` and the key of ``profile.BASE_FIELD_PARSERS``."""
    label: str
    prompt: str


BASE_FIELD_TEXTS: tuple[BaseFieldText, ...] = (
    BaseFieldText("name", N_("机构名称"), N_("请输入机构名称（必填，最多 100 字）：")),
    BaseFieldText("credit_code", N_("统一社会信用代码"), N_("请输入统一社会信用代码（18 位）：")),
    BaseFieldText("region", N_("所在市州"), N_("请选择所在市州（也可直接输入名称）：")),
    BaseFieldText("address", N_("详细地址"), N_("请输入机构详细地址（必填）：")),
    BaseFieldText("contact_person", N_("联系人"), N_("请输入联系人姓名（必填）：")),
    BaseFieldText(
        "contact_phone", N_("联系电话"), N_("请输入联系电话（手机或座机，如 027-87654321）：")
    ),
)
BASE_FIELD_TEXT = {f.attribute: f for f in BASE_FIELD_TEXTS}
