"""Learners' scores (成绩报送) as the reviewer sees them: the queue's line, the card, the export."""

from __future__ import annotations

from bot.handlers.classes import history_text
from bot.handlers.review import buttons
from bot.handlers.review.view import Attachment, Entry, KindView, Texts
from bot.handlers.scores import attachment_name
from bot.i18n import N_, Translator
from bot.runtime import Services
from domain.model import ReviewerActor
from domain.ports import UnitOfWork
from domain.services import review


def _entry(item: review.ScoresItem, number: int, t: Translator) -> Entry:
    c = item.training_class
    line = t(
        N_("{number}. {base} · {region} · {name} · {learners} 名学员 · 提交于 {at}"),
        number=number,
        base=item.base_name,
        region=item.base_region,
        name=c.name,
        learners=item.counts.learners,
        at=item.sheet.submitted_at or t(N_("（无）")),
    )
    return Entry(line, f"{number}. {c.name}"[:60], c.id or 0)


def _card(item: review.ScoresItem, t: Translator) -> str:
    c, counts = item.training_class, item.counts
    text = t(
        N_(
            "学员成绩审核（{status}）\n"
            "继续教育基地：{base}（{region}）\n"
            "培训班名称：{name}\n"
            "培训日期：{start} 至 {end}\n"
            "学时：{hours}\n"
            "学员 {learners} 名：合格 {passed} 名，不合格 {failed} 名，共授予 {awarded} 学时"
        ),
        status=t(item.sheet.status.label),
        base=item.base_name,
        region=item.base_region,
        name=c.name,
        start=c.start_date,
        end=c.end_date,
        hours=c.hours,
        learners=counts.learners,
        passed=counts.passed,
        failed=counts.failed,
        awarded=counts.hours,
    )
    return "\n\n".join([text, history_text(item.sheet, item.names, t)])


def _files(item: review.ScoresItem, t: Translator) -> list[tuple[str, tuple[int, ...]]]:
    return [(t(N_("下载成绩表")), (item.sheet.class_id,))]


def _title(item: review.ScoresItem | review.ScoresDecision, t: Translator) -> str:
    return t(N_("{name}的学员成绩"), name=item.training_class.name)


async def _export(
    uow: UnitOfWork, svc: Services, reviewer: ReviewerActor, ids: tuple[int, ...], t: Translator
) -> Attachment:
    """下载成绩表: the export the base would make, full ID numbers; written to the base's trail."""
    (class_id,) = ids
    made_for, data = await review.export_scores_for_review(
        uow, svc.clock, reviewer, svc.workbooks, class_id
    )
    return Attachment(
        data,
        attachment_name(t(N_("成绩")), made_for.class_name),
        t(N_("“{name}”的成绩（含完整身份证号码，请妥善保管）。"), name=made_for.class_name),
    )


SCORES = KindView(
    kind=review.SCORES,
    buttons=buttons.SCORES,
    texts=Texts(
        button=N_("学员成绩（{count}）"),
        heading=N_("待审核的学员成绩：共 {total} 个培训班（第 {page}/{pages} 页），先报送的在前。"),
        empty=N_("目前没有待审核的学员成绩。"),
        hint=N_("点击培训班查看成绩并审核。"),
    ),
    entry=_entry,
    card=_card,
    files=_files,
    title=_title,
    download=_export,
)
