"""Learners' scores under review (成绩报送): a class's score sheet, and its export."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain import links
from domain.clock import Clock
from domain.messages import N_
from domain.model import Base, ReviewerActor, ScoreCounts, ScoreSheet, TrainingClass
from domain.permissions import Permission
from domain.ports import UnitOfWork
from domain.scoresheet import ClassHeading, ScoreWorkbooks
from domain.services import audit, scores
from domain.services.review.kind import About, Decided, Notice, Regions, ReviewKind, told_of
from domain.workflow import Reviewable, StatusChange

SCORES_APPROVED = N_("审核结果：{base}培训班“{name}”的学员成绩已通过主管部门审核。")
SCORES_RETURNED = N_(
    "审核结果：{base}培训班“{name}”的学员成绩已被主管部门退回。\n"
    "退回原因：{reason}\n请修改后重新报送。"
)
SEE_SCORES = N_("查看成绩")


@dataclass(frozen=True)
class ClassScores:
    """A class's score sheet, which is what is reviewed, with the class that names it."""

    sheet: ScoreSheet
    training_class: TrainingClass


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
class ScoresDecision(Decided):
    """An approval or a return of a class's scores, and the base's score managers to tell."""

    training_class: TrainingClass
    sheet: ScoreSheet
    base_name: str
    recipients: tuple[int, ...]

    @property
    def reviewed(self) -> Reviewable:
        return self.sheet


@dataclass(frozen=True)
class ScoreSheets:
    """Score sheets found as the review flow finds things (``kind.Submitted``): with their class.

    Ids are the class's. The queue's query already kept the reviewer's regions; a page holds at
    most ``limit`` classes, each read on its own.
    """

    uow: UnitOfWork

    async def get(self, class_id: int, /) -> ClassScores | None:
        return await self._with_class(await self.uow.scores.get_sheet(class_id), class_id)

    async def get_for_update(self, class_id: int, /) -> ClassScores | None:
        sheet = await self.uow.scores.get_sheet_for_update(class_id)
        return await self._with_class(sheet, class_id)

    async def list_submitted_for_regions(
        self, regions: Regions, *, offset: int = 0, limit: int = 10
    ) -> list[ClassScores]:
        sheets = await self.uow.scores.list_submitted_sheets_for_regions(
            regions, offset=offset, limit=limit
        )
        found = [await self._with_class(sheet, sheet.class_id) for sheet in sheets]
        return [one for one in found if one is not None]

    async def count_submitted_for_regions(self, regions: Regions) -> int:
        return await self.uow.scores.count_submitted_sheets_for_regions(regions)

    async def _with_class(self, sheet: ScoreSheet | None, class_id: int) -> ClassScores | None:
        training_class = await self.uow.classes.get(class_id)
        if sheet is None or training_class is None:
            return None
        return ClassScores(sheet, training_class)


def _about(found: ClassScores) -> About:
    subject = f"#{found.sheet.class_id} {found.training_class.name}"
    return About(found.sheet, found.training_class.base_id, subject, Permission.SCORES_MANAGE)


async def _item(
    uow: UnitOfWork, found: ClassScores, base: Base, names: Mapping[int, str]
) -> ScoresItem:
    counts = await uow.scores.counts_for_class(found.sheet.class_id)
    return ScoresItem(found.training_class, found.sheet, base.name, base.region, counts, names)


async def _store(uow: UnitOfWork, found: ClassScores, _at: datetime) -> ClassScores:
    await uow.scores.save_sheet(found.sheet)
    return found


def _notice(found: ClassScores, change: StatusChange) -> Notice:
    class_id = found.sheet.class_id
    return Notice(
        class_id,
        told_of(change.action, SCORES_APPROVED, SCORES_RETURNED),
        {"name": found.training_class.name, "reason": change.reason or ""},
        SEE_SCORES,
        links.score_sheet(class_id),
    )


def _decision(found: ClassScores, base_name: str, recipients: tuple[int, ...]) -> ScoresDecision:
    return ScoresDecision(found.training_class, found.sheet, base_name, recipients)


SCORES: ReviewKind[ClassScores, ScoresItem, ScoresDecision] = ReviewKind(
    key="scores",
    what="score",
    rows=ScoreSheets,
    about=_about,
    item=_item,
    store=_store,
    notice=_notice,
    decision=_decision,
)
"""Returned scores unlock: the base corrects them and submits again. Ids are the class's."""
scores_queue = SCORES.queue
get_scores_for_review = SCORES.get
approve_scores = SCORES.approve
return_scores = SCORES.give_back


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
