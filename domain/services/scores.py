"""学员成绩管理: the scores of the base's approved classes, from a file or one learner at a time.

Every function checks ``scores.manage``, that the class belongs to the actor's base and is
approved; every change also checks that the class's scores are not locked by a submission. An
import is two steps: ``check_import`` reads and checks the whole file and stores nothing;
``confirm_import`` stores the checked learners in one transaction, or nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict, Invalid, InvalidTransition, NotFound
from domain.messages import N_
from domain.model import Actor, ScoreCounts, ScoreRecord, ScoreSheet, TrainingClass
from domain.permissions import Permission
from domain.ports import UnitOfWork
from domain.scores import (
    ImportCheck,
    ImportPreview,
    LearnerScore,
    check_editable,
    check_learner,
    check_one,
)
from domain.scoresheet import (
    MARKER_PREFIX,
    ClassHeading,
    Column,
    ExportRow,
    RawCell,
    ScoreWorkbooks,
)
from domain.services import audit
from domain.services.classes import history_names
from domain.services.sessions import ensure_own_base, require
from domain.workflow import Action, Status

FILE: str = "file"
WRONG_CLASS_TEMPLATE = N_(
    "这是另一个培训班的成绩模板，不能导入到“{name}”。请在本培训班下载模板后填写。"
)
NOT_APPROVED = N_("只有审核通过的培训班才能登记成绩。这个培训班目前是“{status}”。")
LOCKED = N_(
    "本班成绩已报送，目前状态为“{current}”，不能修改。如需修改，请在审核前撤回，或等待退回。"
)
NOTHING_TO_SUBMIT = N_("本班还没有登记任何学员成绩，不能报送。")
NOTHING_TO_STORE = N_("文件中没有可以导入的学员记录。")
CLASHED = N_("刚刚有人登记了相同身份证号码或证书编号的学员，请刷新名单后再试。")

T = TypeVar("T")


class ScoresLocked(InvalidTransition):
    """``current`` is the sheet's status value; the bot names it in the reader's words."""

    default_key = LOCKED

    def __init__(self, current: str) -> None:
        super().__init__(current, "edit")


@dataclass(frozen=True)
class SheetView:
    """The score sheet's header: the class, its review state, counts and who acted when."""

    training_class: TrainingClass
    sheet: ScoreSheet
    counts: ScoreCounts
    names: Mapping[int, str]


@dataclass
class ImportProgress:
    """Written by the checking thread, read by whoever shows progress; ints only, no locking."""

    checked: int = 0
    total: int | None = None


# --- looking -----------------------------------------------------------------------------------


async def scoring_classes(
    uow: UnitOfWork, actor: Actor, *, year: int | None = None, offset: int = 0, limit: int = 10
) -> tuple[list[TrainingClass], int]:
    """The base's approved classes, newest first: the only ones that take scores."""
    require(actor, Permission.SCORES_MANAGE)
    items = await uow.classes.list_for_base(
        actor.base_id, year=year, status=Status.APPROVED, offset=offset, limit=limit
    )
    total = await uow.classes.count_for_base(actor.base_id, year=year, status=Status.APPROVED)
    return items, total


async def open_sheet(uow: UnitOfWork, actor: Actor, class_id: int) -> SheetView:
    training_class = await scoring_class(uow, actor, class_id)
    sheet = await sheet_of(uow, class_id)
    counts = await uow.scores.counts_for_class(class_id)
    return SheetView(training_class, sheet, counts, await history_names(uow, sheet))


async def scoring_class(uow: UnitOfWork, actor: Actor, class_id: int) -> TrainingClass:
    """The class, when it is the actor's base's and approved; another base's is not found."""
    require(actor, Permission.SCORES_MANAGE)
    training_class = await uow.classes.get(class_id)
    if training_class is None:
        raise NotFound()
    ensure_own_base(actor, training_class.base_id)
    if training_class.status is not Status.APPROVED:
        raise Invalid("class", NOT_APPROVED, status=training_class.status.label)
    return training_class


