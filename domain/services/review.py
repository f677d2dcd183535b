"""主管部门审核: reviewers approve or return what the bases of their regions submit.

Reviewers are platform-side people made by the operator, not by a base. A reviewer sees only
submitted classes of bases in the regions they cover (no regions: the whole province); anything
else is reported as not found, as another base's objects are to an admin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain import links
from domain import validators as v
from domain.clock import Clock
from domain.errors import Conflict, NotFound
from domain.messages import N_
from domain.model import (
    AnnualSubmission,
    Base,
    OutboxMessage,
    ReviewerActor,
    ScoreCounts,
    ScoreSheet,
    StoredFile,
    SubmissionKind,
    TrainingClass,
    User,
)
from domain.passwords import check_password_policy
from domain.permissions import Permission
from domain.ports import BlobStore, PasswordHasher, UnitOfWork
from domain.scoresheet import ClassHeading, ScoreWorkbooks
from domain.services import audit, files, scores, submissions
from domain.services.classes import history_names
from domain.workflow import Action, Reviewable, Status

ALL_REGIONS = "*"
"""How the audit trail writes "every region" for a reviewer created without regions."""


@dataclass(frozen=True)
class ReviewItem:
    """A submitted class as the reviewer sees it: with its base and who did each step so far."""

    training_class: TrainingClass
    base_name: str
    base_region: str
    names: Mapping[int, str] = field(default_factory=dict)


class _Decided:
    """The reviewer's step just taken, read from the reviewed object's history."""

    @property
    def reviewed(self) -> Reviewable:
        raise NotImplementedError

    @property
    def action(self) -> Action:
        return self.reviewed.history[-1].action

    @property
    def reason(self) -> str | None:
        return self.reviewed.history[-1].reason


@dataclass(frozen=True)
class Decision(_Decided):
    """An approval or a return, and whom to tell: the base's admins who manage classes."""

    training_class: TrainingClass
    base_name: str
    recipients: tuple[int, ...]

    @property
    def reviewed(self) -> Reviewable:
        return self.training_class


def parse_regions(raw: Sequence[str]) -> tuple[str, ...]:
    """Each region checked and named in full, in the province's order; blanks are skipped."""
    chosen = {v.parse_region(item) for item in raw if item.strip()}
    return tuple(region for region in v.HUBEI_REGIONS if region in chosen)


async def create_reviewer(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    name: str,
    id_number: str,
    mobile: str,
    initial_password: str,
    regions: Sequence[str] = (),
) -> User:
    """For the operator's ``cebot reviewer add``; the password must be changed at first login."""
    now = clock.now()
    clean_id = v.parse_id_number(id_number, now.date())
    clean_mobile = v.parse_mobile(mobile)
    clean_name = v.parse_name(name)
    covered = parse_regions(regions)
    check_password_policy(
        initial_password, id_number=clean_id, mobile=clean_mobile, name=clean_name
    )
    if await uow.users.get_by_id_number(clean_id) is not None:
        raise Conflict(N_("该身份证号码已是系统用户。"))
    user = await uow.users.add(
        User(
            name=clean_name,
            id_number=clean_id,
            mobile=clean_mobile,
            password_hash=await hasher.hash(initial_password),
            must_change_password=True,
            credentials_changed_at=now,
            created_at=now,
            is_reviewer=True,
            reviewer_regions=covered,
        )
    )
    await audit.record(
        uow,
        clock,
        action="reviewer.create",
        base_id=None,
        actor_user_id=None,
        subject=user.name,
        new_value=f"{v.mask_id_number(clean_id)} {','.join(covered) or ALL_REGIONS}",
    )
    return user


async def review_queue(
    uow: UnitOfWork, reviewer: ReviewerActor, *, offset: int = 0, limit: int = 10
) -> tuple[list[ReviewItem], int]:
    """Submitted classes of the reviewer's regions, longest waiting first, with the total."""
    regions = None if reviewer.covers_all_regions else reviewer.regions
    classes = await uow.classes.list_submitted_for_regions(regions, offset=offset, limit=limit)
    total = await uow.classes.count_submitted_for_regions(regions)
    bases = {b.id: b for b in await uow.bases.get_many([c.base_id for c in classes])}
    return [_item(c, bases[c.base_id]) for c in classes], total


