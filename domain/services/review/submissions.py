"""Annual submissions under review (年度培训计划 · 年度工作总结 · 年度工作材料), and their files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain import links
from domain.clock import Clock
from domain.errors import NotFound
from domain.messages import N_
from domain.model import AnnualSubmission, Base, ReviewerActor, StoredFile, SubmissionKind
from domain.ports import BlobStore, UnitOfWork
from domain.services import files, submissions
from domain.services.review.kind import About, Decided, Notice, ReviewKind, told_of
from domain.workflow import Reviewable, StatusChange

ANNUAL_APPROVED = N_("审核结果：{base}{year}年的“{what}”已通过主管部门审核。")
ANNUAL_RETURNED = N_(
    "审核结果：{base}{year}年的“{what}”已被主管部门退回。\n退回原因：{reason}\n请修改后重新提交。"
)
MATERIAL_APPROVED = N_("审核结果：{base}{year}年的年度工作材料“{title}”已通过主管部门审核。")
MATERIAL_RETURNED = N_(
    "审核结果：{base}{year}年的年度工作材料“{title}”已被主管部门退回。\n"
    "退回原因：{reason}\n请修改后重新提交。"
)
SEE_SUBMISSION = N_("查看")


@dataclass(frozen=True)
class SubmissionItem:
    """A submitted plan, summary or material as the reviewer sees it, with its base."""

    submission: AnnualSubmission
    base_name: str
    base_region: str
    names: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmissionDecision(Decided):
    """An approval or a return, and whom to tell: the base's admins who manage that kind."""

    submission: AnnualSubmission
    base_name: str
    recipients: tuple[int, ...]

    @property
    def reviewed(self) -> Reviewable:
        return self.submission


def _about(submission: AnnualSubmission) -> About:
    subject = submissions.subject_of(submission)
    return About(submission, submission.base_id, subject, submission.kind.permission)


async def _people(uow: UnitOfWork, submission: AnnualSubmission) -> Mapping[int, str]:
    return await submissions.names_for(uow, submission)


async def _item(
    _uow: UnitOfWork, submission: AnnualSubmission, base: Base, names: Mapping[int, str]
) -> SubmissionItem:
    return SubmissionItem(submission, base.name, base.region, names)


async def _store(uow: UnitOfWork, submission: AnnualSubmission, at: datetime) -> AnnualSubmission:
    submission.updated_at = at
    return await uow.submissions.update(submission)


def _notice(submission: AnnualSubmission, change: StatusChange) -> Notice:
    submission_id = submission.id or 0
    params = {"year": str(submission.year), "reason": change.reason or ""}
    if submission.kind is SubmissionKind.MATERIAL:
        text = told_of(change.action, MATERIAL_APPROVED, MATERIAL_RETURNED)
        params["title"] = submission.title or ""
        link = links.material(submission_id)
    else:
        text = told_of(change.action, ANNUAL_APPROVED, ANNUAL_RETURNED)
        params["what"] = submission.kind.label
        link = links.annual(submission.year, submission.kind)
    return Notice(submission_id, text, params, SEE_SUBMISSION, link)


SUBMISSIONS: ReviewKind[AnnualSubmission, SubmissionItem, SubmissionDecision] = ReviewKind(
    key="submission",
    what="submission",
    rows=lambda uow: uow.submissions,
    about=_about,
    item=_item,
    store=_store,
    notice=_notice,
    decision=SubmissionDecision,
    people=_people,
)
submissions_queue = SUBMISSIONS.queue
get_submission_for_review = SUBMISSIONS.get
approve_submission = SUBMISSIONS.approve
return_submission = SUBMISSIONS.give_back


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
    submission = (await get_submission_for_review(uow, reviewer, submission_id)).submission
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