async def editable_class(uow: UnitOfWork, actor: Actor, class_id: int) -> TrainingClass:
    """The class, when its scores may change now: asked before a step that will change them."""
    training_class = await scoring_class(uow, actor, class_id)
    _ensure_editable(await sheet_of(uow, class_id))
    return training_class


async def list_learners(
    uow: UnitOfWork, actor: Actor, class_id: int, *, offset: int = 0, limit: int = 10
) -> tuple[list[ScoreRecord], int]:
    await scoring_class(uow, actor, class_id)
    items = await uow.scores.page_for_class(class_id, offset=offset, limit=limit)
    return items, (await uow.scores.counts_for_class(class_id)).learners


async def get_learner(uow: UnitOfWork, actor: Actor, class_id: int, record_id: int) -> ScoreRecord:
    await scoring_class(uow, actor, class_id)
    record = await uow.scores.get(record_id, class_id=class_id)
    if record is None:
        raise NotFound()
    return record


async def find_learner(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, id_number: str
) -> ScoreRecord | None:
    """By ID-card number within the class; the number is checked first (a typo is explained)."""
    await scoring_class(uow, actor, class_id)
    clean = validators.parse_id_number(id_number, clock.now().date())
    return await uow.scores.find(class_id, clean)


# --- files -------------------------------------------------------------------------------------


async def heading(uow: UnitOfWork, actor: Actor, class_id: int) -> ClassHeading:
    return await heading_of(uow, await scoring_class(uow, actor, class_id))


async def heading_of(uow: UnitOfWork, training_class: TrainingClass) -> ClassHeading:
    base = await uow.bases.get(training_class.base_id)
    return ClassHeading(
        class_id=training_class.id or 0,
        class_name=training_class.name,
        base_name=base.name if base else "",
        start_date=training_class.start_date,
        end_date=training_class.end_date,
        hours=training_class.hours,
    )


async def template(
    uow: UnitOfWork, actor: Actor, workbooks: ScoreWorkbooks, class_id: int
) -> tuple[ClassHeading, bytes]:
    made_for = await heading(uow, actor, class_id)
    return made_for, await asyncio.to_thread(workbooks.template, made_for)


@dataclass(frozen=True)
class ImportTarget:
    """What checking a file needs from the database, read before the (long) check begins.

    The check itself then runs with no transaction open, so a 100,000-row file never holds a
    lock while it is read.
    """

    training_class: TrainingClass
    heading: ClassHeading
    existing: list[ScoreRecord]


async def prepare_import(uow: UnitOfWork, actor: Actor, class_id: int) -> ImportTarget:
    """Refuses early while the scores are locked; loads the class's current records."""
    training_class = await editable_class(uow, actor, class_id)
    return ImportTarget(
        training_class,
        await heading_of(uow, training_class),
        await uow.scores.list_for_class(class_id),
    )


async def check_file(
    target: ImportTarget,
    workbooks: ScoreWorkbooks,
    today: date,
    data: bytes,
    filename: str | None,
    progress: ImportProgress | None = None,
) -> ImportPreview:
    """Reads the whole file in a worker thread and says what importing it would change.

    Refuses a file made from another class's template; stores nothing.
    """
    progress = progress or ImportProgress()
    training_class = target.training_class

    def run() -> ImportPreview:
        opened = workbooks.open(data, filename)
        expected = f"{MARKER_PREFIX}{training_class.id}"
        if opened.marker is not None and opened.marker != expected:
            raise Invalid(FILE, WRONG_CLASS_TEMPLATE, name=training_class.name)
        progress.total = opened.estimated_rows
        checking = ImportCheck(target.existing, training_class.hours, today)
        for row in opened.rows():
            checking.add(row)
            progress.checked = checking.rows_read
        return checking.finish()

    return await asyncio.to_thread(run)


async def annotate(
    workbooks: ScoreWorkbooks,
    made_for: ClassHeading,
    data: bytes,
    filename: str | None,
    explained: Mapping[int, Mapping[Column, str]],
) -> bytes:
    """The file back with each wrong cell marked; ``explained`` holds the reasons as read."""
    return await asyncio.to_thread(workbooks.annotated, data, filename, explained, made_for)