async def get_for_review(uow: UnitOfWork, reviewer: ReviewerActor, class_id: int) -> ReviewItem:
    """A submitted class of the reviewer's regions; anything else is not found."""
    training_class = await uow.classes.get(class_id)
    if training_class is None or training_class.status is not Status.SUBMITTED:
        raise NotFound()
    base = await _covered_base(uow, reviewer, training_class.base_id)
    return ReviewItem(
        training_class, base.name, base.region, await history_names(uow, training_class)
    )


async def open_plan(
    uow: UnitOfWork, blobs: BlobStore, clock: Clock, reviewer: ReviewerActor, class_id: int
) -> tuple[TrainingClass, StoredFile, bytes]:
    """The plan file of a class under review; the download is written to the base's audit trail.

    The file is looked up under the class's own base, so a class id opens only its own plan.
    """
    item = await get_for_review(uow, reviewer, class_id)
    training_class = item.training_class
    if training_class.plan_file_id is None:
        raise NotFound(N_("这个培训班没有上传培训方案文件。"))
    stored = await uow.files.get(training_class.plan_file_id, base_id=training_class.base_id)
    if stored is None:
        raise NotFound()
    data = await blobs.get(stored.sha256)
    await audit.record(
        uow,
        clock,
        action="file.download",
        base_id=training_class.base_id,
        actor_user_id=reviewer.user_id,
        subject=f"#{stored.id} {stored.safe_name}",
        old_value=f"class #{training_class.id}",
    )
    return training_class, stored, data


async def approve(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int
) -> Decision:
    return await _decide(uow, clock, reviewer, class_id, Action.APPROVE, None)


async def return_class(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int, reason: str
) -> Decision:
    """退回 with a reason the base will read (required, at most 500 characters)."""
    return await _decide(uow, clock, reviewer, class_id, Action.RETURN, reason)


async def _decide(
    uow: UnitOfWork,
    clock: Clock,
    reviewer: ReviewerActor,
    class_id: int,
    action: Action,
    reason: str | None,
) -> Decision:
    """A draft is the base's own business (not found); a decided class refuses a second decision."""
    training_class = await uow.classes.get_for_update(class_id)
    if training_class is None or training_class.status is Status.DRAFT:
        raise NotFound()
    base = await _covered_base(uow, reviewer, training_class.base_id)
    now = clock.now()
    change = training_class.apply(action, now, reviewer.user_id, reason)
    training_class.updated_at = now
    await uow.classes.update(training_class)
    recipients = await _recorded(
        uow,
        clock,
        reviewer,
        training_class,
        training_class.base_id,
        f"#{training_class.id} {training_class.name}",
        Permission.CLASSES_MANAGE,
        _class_notice(training_class, action, change.reason),
    )
    return Decision(training_class, base.name, recipients)


@dataclass(frozen=True)
class Notice:
    """What the base's admins are told of a decision, as the outbox keeps it: a msgid, its
    parameters (msgids among them are translated for each reader), and a link to the item."""

    what: str
    """``class``, ``score`` or ``submission``: the audit action is ``<what>.<action>``, the
    outbox kind ``decision:<what>`` and its subject ``<what>:<item id>``."""
    item_id: int
    text_key: str
    params: dict[str, str]
    button_key: str
    link: str


CLASS_APPROVED = N_("审核结果：您基地的培训班“{name}”已通过主管部门审核。")
CLASS_RETURNED = N_(
    "审核结果：您基地的培训班“{name}”已被主管部门退回。\n退回原因：{reason}\n请修改后重新提交。"
)
SCORES_APPROVED = N_("审核结果：您基地培训班“{name}”的学员成绩已通过主管部门审核。")
SCORES_RETURNED = N_(
    "审核结果：您基地培训班“{name}”的学员成绩已被主管部门退回。\n"
    "退回原因：{reason}\n请修改后重新报送。"
)
ANNUAL_APPROVED = N_("审核结果：您基地{year}年的“{what}”已通过主管部门审核。")
ANNUAL_RETURNED = N_(
    "审核结果：您基地{year}年的“{what}”已被主管部门退回。\n退回原因：{reason}\n请修改后重新提交。"
)
MATERIAL_APPROVED = N_("审核结果：您基地{year}年的年度工作材料“{title}”已通过主管部门审核。")
MATERIAL_RETURNED = N_(
    "审核结果：您基地{year}年的年度工作材料“{title}”已被主管部门退回。\n"
    "退回原因：{reason}\n请修改后重新提交。"
)
SEE_CLASS = N_("查看培训班")
SEE_SCORES = N_("查看成绩")
SEE_SUBMISSION = N_("查看")


