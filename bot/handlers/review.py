"""/review (主管部门审核): what waits for the reviewer, kind by kind, and a decision on each.

待审核事项 counts what waits in each of KINDS (training classes, learners' scores, annual
submissions) and opens that kind's queue (paged, longest waiting first); an item's card approves it
or returns it with a reason. A new kind is one more ``Kind`` in KINDS, its card and its service
calls.

Only reviewers get here; every press resolves the reviewer afresh and lets the domain check that
the item is submitted and of the reviewer's regions, so a forged or stale id changes nothing.
After a decision the base's admins who manage that kind are told at once, where they last logged
in; someone who blocked the bot is skipped, the decision stays.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.errors import describe
from bot.handlers import conversation
from bot.handlers.classes import history_text
from bot.handlers.menu import REVIEW_HOME
from bot.handlers.scores import attachment_name
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns
from bot.runtime import Ctx, reply, services, telegram_user_id, tr
from bot.scheduling import dispatch_soon
from domain.clock import Clock
from domain.errors import InvalidTransition, NotFound, NotPermitted
from domain.model import (
    AnnualSubmission,
    ReviewerActor,
    SubmissionFile,
    SubmissionKind,
    TrainingClass,
)
from domain.ports import UnitOfWork
from domain.services import review
from domain.services.sessions import resolve_reviewer
from domain.uploads import human_size
from domain.workflow import Action

log = logging.getLogger("cebot.review")

PAGE_SIZE = 8
DRAFT_KEY = "draft:review"
"""``{"kind": <Kind.key>, "item_id": <the item's id>}`` while a reason is asked for. Drafts stored
before kept the id as "class_id", and those from before there were kinds have no "kind" (a class):
both are still read."""
FILES_SHOWN = 40
"""A submission card lists (and offers to download) at most this many current files…"""
EARLIER_SHOWN = 6
"""…and names at most this many earlier versions, replaced or removed files."""
BUTTON_NAME_MAX = 28
"""Characters of a file's name on its download button; longer names keep their extension."""
MAX_TEXT = 4096
"""Telegram's limit on a message's text: a card longer than this is cut, never refused."""

OVERVIEW = CallbackAction("rv:home")
"""待审核事项: the count of each kind, one button to each queue."""
QUEUE = CallbackAction("rv:q", ids=1)
"""A page of the classes' queue: the page number is the only id."""
OPEN = CallbackAction("rv:o", ids=1)
APPROVE = CallbackAction("rv:ok", ids=1)
RETURN = CallbackAction("rv:ret", ids=1)
PLAN = CallbackAction("rv:plan", ids=1)
SCORES_QUEUE = CallbackAction("rv:sq", ids=1)
"""A page of the scores' queue; the other scores actions take the class's id."""
SCORES_OPEN = CallbackAction("rv:so", ids=1)
SCORES_APPROVE = CallbackAction("rv:sok", ids=1)
SCORES_RETURN = CallbackAction("rv:sret", ids=1)
SCORES_EXPORT = CallbackAction("rv:sx", ids=1)
SUBMISSIONS_QUEUE = CallbackAction("rv:aq", ids=1)
"""A page of the annual submissions' queue; the other actions take the submission's id."""
SUBMISSION_OPEN = CallbackAction("rv:ao", ids=1)
SUBMISSION_APPROVE = CallbackAction("rv:aok", ids=1)
SUBMISSION_RETURN = CallbackAction("rv:aret", ids=1)
SUBMISSION_FILE = CallbackAction("rv:af", ids=2)
"""A file of a submission: (submission id, file entry id); the service checks they belong."""


class State(IntEnum):
    REASON = 0


Handler = Callable[[Update, Ctx], Coroutine[Any, Any, None]]
Naming = Callable[[Translator], dict[str, Any]]
"""An item's placeholders for its kind's texts, in the reader's language ({name} for a class;
{year} and {what} for a submission): a notice goes out in each recipient's own language."""


@dataclass(frozen=True)
class Entry:
    """One line of a queue page and the button that opens the item."""

    line: str
    label: str
    opens: str


@dataclass(frozen=True)
class Outcome:
    """A decision, whatever it was on: what the reviewer is told and the base hears."""

    kind: Kind
    action: Action
    naming: Naming
    base_name: str
    reason: str | None


@dataclass(frozen=True)
class Kind:
    """One kind of thing reviewers decide on; the overview, queues and decisions work from it.

    Texts are msgids: ``button`` takes {count}; ``heading`` {total} {page} {pages}; ``subject``
    names an item in the reviewer's prompt and confirmation (None: its {name} as it is). The
    base's notices are the domain's (``review.Notice``), pushed through the outbox.
    """

    key: str
    """Names the kind in a return's draft (DRAFT_KEY); stored, so never renamed."""
    button: str
    queue: CallbackAction
    page: Callable[
        [UnitOfWork, ReviewerActor, int, int, Translator], Awaitable[tuple[list[Entry], int]]
    ]
    """Entries from an offset, at most a limit (0 only counts), and the total waiting."""
    heading: str
    empty: str
    hint: str
    opens: CallbackAction
    open: Handler
    approves: CallbackAction
    approve: Callable[[UnitOfWork, Clock, ReviewerActor, int], Awaitable[Outcome]]
    returns: CallbackAction
    check: Callable[[UnitOfWork, ReviewerActor, int], Awaitable[Naming]]
    """The item's naming when it is the reviewer's to decide on, else NotFound."""
    give_back: Callable[[UnitOfWork, Clock, ReviewerActor, int, str], Awaitable[Outcome]]
    subject: str | None

    def named(self, t: Translator, naming: Naming) -> str:
        words = naming(t)
        return t(self.subject, **words) if self.subject else str(words["name"])


async def _reviewer(update: Update, context: Ctx, uow: UnitOfWork) -> ReviewerActor:
    svc = services(context)
    return await resolve_reviewer(uow, svc.clock, telegram_user_id(update), svc.session_policy)


# --- training classes --------------------------------------------------------------------------


async def _class_page(
    uow: UnitOfWork, reviewer: ReviewerActor, offset: int, limit: int, t: Translator
) -> tuple[list[Entry], int]:
    items, total = await review.review_queue(uow, reviewer, offset=offset, limit=limit)
    entries = []
    for number, item in enumerate(items, start=offset + 1):
        c = item.training_class
        line = t(
            N_("{number}. {base} · {region} · {name} · 提交于 {at}"),
            number=number,
            base=item.base_name,
            region=item.base_region,
            name=c.name,
            at=c.submitted_at or c.created_at,
        )
        entries.append(Entry(line, f"{number}. {c.name}"[:60], OPEN.encode(c.id or 0)))
    return entries, total


async def open_class(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = OPEN.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        item = await review.get_for_review(uow, reviewer, class_id)
        await uow.commit()
    await update.callback_query.answer()
    t = tr(update, context)
    choices = []
    if item.training_class.plan_file_id is not None:
        choices.append(button(t(N_("下载培训方案")), PLAN.encode(class_id)))
    keyboard = column(
        [
            *choices,
            button(t(N_("审核通过")), APPROVE.encode(class_id)),
            button(t(N_("退回")), RETURN.encode(class_id)),
            button(t(N_("返回队列")), QUEUE.encode(0)),
        ]
    )
    await reply(update, _card_text(item, t), keyboard)


async def download_plan(update: Update, context: Ctx) -> None:
    """下载培训方案: the file as the base uploaded it; the download goes into the base's trail."""
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = PLAN.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        training_class, stored, data = await review.open_plan(
            uow, svc.blobs, svc.clock, reviewer, class_id
        )
    await update.callback_query.answer()
    t = tr(update, context)
    await update.effective_chat.send_document(
        data,
        filename=stored.original_name,
        caption=t(N_("培训方案：{name}"), name=training_class.name),
    )


def _card_text(item: review.ReviewItem, t: Translator) -> str:
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


def _called(name: str) -> Naming:
    """A class's naming: its name, the same in every language."""
    return lambda _t: {"name": name}


def _class_outcome(decision: review.Decision) -> Outcome:
    c = decision.training_class
    return Outcome(
        CLASSES,
        decision.action,
        _called(c.name),
        decision.base_name,
        decision.reason,
    )


async def _approve_class(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int
) -> Outcome:
    return _class_outcome(await review.approve(uow, clock, reviewer, class_id))


async def _return_class(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int, reason: str
) -> Outcome:
    return _class_outcome(await review.return_class(uow, clock, reviewer, class_id, reason))


async def _class_name(uow: UnitOfWork, reviewer: ReviewerActor, class_id: int) -> Naming:
    return _called((await review.get_for_review(uow, reviewer, class_id)).training_class.name)


# --- learners' scores (成绩报送) ----------------------------------------------------------------


async def _scores_page(
    uow: UnitOfWork, reviewer: ReviewerActor, offset: int, limit: int, t: Translator
) -> tuple[list[Entry], int]:
    items, total = await review.scores_queue(uow, reviewer, offset=offset, limit=limit)
    entries = []
    for number, item in enumerate(items, start=offset + 1):
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
        entries.append(Entry(line, f"{number}. {c.name}"[:60], SCORES_OPEN.encode(c.id or 0)))
    return entries, total


async def open_scores(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = SCORES_OPEN.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        item = await review.get_scores_for_review(uow, reviewer, class_id)
        await uow.commit()
    await update.callback_query.answer()
    t = tr(update, context)
    keyboard = column(
        [
            button(t(N_("下载成绩表")), SCORES_EXPORT.encode(class_id)),
            button(t(N_("审核通过")), SCORES_APPROVE.encode(class_id)),
            button(t(N_("退回")), SCORES_RETURN.encode(class_id)),
            button(t(N_("返回队列")), SCORES_QUEUE.encode(0)),
        ]
    )
    await reply(update, _scores_card_text(item, t), keyboard)


def _scores_card_text(item: review.ScoresItem, t: Translator) -> str:
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


async def download_scores(update: Update, context: Ctx) -> None:
    """下载成绩表: the export the base would make, full ID numbers; written to the base's trail."""
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = SCORES_EXPORT.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        made_for, data = await review.export_scores_for_review(
            uow, svc.clock, reviewer, svc.workbooks, class_id
        )
    await update.callback_query.answer()
    t = tr(update, context)
    await update.effective_chat.send_document(
        data,
        filename=attachment_name(t(N_("成绩")), made_for.class_name),
        caption=t(N_("“{name}”的成绩（含完整身份证号码，请妥善保管）。"), name=made_for.class_name),
    )


def _scores_outcome(decision: review.ScoresDecision) -> Outcome:
    c = decision.training_class
    return Outcome(
        SCORES,
        decision.action,
        _called(c.name),
        decision.base_name,
        decision.reason,
    )


async def _approve_scores(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int
) -> Outcome:
    return _scores_outcome(await review.approve_scores(uow, clock, reviewer, class_id))


async def _return_scores(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int, reason: str
) -> Outcome:
    return _scores_outcome(await review.return_scores(uow, clock, reviewer, class_id, reason))


async def _scores_name(uow: UnitOfWork, reviewer: ReviewerActor, class_id: int) -> Naming:
    item = await review.get_scores_for_review(uow, reviewer, class_id)
    return _called(item.training_class.name)


# --- annual submissions (年度培训计划 · 年度工作总结 · 年度工作材料) ----------------------------


def _submission_naming(submission: AnnualSubmission) -> Naming:
    """{year}, and {what}: the kind, and for a material its title too."""

    def words(t: Translator) -> dict[str, Any]:
        what = t(submission.kind.label)
        if submission.kind is SubmissionKind.MATERIAL:
            what = t(N_("{kind}：{title}"), kind=what, title=submission.title)
        return {"year": submission.year, "what": what}

    return words


async def _submissions_page(
    uow: UnitOfWork, reviewer: ReviewerActor, offset: int, limit: int, t: Translator
) -> tuple[list[Entry], int]:
    items, total = await review.submissions_queue(uow, reviewer, offset=offset, limit=limit)
    entries = []
    for number, item in enumerate(items, start=offset + 1):
        s = item.submission
        kind = t(s.kind.label)
        at = s.submitted_at or s.created_at
        common = {"number": number, "base": item.base_name, "region": item.base_region}
        if s.kind is SubmissionKind.MATERIAL:
            line = t(
                N_("{number}. {base} · {region} · {year} {kind} · {title} · 提交于 {at}"),
                year=s.year,
                kind=kind,
                title=s.title,
                at=at,
                **common,
            )
            label = f"{number}. {s.title}"
        else:
            line = t(
                N_("{number}. {base} · {region} · {year} {kind} · 提交于 {at}"),
                year=s.year,
                kind=kind,
                at=at,
                **common,
            )
            label = f"{number}. {s.year} {kind}"
        entries.append(Entry(line, label[:60], SUBMISSION_OPEN.encode(s.id or 0)))
    return entries, total


async def open_submission(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    submission_id = SUBMISSION_OPEN.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        item = await review.get_submission_for_review(uow, reviewer, submission_id)
        await uow.commit()
    await update.callback_query.answer()
    t = tr(update, context)
    downloads = [
        button(
            t(N_("下载：{name}"), name=_short(entry.stored.original_name)),
            SUBMISSION_FILE.encode(submission_id, entry.id or 0),
        )
        for entry in item.submission.current_files[:FILES_SHOWN]
    ]
    keyboard = column(
        [
            *downloads,
            button(t(N_("审核通过")), SUBMISSION_APPROVE.encode(submission_id)),
            button(t(N_("退回")), SUBMISSION_RETURN.encode(submission_id)),
            button(t(N_("返回队列")), SUBMISSIONS_QUEUE.encode(0)),
        ]
    )
    await reply(update, _submission_card_text(item, t), keyboard)


def _submission_card_text(item: review.SubmissionItem, t: Translator) -> str:
    s = item.submission
    head = [
        t(
            N_(
                "年度报送审核（{status}）\n继续教育基地：{base}（{region}）\n年度：{year}\n类别：{kind}"
            ),
            status=t(s.status.label),
            base=item.base_name,
            region=item.base_region,
            year=s.year,
            kind=t(s.kind.label),
        )
    ]
    if s.kind is SubmissionKind.MATERIAL:
        head.append(
            t(
                N_("材料标题：{title}\n材料类型：{material_kind}"),
                title=s.title,
                material_kind=t(s.material_kind.label) if s.material_kind else t(N_("（无）")),
            )
        )
    parts = ["\n".join(head), _files_text(s, t), history_text(s, item.names, t)]
    text = "\n\n".join(part for part in parts if part)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _files_text(s: AnnualSubmission, t: Translator) -> str:
    """The current file(s), downloadable from the buttons; earlier ones named only."""
    current = s.current_files
    lines = [t(N_("当前文件（点击下方按钮下载）：")) if current else t(N_("当前文件：（无）"))]
    lines += [f"{n}. {_file_text(f, t)}" for n, f in enumerate(current[:FILES_SHOWN], start=1)]
    if len(current) > FILES_SHOWN:
        lines.append(t(N_("……另有 {count} 个文件未列出。"), count=len(current) - FILES_SHOWN))
    earlier = [f for f in s.versions if not f.is_current]
    if earlier:
        lines.append(t(N_("早先的版本（仅列出文件名）：")))
        for f in earlier[:EARLIER_SHOWN]:
            if s.kind.once_a_year:
                lines.append(
                    t(N_("· 第 {number} 版 {name}"), number=f.number, name=f.stored.original_name)
                )
            else:
                lines.append(f"· {f.stored.original_name}")
        if len(earlier) > EARLIER_SHOWN:
            lines.append(t(N_("……另有 {count} 个文件未列出。"), count=len(earlier) - EARLIER_SHOWN))
    return "\n".join(lines)


def _file_text(entry: SubmissionFile, t: Translator) -> str:
    return t(
        N_("{name}（{size}）"), name=entry.stored.original_name, size=human_size(entry.stored.size)
    )


def _short(name: str, limit: int = BUTTON_NAME_MAX) -> str:
    """A file name that fits on a button, its extension kept: 2026年度…计划.pdf."""
    if len(name) <= limit:
        return name
    dot = name.rfind(".")
    tail = name[dot:] if dot > 0 and len(name) - dot <= 8 else ""
    return name[: limit - len(tail) - 1] + "…" + tail


async def download_submission_file(update: Update, context: Ctx) -> None:
    """下载：a current file as the base uploaded it, verified; written to the base's trail."""
    assert update.callback_query is not None and update.effective_chat is not None
    submission_id, entry_id = SUBMISSION_FILE.parse(update.callback_query.data)
    assert isinstance(submission_id, int) and isinstance(entry_id, int)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        submission, stored, data = await review.open_submission_file(
            uow, svc.blobs, svc.clock, reviewer, submission_id, entry_id
        )
    await update.callback_query.answer()
    t = tr(update, context)
    await update.effective_chat.send_document(
        data,
        filename=stored.original_name,
        caption=SUBMISSIONS.named(t, _submission_naming(submission)),
    )


def _submission_outcome(decision: review.SubmissionDecision) -> Outcome:
    s = decision.submission
    return Outcome(
        SUBMISSIONS,
        decision.action,
        _submission_naming(s),
        decision.base_name,
        decision.reason,
    )


async def _approve_submission(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, submission_id: int
) -> Outcome:
    return _submission_outcome(await review.approve_submission(uow, clock, reviewer, submission_id))


async def _return_submission(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, submission_id: int, reason: str
) -> Outcome:
    decision = await review.return_submission(uow, clock, reviewer, submission_id, reason)
    return _submission_outcome(decision)


async def _submission_name(uow: UnitOfWork, reviewer: ReviewerActor, submission_id: int) -> Naming:
    item = await review.get_submission_for_review(uow, reviewer, submission_id)
    return _submission_naming(item.submission)


# --- the kinds ---------------------------------------------------------------------------------

CLASSES = Kind(
    key="class",
    button=N_("培训班（{count}）"),
    queue=QUEUE,
    page=_class_page,
    heading=N_("待审核的培训班：共 {total} 个（第 {page}/{pages} 页），先提交的在前。"),
    empty=N_("目前没有待审核的培训班。"),
    hint=N_("点击培训班查看详情并审核。"),
    opens=OPEN,
    open=open_class,
    approves=APPROVE,
    approve=_approve_class,
    returns=RETURN,
    check=_class_name,
    give_back=_return_class,
    subject=None,
)
SCORES = Kind(
    key="scores",
    button=N_("学员成绩（{count}）"),
    queue=SCORES_QUEUE,
    page=_scores_page,
    heading=N_("待审核的学员成绩：共 {total} 个培训班（第 {page}/{pages} 页），先报送的在前。"),
    empty=N_("目前没有待审核的学员成绩。"),
    hint=N_("点击培训班查看成绩并审核。"),
    opens=SCORES_OPEN,
    open=open_scores,
    approves=SCORES_APPROVE,
    approve=_approve_scores,
    returns=SCORES_RETURN,
    check=_scores_name,
    give_back=_return_scores,
    subject=N_("{name}的学员成绩"),
)
SUBMISSIONS = Kind(
    key="submission",
    button=N_("年度报送（{count}）"),
    queue=SUBMISSIONS_QUEUE,
    page=_submissions_page,
    heading=N_("待审核的年度报送：共 {total} 份（第 {page}/{pages} 页），先提交的在前。"),
    empty=N_("目前没有待审核的年度报送。"),
    hint=N_("点击一份报送查看文件并审核。"),
    opens=SUBMISSION_OPEN,
    open=open_submission,
    approves=SUBMISSION_APPROVE,
    approve=_approve_submission,
    returns=SUBMISSION_RETURN,
    check=_submission_name,
    give_back=_return_submission,
    subject=N_("{year} 年{what}"),
)
KINDS: tuple[Kind, ...] = (CLASSES, SCORES, SUBMISSIONS)
"""What reviewers decide on, in the overview's order."""
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


def _pressed(update: Update, actions: Callable[[Kind], CallbackAction]) -> Kind:
    """The kind whose button (``actions(kind)``) was pressed; the handler's pattern matched one."""
    return next(kind for kind in KINDS if _is(actions(kind), update))


def _is(action: CallbackAction, update: Update) -> bool:
    data = update.callback_query.data if update.callback_query else None
    return data is not None and data.startswith(action.prefix + ":")


# --- the overview and the queues ---------------------------------------------------------------


async def command(update: Update, context: Ctx) -> None:
    """/review or the welcome button: the overview, as a new message."""
    await _show_overview(update, context)


async def from_menu(update: Update, context: Ctx) -> None:
    """The reviewer's function list, or 返回 under a queue: the overview, in place."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _show_overview(update, context)


async def _show_overview(update: Update, context: Ctx) -> None:
    svc = services(context)
    t = tr(update, context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        counts = [(kind, (await kind.page(uow, reviewer, 0, 0, t))[1]) for kind in KINDS]
        await uow.commit()
    total = sum(count for _, count in counts)
    if not total:
        await reply(update, t(N_("目前没有待审核的事项。")))
        return
    keyboard = column(
        [button(t(kind.button, count=count), kind.queue.encode(0)) for kind, count in counts]
    )
    await reply(update, t(N_("待审核事项：共 {total} 项，请选择："), total=total), keyboard)


async def queue_page(update: Update, context: Ctx) -> None:
    """A kind's button in the overview, ◀ ▶ and 返回队列."""
    assert update.callback_query is not None
    kind = _pressed(update, lambda k: k.queue)
    page = kind.queue.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await _show_queue(update, context, kind, page)


async def _show_queue(update: Update, context: Ctx, kind: Kind, page: int) -> None:
    svc = services(context)
    t = tr(update, context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        entries, total = await kind.page(uow, reviewer, page * PAGE_SIZE, PAGE_SIZE, t)
        if not entries and page > 0:  # the page emptied since: show the last one there is
            page = page_count(total, PAGE_SIZE) - 1
            entries, total = await kind.page(uow, reviewer, page * PAGE_SIZE, PAGE_SIZE, t)
        await uow.commit()
    back = [button(t(N_("返回")), OVERVIEW.encode())]
    if not entries:
        await reply(update, t(kind.empty), InlineKeyboardMarkup([back]))
        return
    pages = page_count(total, PAGE_SIZE)
    lines = [
        t(kind.heading, total=total, page=page + 1, pages=pages),
        *(entry.line for entry in entries),
        t(kind.hint),
    ]
    grid: list[list[InlineKeyboardButton]] = [[button(e.label, e.opens)] for e in entries]
    navigation = page_turns(page, page + 1 < pages, kind.queue.encode)
    if navigation:
        grid.append(navigation)
    grid.append(back)
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(grid))


# --- decisions ---------------------------------------------------------------------------------


async def approve(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    kind = _pressed(update, lambda k: k.approves)
    item_id = kind.approves.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        outcome = await kind.approve(uow, svc.clock, reviewer, item_id)
    await update.callback_query.answer()
    await _decided(update, context, outcome)


async def ask_reason(update: Update, context: Ctx) -> int:
    """退回: the item is checked before the reviewer types anything."""
    assert update.callback_query is not None and context.user_data is not None
    kind = _pressed(update, lambda k: k.returns)
    item_id = kind.returns.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        naming = await kind.check(uow, reviewer, item_id)
        await uow.commit()
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"kind": kind.key, "item_id": item_id}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("退回“{name}”：请输入退回原因（必填，最多 500 个字），发送 /cancel 取消。"),
            name=kind.named(t, naming),
        ),
        edit=False,
    )
    return State.REASON


async def typed_reason(update: Update, context: Ctx) -> int:
    """REASON: an empty or too long reason is refused by the domain; the step stays."""
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY) or {}
    kind = KINDS_BY_KEY.get(draft.get("kind", CLASSES.key))  # a draft from before kinds: a class
    item_id = draft.get("item_id", draft.get("class_id"))  # "class_id": a draft stored before
    if kind is None or not isinstance(item_id, int):
        context.user_data.pop(DRAFT_KEY, None)
        await command(update, context)
        return ConversationHandler.END
    svc = services(context)
    try:
        async with svc.uow() as uow:
            reviewer = await _reviewer(update, context, uow)
            outcome = await kind.give_back(uow, svc.clock, reviewer, item_id, update.message.text)
    except (NotFound, InvalidTransition, NotPermitted) as gone:
        # The item left the queue while the reason was typed (withdrawn, decided elsewhere): the
        # step ends here, or the next message would become the reason of whatever comes back.
        context.user_data.pop(DRAFT_KEY, None)
        await reply(update, describe(gone, tr(update, context)), edit=False)
        return ConversationHandler.END
    context.user_data.pop(DRAFT_KEY, None)
    await _decided(update, context, outcome)
    return ConversationHandler.END


def _leaving(callback: Handler) -> Callable[[Update, Ctx], Coroutine[Any, Any, int]]:
    """A way out of the reason step (the overview, a queue, an item): the return is abandoned."""

    async def leave(update: Update, context: Ctx) -> int:
        conversation.drop_drafts(context)
        await callback(update, context)
        return ConversationHandler.END

    return leave


async def _decided(update: Update, context: Ctx, outcome: Outcome) -> None:
    t = tr(update, context)
    name = outcome.kind.named(t, outcome.naming)
    if outcome.action is Action.APPROVE:
        text = t(
            N_("已审核通过：{name}（{base}）。已通知该基地的管理员。"),
            name=name,
            base=outcome.base_name,
        )
    else:
        text = t(
            N_("已退回：{name}（{base}）。退回原因：{reason}\n已通知该基地的管理员。"),
            name=name,
            base=outcome.base_name,
            reason=outcome.reason or "",
        )
    back = column([button(t(N_("返回队列")), outcome.kind.queue.encode(0))])
    await reply(update, text, back, edit=False)
    dispatch_soon(context.application)


# --- wiring ------------------------------------------------------------------------------------


def _navigation() -> list[tuple[CallbackAction, Handler]]:
    """Buttons that only show something: the overview, each kind's queue and its items."""
    found: list[tuple[CallbackAction, Handler]] = [(OVERVIEW, from_menu)]
    for kind in KINDS:
        found += [(kind.queue, queue_page), (kind.opens, kind.open)]
    return found


def build() -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    leaving: list[BaseHandler] = [  # type: ignore[type-arg]
        CallbackQueryHandler(_leaving(callback), pattern=action.pattern)
        for action, callback in _navigation()
    ]
    return ConversationHandler(
        name="review",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(ask_reason, pattern=kind.returns.pattern) for kind in KINDS
        ],
        states={
            State.REASON: [MessageHandler(text, typed_reason), *leaving],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(build())
    app.add_handler(CommandHandler("review", command))
    app.add_handler(CallbackQueryHandler(from_menu, pattern=f"^{REVIEW_HOME}$"))
    for action, callback in _navigation():
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
    for kind in KINDS:
        app.add_handler(CallbackQueryHandler(approve, pattern=kind.approves.pattern))
    app.add_handler(CallbackQueryHandler(download_plan, pattern=PLAN.pattern))
    app.add_handler(CallbackQueryHandler(download_scores, pattern=SCORES_EXPORT.pattern))
    app.add_handler(CallbackQueryHandler(download_submission_file, pattern=SUBMISSION_FILE.pattern))
