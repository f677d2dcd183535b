"""What more than one of the score sheet's sub-flows shows: column names, results, file names."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from bot.i18n import N_, Translator
from bot.runtime import Ctx, services
from domain.scoresheet import Column, ScoreWorkbooks

COLUMN_LABELS: Final[dict[Column, str]] = {
    Column.NAME: N_("姓名"),
    Column.ID_NUMBER: N_("身份证号"),
    Column.SCORE: N_("成绩"),
    Column.PASSED: N_("是否合格"),
    Column.HOURS: N_("获得学时"),
    Column.CERTIFICATE_NO: N_("证书编号"),
    Column.REMARK: N_("备注"),
}


def result_text(score: Decimal | None, passed: bool | None, t: Translator) -> str:
    verdict = t(N_("合格")) if passed else t(N_("不合格"))
    return (
        verdict if score is None else t(N_("{score} 分（{verdict}）"), score=score, verdict=verdict)
    )


def attachment_name(kind: str, class_name: str) -> str:
    """``成绩模板-<class>.xlsx``: the class name without the characters file systems refuse."""
    safe = "".join(ch for ch in class_name if ch not in '\\/:*?"<>|')[:60]
    return f"{kind}-{safe}.xlsx"


def workbooks(context: Ctx) -> ScoreWorkbooks:
    return services(context).workbooks