async def confirm_import(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, preview: ImportPreview
) -> int:
    """Stores every good learner of the preview in this one transaction; returns how many."""
    await scoring_class(uow, actor, class_id)
    _ensure_editable(await sheet_of(uow, class_id, lock=True))
    learners = preview.to_store
    if not learners:
        raise Invalid(FILE, NOTHING_TO_STORE)
    # A file's worth of records is a second of CPU at 100,000 rows: built in a worker thread so
    # the event loop keeps answering other admins (the repository encrypts off the loop too).
    records = await asyncio.to_thread(lambda: [learner.to_record(class_id) for learner in learners])
    await _guarded(
        uow.scores.replace_learners(
            class_id,
            records,
            replacing=[old.id for old, _new in preview.changed if old.id is not None],
        )
    )
    await audit.record_by(
        uow,
        clock,
        actor,
        "score.import",
        f"#{class_id}",
        new_value=f"new={len(preview.new)} changed={len(preview.changed)}",
    )
    return len(learners)


async def export(
    uow: UnitOfWork, clock: Clock, actor: Actor, workbooks: ScoreWorkbooks, class_id: int
) -> tuple[ClassHeading, bytes]:
    """Every learner with the full ID-card number: the export is audited for that reason."""
    made_for = await heading(uow, actor, class_id)
    rows = export_rows(await uow.scores.list_for_class(class_id))
    await audit.record_by(uow, clock, actor, "score.export", f"#{class_id}", str(len(rows)))
    return made_for, await asyncio.to_thread(workbooks.export, made_for, rows)


def export_rows(records: list[ScoreRecord]) -> list[ExportRow]:
    return [
        ExportRow(
            name=r.learner_name,
            id_number=r.id_number,
            score=r.score,
            passed=r.passed,
            hours=r.hours,
            certificate_no=r.certificate_no,
            remark=r.remark,
        )
        for r in records
    ]


# --- one learner -------------------------------------------------------------------------------


def learner_cells(values: Mapping[Column, str]) -> dict[Column, RawCell]:
    """What was typed in the chat, as cells of a row: one set of rules for both ways in."""
    return {column: RawCell(text) for column, text in values.items() if text.strip()}


async def add_learner(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, values: Mapping[Column, str]
) -> ScoreRecord:
    training_class = await scoring_class(uow, actor, class_id)
    _ensure_editable(await sheet_of(uow, class_id, lock=True))
    cells = learner_cells(values)
    existing = await _possible_clashes(uow, class_id, cells, training_class, clock.now().date())
    learner = check_one(cells, existing, training_class.hours, clock.now().date())
    added = await _guarded(uow.scores.add(learner.to_record(class_id)))
    await audit.record_by(
        uow,
        clock,
        actor,
        "score.add",
        f"#{class_id} {learner.name}",
        validators.mask_id_number(learner.id_number),
    )
    return added


async def edit_learner(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    class_id: int,
    record_id: int,
    values: Mapping[Column, str],
) -> ScoreRecord:
    """``values`` replace the record's fields that were typed; the others keep their value."""
    check_editable(values)
    training_class = await scoring_class(uow, actor, class_id)
    _ensure_editable(await sheet_of(uow, class_id, lock=True))
    record = await uow.scores.get(record_id, class_id=class_id)
    if record is None:
        raise NotFound()
    today = clock.now().date()
    merged = {**record_values(record), **values}
    if Column.HOURS not in values and values.keys() & {Column.SCORE, Column.PASSED}:
        # A new verdict gets the hours that go with it; the same verdict keeps the hours given.
        trial = check_learner(
            learner_cells({**merged, Column.HOURS: ""}), training_class.hours, today
        )
        if isinstance(trial, LearnerScore) and trial.passed != record.passed:
            merged[Column.HOURS] = ""
    cells = learner_cells(merged)
    existing = await _possible_clashes(uow, class_id, cells, training_class, today)
    learner = check_one(
        cells,
        existing,
        training_class.hours,
        today,
        replacing_id_number=record.id_number,
    )
    updated = learner.to_record(class_id, record.id)
    await _guarded(uow.scores.update(updated))
    await audit.record_by(
        uow,
        clock,
        actor,
        "score.update",
        f"#{class_id} {learner.name}",
        old_value=_summary(LearnerScore.of(record)),
        new_value=_summary(learner),
    )
    return updated


