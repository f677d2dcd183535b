"""A class's fields in the user's words: labels, prompts, the choices offered, the list."""

from __future__ import annotations

from typing import Final

from bot.i18n import N_, Translator
from domain.model import TrainingClass
from domain.services.classes import CLASS_FIELDS

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
"""Fields offered a 跳过 button."""
NONE: Final = N_("（无）")


def fields_text(values: dict[str, str], t: Translator) -> str:
    """``label：value`` per field but the plan, which each screen shows its own way."""
    return "\n".join(
        t(N_("{label}：{value}"), label=t(FIELD_LABELS[name]), value=values[name] or t(NONE))
        for name in CLASS_FIELDS
        if name != "plan_text"
    )


def class_values(c: TrainingClass, t: Translator) -> dict[str, str]:
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