def _texts(action: Action, approved: str, returned: str) -> str:
    return approved if action is Action.APPROVE else returned


def _class_notice(
    training_class: TrainingClass, action: Action, reason: str | None, *, scores: bool = False
) -> Notice:
    """The notice of a decision on a class, or (``scores``) on its learners' scores."""
    class_id = training_class.id or 0
    if scores:
        what, texts, button = "score", (SCORES_APPROVED, SCORES_RETURNED), SEE_SCORES
        link = links.score_sheet(class_id)
    else:
        what, texts, button = "class", (CLASS_APPROVED, CLASS_RETURNED), SEE_CLASS
        link = links.training_class(class_id)
    return Notice(
        what,
        class_id,
        _texts(action, *texts),
        {"name": training_class.name, "reason": reason or ""},
        button,
        link,
    )


def _submission_notice(submission: AnnualSubmission, action: Action, reason: str | None) -> Notice:
    submission_id = submission.id or 0
    params = {"year": str(submission.year), "reason": reason or ""}
    if submission.kind is SubmissionKind.MATERIAL:
        text = _texts(action, MATERIAL_APPROVED, MATERIAL_RETURNED)
        params["title"] = submission.title or ""
        link = links.material(submission_id)
    else:
        text = _texts(action, ANNUAL_APPROVED, ANNUAL_RETURNED)
        params["what"] = submission.kind.label
        link = links.annual(submission.year, submission.kind)
    return Notice("submission", submission_id, text, params, SEE_SUBMISSION, link)


async def _recorded(
    uow: UnitOfWork,
    clock: Clock,
    reviewer: ReviewerActor,
    reviewed: Reviewable,
    base_id: int,
    subject: str,
    told: Permission,
    notice: Notice,
) -> tuple[int, ...]:
    """Every decision's tail: the base's audit entry, the notices in the outbox, the commit.

    The notices are written in the decision's own transaction: a crash after the commit loses
    none, and one before it leaves neither. Each decision is its own occasion (the step's place
    in the history), so a class returned twice is told twice.
    """
    change = reviewed.history[-1]
    await audit.record(
        uow,
        clock,
        action=f"{notice.what}.{change.action.value}",
        base_id=base_id,
        actor_user_id=reviewer.user_id,
        subject=subject,
        old_value=Status.SUBMITTED.value,
        new_value=change.reason or reviewed.status.value,
    )
    recipients = await holders(uow, base_id, told)
    now = clock.now()
    await uow.outbox.add_many(
        [
            OutboxMessage(
                user_id=user_id,
                subject=f"{notice.what}:{notice.item_id}",
                occasion=f"{change.action.value}:{len(reviewed.history)}",
                kind=f"decision:{notice.what}",
                text_key=notice.text_key,
                params=notice.params,
                button_key=notice.button_key,
                link=notice.link,
                not_before=now,
                created_at=now,
            )
            for user_id in recipients
        ]
    )
    return recipients


async def holders(uow: UnitOfWork, base_id: int, permission: Permission) -> tuple[int, ...]:
    """User ids of the base's admins who hold ``permission``, the super admin included."""
    total = await uow.memberships.count_for_base(base_id)
    memberships = await uow.memberships.list_for_base(base_id, 0, max(total, 1))
    roles = {r.id: r for r in await uow.roles.list_for_base(base_id)}
    return tuple(
        sorted(
            m.user_id
            for m in memberships
            if permission in m.effective_permissions(roles.get(m.role_id) if m.role_id else None)
        )
    )


async def _covered_base(uow: UnitOfWork, reviewer: ReviewerActor, base_id: int) -> Base:
    """The base of what is reviewed, when it lies in the reviewer's regions; else not found."""
    base = await uow.bases.get(base_id)
    if base is None or not reviewer.covers(base.region):
        raise NotFound()
    return base


def _item(training_class: TrainingClass, base: Base) -> ReviewItem:
    return ReviewItem(training_class, base.name, base.region)


