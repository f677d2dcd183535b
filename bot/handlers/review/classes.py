"""Training classes (培训班) as the reviewer sees them: the queue's line, the card, the plan."""

from __future__ import annotations

from bot.handlers.classes import history_text
from bot.handlers.review import buttons
from bot.handlers.review.view import Attachment, Entry, KindView, Texts
from bot.i18n import N_, Translator
from bot.runtime import Services
from domain.model import ReviewerActor, TrainingClass
from domain.ports import UnitOfWork
from domain.services import review


def _entry(item: review.ReviewItem, number: int, t: Translator) -> Entry:
    c = item.training_class
    line = t(
        N_("{number}. {base} · {region} · {name} · 提交于 {at}"),
        number=number,
        base=item.base_name,
        region=item.base_region,
        name=c.name,
        at=c.submitted_at or c.created_at,
    )
    return Entry(line, f"{number}. {c.name}"[:60], c.id or 0)


def _card(item: review.ReviewItem, t: Translator) -> str:
    c = item.training_class
    text = t(
        N_(
            "培训班详情（{status}）\n"
            "继续教育基地：{base}（{region}）\n"
            "培训班名称：{name}\n"
            "年度：{year}\n"
            "培训类别：{category}\n"
            "培训方式：{mode}\n"
            "培训日期：{start} 至 {end}\n"
            "培训地点：{location}\n"
            "学时：{hours}\n"
            "计划人数：{capacity}\n"
            "收费标准（元/人）：{fee}\n"
            "培训对象：{audience}\n"
            "培训简介：{description}"
        ),
        status=t(c.status.label),
        base=item.base_name,
        region=item.base_region,
        name=c.name,
        year=c.year,
        category=t(c.category.label),
        mode=t(c.mode.label),
        start=c.start_date,
        end=c.end_date,
        location=c.location or t(N_("（无）")),
        hours=c.hours,
        capacity=c.capacity,
        fee=c.fee,
        audience=c.audience or t(N_("（无）")),
        description=c.description or t(N_("（无）")),
    )
    return "\n\n".join([text, _plan_text(c, t), history_text(c, item.names, t)])


def _plan_text(c: TrainingClass, t: Translator) -> str:
    if c.plan_text:
        return t(N_("培训方案：\n{plan}"), plan=c.plan_text)
    if c.plan_file_id is not None:
        return t(N_("培训方案：已上传文件，请点击“下载培训方案”查看。"))
    return t(N_("培训方案：（无）"))


def _files(item: review.ReviewItem, t: Translator) -> list[tuple[str, tuple[int, ...]]]:
    c = item.training_class
    return [] if c.plan_file_id is None else [(t(N_("下载培训方案")), (c.id or 0,))]


def _title(item: review.ReviewItem | review.Decision, _t: Translator) -> str:
    """A class's name, the same in every language."""
    return item.training_class.name


async def _plan(
    uow: UnitOfWork, svc: Services, reviewer: ReviewerActor, ids: tuple[int, ...], t: Translator
) -> Attachment:
    """下载培训方案: the file as the base uploaded it; the download goes into the base's trail."""
    (class_id,) = ids
    c, stored, data = await review.open_plan(uow, svc.blobs, svc.clock, reviewer, class_id)
    return Attachment(data, stored.original_name, t(N_("培训方案：{name}"), name=c.name))


CLASSES = KindView(
    kind=review.CLASSES,
    buttons=buttons.CLASSES,
    texts=Texts(
        button=N_("培训班（{count}）"),
        heading=N_("待审核的培训班：共 {total} 个（第 {page}/{pages} 页），先提交的在前。"),
        empty=N_("目前没有待审核的培训班。"),
        hint=N_("点击培训班查看详情并审核。"),
    ),
    entry=_entry,
    card=_card,
    files=_files,
    title=_title,
    download=_plan,
)
