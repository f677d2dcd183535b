"""Training classes under review (培训班), and the plan file a reviewer may download."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain import links
from domain.clock import Clock
from domain.errors import NotFound
from domain.messages import N_
from domain.model import Base, ReviewerActor, StoredFile, TrainingClass
from domain.permissions import Permission
from domain.ports import BlobStore, UnitOfWork
from domain.services import audit
from domain.services.review.kind import About, Decided, Notice, ReviewKind, told_of
from domain.workflow import Reviewable, StatusChange

CLASS_APPROVED = N_("审核结果：{base}的培训班“{name}”已通过主管部门审核。")
CLASS_RETURNED = N_(
    "审核结果：{base}的培训班“{name}”已被主管部门退回。\n退回原因：{reason}\n请修改后重新提交。"
)
SEE_CLASS = N_("查看培训班")


@dataclass(frozen=True)
class ReviewItem:
    """A submitted class as the reviewer sees it: with its base and who did each step so far."""

    training_class: TrainingClass
    base_name: str
    base_region: str
    names: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision(Decided):
    """An approval or a return, and whom to tell: the base's admins who manage classes."""

    training_class: TrainingClass
    base_name: str
    recipients: tuple[int, ...]

    @property
    def reviewed(self) -> Reviewable:
        return self.training_class


def _about(training_class: TrainingClass) -> About:
    subject = f"#{training_class.id} {training_class.name}"
    return About(training_class, training_class.base_id, subject, Permission.CLASSES_MANAGE)


async def _item(
    _uow: UnitOfWork, training_class: TrainingClass, base: Base, names: Mapping[int, str]
) -> ReviewItem:
    return ReviewItem(training_class, base.name, base.region, names)


async def _store(uow: UnitOfWork, training_class: TrainingClass, at: datetime) -> TrainingClass:
    training_class.updated_at = at
    await uow.classes.update(training_class)
    return training_class


def _notice(training_class: TrainingClass, change: StatusChange) -> Notice:
    class_id = training_class.id or 0
    return Notice(
        class_id,
        told_of(change.action, CLASS_APPROVED, CLASS_RETURNED),
        {"name": training_class.name, "reason": change.reason or ""},
        SEE_CLASS,
        links.training_class(class_id),
    )


CLASSES: ReviewKind[TrainingClass, ReviewItem, Decision] = ReviewKind(
    key="class",
    what="class",
    rows=lambda uow: uow.classes,
    about=_about,
    item=_item,
    store=_store,
    notice=_notice,
    decision=Decision,
)
review_queue = CLASSES.queue
get_for_review = CLASSES.get
approve = CLASSES.approve
return_class = CLASSES.give_back


async def open_plan(
    uow: UnitOfWork, blobs: BlobStore, clock: Clock, reviewer: ReviewerActor, class_id: int
) -> tuple[TrainingClass, StoredFile, bytes]:
    """The plan file of a class under review; the download is written to the base's audit trail.

    The file is looked up under the class's own base, so a class id opens only its own plan.
    """
    training_class = (await get_for_review(uow, reviewer, class_id)).training_class
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