async def delete_learner(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, record_id: int
) -> ScoreRecord:
    await scoring_class(uow, actor, class_id)
    _ensure_editable(await sheet_of(uow, class_id, lock=True))
    record = await uow.scores.get(record_id, class_id=class_id)
    if record is None:
        raise NotFound()
    await uow.scores.delete(record_id, class_id=class_id)
    await audit.record_by(
        uow,
        clock,
        actor,
        "score.delete",
        f"#{class_id} {record.learner_name}",
        validators.mask_id_number(record.id_number),
    )
    return record


def record_values(record: ScoreRecord) -> dict[Column, str]:
    """A record as the texts a person would type, so an edit re-checks the whole learner."""
    passed = "" if record.passed is None else ("合格" if record.passed else "不合格")
    return {
        Column.NAME: record.learner_name,
        Column.ID_NUMBER: record.id_number,
        Column.SCORE: "" if record.score is None else str(record.score),
        Column.PASSED: passed if record.score is None else "",
        Column.HOURS: str(record.hours),
        Column.CERTIFICATE_NO: record.certificate_no or "",
        Column.REMARK: record.remark or "",
    }


def _summary(learner: LearnerScore) -> str:
    result = "合格" if learner.passed else "不合格"
    score = "" if learner.score is None else f"{learner.score} "
    return f"{score}{result} {learner.hours}"


# --- submission ----------------------------------------------------------------------------------


async def submit_scores(uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int) -> ScoreSheet:
    """成绩报送: locks the scores and puts them in the reviewers' queue."""
    await scoring_class(uow, actor, class_id)
    if (await uow.scores.counts_for_class(class_id)).learners == 0:
        raise Invalid("scores", NOTHING_TO_SUBMIT)
    return await _step(uow, clock, actor, class_id, Action.SUBMIT)


async def withdraw_scores(uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int) -> ScoreSheet:
    """Back to editable before a reviewer decided."""
    await scoring_class(uow, actor, class_id)
    return await _step(uow, clock, actor, class_id, Action.WITHDRAW)


async def _step(
    uow: UnitOfWork, clock: Clock, actor: Actor, class_id: int, action: Action
) -> ScoreSheet:
    sheet = await sheet_of(uow, class_id, lock=True)
    before = sheet.status
    sheet.apply(action, clock.now(), actor.user_id)
    await uow.scores.save_sheet(sheet)
    await audit.record_by(
        uow, clock, actor, f"score.{action.value}", f"#{class_id}", before.value, sheet.status.value
    )
    return sheet


# --- helpers -----------------------------------------------------------------------------------


async def sheet_of(uow: UnitOfWork, class_id: int, *, lock: bool = False) -> ScoreSheet:
    """The stored sheet, or the draft every class's scores start as."""
    repo = uow.scores
    stored = await (repo.get_sheet_for_update(class_id) if lock else repo.get_sheet(class_id))
    return stored or ScoreSheet(class_id=class_id)


async def _possible_clashes(
    uow: UnitOfWork,
    class_id: int,
    cells: Mapping[Column, RawCell],
    training_class: TrainingClass,
    today: date,
) -> list[ScoreRecord]:
    """The only records one learner can clash with: the same person, the same certificate.

    Two look-ups by index instead of reading (and decrypting) every learner of the class.
    """
    checked = check_learner(cells, training_class.hours, today)
    if not isinstance(checked, LearnerScore):
        return []  # ``check_one`` reports the wrong cell first
    found = [await uow.scores.find(class_id, checked.id_number)]
    if checked.certificate_no:
        found.append(await uow.scores.find_by_certificate(class_id, checked.certificate_no))
    return [record for record in found if record is not None]


def _ensure_editable(sheet: ScoreSheet) -> None:
    if sheet.is_locked:
        raise ScoresLocked(sheet.status.value)


async def _guarded(write: Awaitable[T]) -> T:
    """A learner or certificate added by someone else since the check: the database refuses."""
    try:
        return await write
    except Conflict as clash:
        raise Invalid(Column.ID_NUMBER.value, CLASHED) from clash