# --- scores (成绩报送) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoresItem:
    """A class's submitted scores as the reviewer sees them."""

    training_class: TrainingClass
    sheet: ScoreSheet
    base_name: str
    base_region: str
    counts: ScoreCounts
    names: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoresDecision(_Decided):
    """An approval or a return of a class's scores, and the base's score managers to tell."""

    training_class: TrainingClass
    sheet: ScoreSheet
    base_name: str
    recipients: tuple[int, ...]

    @property
    def reviewed(self) -> Reviewable:
        return self.sheet


async def scores_queue(
    uow: UnitOfWork, reviewer: ReviewerActor, *, offset: int = 0, limit: int = 10
) -> tuple[list[ScoresItem], int]:
    """Submitted scores of the reviewer's regions, longest waiting first, with the total."""
    regions = None if reviewer.covers_all_regions else reviewer.regions
    sheets = await uow.scores.list_submitted_sheets_for_regions(regions, offset=offset, limit=limit)
    total = await uow.scores.count_submitted_sheets_for_regions(regions)
    # The query already kept the reviewer's regions; a page holds at most ``limit`` classes.
    found = [(sheet, await uow.classes.get(sheet.class_id)) for sheet in sheets]
    pairs = [(sheet, c) for sheet, c in found if c is not None]
    bases = {b.id: b for b in await uow.bases.get_many(sorted({c.base_id for _s, c in pairs}))}
    items = []
    for sheet, training_class in pairs:
        base = bases[training_class.base_id]
        counts = await uow.scores.counts_for_class(sheet.class_id)
        items.append(ScoresItem(training_class, sheet, base.name, base.region, counts))
    return items, total


async def get_scores_for_review(
    uow: UnitOfWork, reviewer: ReviewerActor, class_id: int
) -> ScoresItem:
    """Submitted scores of a class of the reviewer's regions; anything else is not found."""
    sheet = await uow.scores.get_sheet(class_id)
    training_class = await uow.classes.get(class_id)
    if sheet is None or training_class is None or sheet.status is not Status.SUBMITTED:
        raise NotFound()
    base = await _covered_base(uow, reviewer, training_class.base_id)
    counts = await uow.scores.counts_for_class(class_id)
    names = await history_names(uow, sheet)
    return ScoresItem(training_class, sheet, base.name, base.region, counts, names)


async def export_scores_for_review(
    uow: UnitOfWork,
    clock: Clock,
    reviewer: ReviewerActor,
    workbooks: ScoreWorkbooks,
    class_id: int,
) -> tuple[ClassHeading, bytes]:
    """The submitted scores as the base would export them; written to the base's audit trail."""
    item = await get_scores_for_review(uow, reviewer, class_id)
    made_for = await scores.heading_of(uow, item.training_class)
    rows = scores.export_rows(await uow.scores.list_for_class(class_id))
    await audit.record(
        uow,
        clock,
        action="score.export",
        base_id=item.training_class.base_id,
        actor_user_id=reviewer.user_id,
        subject=f"#{class_id}",
        new_value=str(len(rows)),
    )
    return made_for, await asyncio.to_thread(workbooks.export, made_for, rows)


async def approve_scores(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int
) -> ScoresDecision:
    return await _decide_scores(uow, clock, reviewer, class_id, Action.APPROVE, None)


async def return_scores(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, class_id: int, reason: str
) -> ScoresDecision:
    """Returned scores unlock: the base corrects them and submits again."""
    return await _decide_scores(uow, clock, reviewer, class_id, Action.RETURN, reason)


async def _decide_scores(
    uow: UnitOfWork,
    clock: Clock,
    reviewer: ReviewerActor,
    class_id: int,
    action: Action,
    reason: str | None,
) -> ScoresDecision:
    sheet = await uow.scores.get_sheet_for_update(class_id)
    training_class = await uow.classes.get(class_id)
    if sheet is None or training_class is None or sheet.status is Status.DRAFT:
        raise NotFound()
    base = await _covered_base(uow, reviewer, training_class.base_id)
    change = sheet.apply(action, clock.now(), reviewer.user_id, reason)
    await uow.scores.save_sheet(sheet)
    recipients = await _recorded(
        uow,
        clock,
        reviewer,
        sheet,
        training_class.base_id,
        f"#{class_id} {training_class.name}",
        Permission.SCORES_MANAGE,
        _class_notice(training_class, action, change.reason, scores=True),
    )
    return ScoresDecision(training_class, sheet, base.name, recipients)


# --- annual submissions (年度培训计划 · 年度工作总结 · 年度工作材料) ----------------------------


@dataclass(frozen=True)
class SubmissionItem:
    """A submitted plan, summary or material as the reviewer sees it, with its base."""

    submission: AnnualSubmission
    base_name: str
    base_region: str
    names: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmissionDecision(_Decided):
    """An approval or a return, and whom to tell: the base's admins who manage that kind."""

    submission: AnnualSubmission
    base_name: str
    recipients: tuple[int, ...]

    @property
    def reviewed(self) -> Reviewable:
        return self.submission


async def submissions_queue(
    uow: UnitOfWork, reviewer: ReviewerActor, *, offset: int = 0, limit: int = 10
) -> tuple[list[SubmissionItem], int]:
    """Submitted plans, summaries and materials of the reviewer's regions, oldest first."""
    regions = None if reviewer.covers_all_regions else reviewer.regions
    found = await uow.submissions.list_submitted_for_regions(regions, offset=offset, limit=limit)
    total = await uow.submissions.count_submitted_for_regions(regions)
    bases = {b.id: b for b in await uow.bases.get_many(sorted({s.base_id for s in found}))}
    return [
        SubmissionItem(s, bases[s.base_id].name, bases[s.base_id].region)
        for s in found
        if s.base_id in bases
    ], total


async def get_submission_for_review(
    uow: UnitOfWork, reviewer: ReviewerActor, submission_id: int
) -> SubmissionItem:
    """A submitted one of the reviewer's regions, with everyone's names; else not found."""
    submission = await uow.submissions.get(submission_id)
    if submission is None or submission.status is not Status.SUBMITTED:
        raise NotFound()
    base = await _covered_base(uow, reviewer, submission.base_id)
    return SubmissionItem(
        submission, base.name, base.region, await submissions.names_for(uow, submission)
    )


async def open_submission_file(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    reviewer: ReviewerActor,
    submission_id: int,
    entry_id: int,
) -> tuple[AnnualSubmission, StoredFile, bytes]:
    """A file of a submission under review (current or earlier), verified.

    The download is written to the base's audit trail; a damaged file raises
    ``StoredFileDamaged`` and the attempt is written there too.
    """
    item = await get_submission_for_review(uow, reviewer, submission_id)
    submission = item.submission
    entry = submission.file(entry_id)
    if entry is None:
        raise NotFound()
    data = await files.download(
        uow,
        blobs,
        clock,
        entry.stored,
        base_id=submission.base_id,
        actor_user_id=reviewer.user_id,
        action="submission.download",
        subject=submissions.subject_of(submission),
        detail=submissions.describe_entry(submission, entry),
    )
    return submission, entry.stored, data


async def approve_submission(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, submission_id: int
) -> SubmissionDecision:
    return await _decide_submission(uow, clock, reviewer, submission_id, Action.APPROVE, None)


async def return_submission(
    uow: UnitOfWork, clock: Clock, reviewer: ReviewerActor, submission_id: int, reason: str
) -> SubmissionDecision:
    """退回 with a reason the base will read (required, at most 500 characters)."""
    return await _decide_submission(uow, clock, reviewer, submission_id, Action.RETURN, reason)


async def _decide_submission(
    uow: UnitOfWork,
    clock: Clock,
    reviewer: ReviewerActor,
    submission_id: int,
    action: Action,
    reason: str | None,
) -> SubmissionDecision:
    """A draft is the base's own business (not found); a decided one refuses a second decision."""
    submission = await uow.submissions.get_for_update(submission_id)
    if submission is None or submission.status is Status.DRAFT:
        raise NotFound()
    base = await _covered_base(uow, reviewer, submission.base_id)
    now = clock.now()
    change = submission.apply(action, now, reviewer.user_id, reason)
    submission.updated_at = now
    submission = await uow.submissions.update(submission)
    recipients = await _recorded(
        uow,
        clock,
        reviewer,
        submission,
        submission.base_id,
        submissions.subject_of(submission),
        submission.kind.permission,
        _submission_notice(submission, action, change.reason),
    )
    return SubmissionDecision(submission, base.name, recipients)
