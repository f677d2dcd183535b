"""年度培训计划 · 年度工作总结 · 年度工作材料: what a base files for a year, up to review.

A plan and a summary are one per base and year, made by their first upload. Each upload while
the submission is a draft or returned adds a version (1, 2, 3…); the newest is current and the
earlier ones stay downloadable. A material has a title, a kind and one or more current files,
each of which can be replaced or removed while it is editable (both kept in its history); a draft
material may be deleted.

Every function checks the kind's permission (``plans.manage``, ``summaries.manage``,
``materials.manage``) and that the submission is the actor's base's (another base's is not
found). An uploaded file is checked before anything touches the database, then recorded in the
same transaction as the change it belongs to: all or nothing. Uploads, downloads, replacements,
removals, deletions and state changes are written to the audit trail as ``submission.*``.

The bot asks before it downloads a document: ``prepare_upload`` / ``prepare_material_upload``
refuse early (permission, state, announced size) so a refused 20 MB file is never fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Final

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict, DomainError, Invalid, InvalidTransition, NotFound
from domain.messages import N_
from domain.model import (
    Actor,
    AnnualSubmission,
    MaterialKind,
    StoredFile,
    SubmissionFile,
    SubmissionKind,
)
from domain.permissions import Permission
from domain.ports import BlobStore, UnitOfWork
from domain.services import audit, files
from domain.services.sessions import ensure_own_base, require
from domain.uploads import FileKind, check_announced_size
from domain.workflow import Action, Status, StatusChange, allowed_actions

SUBMISSION_FILE_KINDS: Final = frozenset(
    {
        FileKind.PDF,
        FileKind.DOC,
        FileKind.DOCX,
        FileKind.XLS,
        FileKind.XLSX,
        FileKind.WPS,
        FileKind.ET,
        FileKind.PNG,
        FileKind.JPEG,
    }
)
"""Documents, workbooks and scans (a signed, stamped page photographed or scanned)."""

TITLE_MAX: Final = 100

CHINA_TIME: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
"""The province's calendar decides what "this year" is (UTC+8 all year, no daylight saving)."""

TITLE_EMPTY: Final = N_("请输入材料标题。")
KIND_UNKNOWN: Final = N_("材料类型请选择“学习指南”、“工作通知”或“其他”。")
NOTHING_FILED: Final = N_("这一年度还没有上传文件，请先上传。")
FILE_GONE: Final = N_("这个文件已被替换或移除，请刷新后再试。")
LAST_FILE: Final = N_(
    "每份材料至少要保留一个文件，不能移除最后一个。"
    "如需更换，请使用“替换”；如不再报送这份材料，请删除它（仅限草稿）。"
)

_MATERIAL_WORDS: Final[dict[str, MaterialKind]] = {
    "study_guide": MaterialKind.STUDY_GUIDE,
    "学习指南": MaterialKind.STUDY_GUIDE,
    "work_notice": MaterialKind.WORK_NOTICE,
    "工作通知": MaterialKind.WORK_NOTICE,
    "other": MaterialKind.OTHER,
    "其他": MaterialKind.OTHER,
    "其它": MaterialKind.OTHER,
}


class SubmissionNotEditable(InvalidTransition):
    """``current`` is the submission's status value; ``action`` is ``edit``."""

    default_key = N_(
        "当前状态为“{current}”，不能修改：只有草稿或已退回的报送可以上传、替换或修改。"
        "待审核的可以先撤回。"
    )


class SubmissionNotDeletable(InvalidTransition):
    """``current`` is the material's status value; ``action`` is ``delete``."""

    default_key = N_("当前状态为“{current}”，不能删除：只有草稿可以删除。")


class LastFile(DomainError):
    default_key = LAST_FILE


class NothingFiled(DomainError):
    """Submitting before any file is there (a state the services never leave behind)."""

    default_key = NOTHING_FILED


# --- what the chat shows -------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionView:
    """A plan or summary of a year (``submission`` None: nothing filed yet), or one material.

    ``names`` holds the name of everyone who appears in it: who uploaded, replaced or removed a
    file and who did each step of its history, reviewers included.
    """

    kind: SubmissionKind
    year: int
    submission: AnnualSubmission | None
    names: Mapping[int, str]

    @property
    def status(self) -> Status:
        return self.submission.status if self.submission else Status.DRAFT

    @property
    def current(self) -> SubmissionFile | None:
        """A plan's or summary's current version."""
        return self.submission.current_version if self.submission else None

    @property
    def current_files(self) -> list[SubmissionFile]:
        """A material's current files, in list order."""
        return self.submission.current_files if self.submission else []

    @property
    def versions(self) -> list[SubmissionFile]:
        """Every file it ever had, newest version first (for a material: replaced and removed)."""
        return self.submission.versions if self.submission else []

    @property
    def history(self) -> list[StatusChange]:
        return self.submission.history if self.submission else []

    @property
    def is_editable(self) -> bool:
        """Uploads, replacements and edits are open (always, before the first upload)."""
        return self.submission is None or self.submission.is_editable

    @property
    def can_submit(self) -> bool:
        return (
            self.submission is not None
            and bool(self.submission.current_files)
            and Action.SUBMIT in allowed_actions(self.submission.status)
        )

    @property
    def can_remove_files(self) -> bool:
        """A material's files can go while editable, but never its last one (:class:`LastFile`)."""
        return self.is_editable and len(self.current_files) > 1

    @property
    def can_withdraw(self) -> bool:
        return self.submission is not None and self.submission.status is Status.SUBMITTED

    @property
    def can_delete(self) -> bool:
        return (
            self.submission is not None
            and self.kind is SubmissionKind.MATERIAL
            and self.submission.status is Status.DRAFT
        )

    def name_of(self, user_id: int | None) -> str:
        return self.names.get(user_id, "") if user_id is not None else ""


# --- field rules ---------------------------------------------------------------------------------


def parse_title(raw: str) -> str:
    """A material's title: required, one line, at most 100 characters."""
    title = validators.parse_text(raw, field="title", max_length=TITLE_MAX, required=False)
    if not title:
        raise Invalid("title", TITLE_EMPTY)
    return title


def parse_material_kind(raw: str | MaterialKind) -> MaterialKind:
    """The kind as a button's value or as typed (学习指南 / 工作通知 / 其他)."""
    if isinstance(raw, MaterialKind):
        return raw
    kind = _MATERIAL_WORDS.get("".join(validators.normalise_input(raw[:32]).split()).lower())
    if kind is None:
        raise Invalid("material_kind", KIND_UNKNOWN)
    return kind


def this_year(clock: Clock) -> int:
    return clock.now().astimezone(CHINA_TIME).year


def parse_year(raw: int | str, clock: Clock) -> int:
    """From 2000 to next year (a plan is often filed for the coming year)."""
    return validators.parse_year(str(raw), today=clock.now().astimezone(CHINA_TIME).date())


def year_choices(current: int, years: Iterable[int]) -> list[int]:
    """The year picker: this year, the coming one (a plan is often filed ahead), then the
    earlier ``years`` (those the base filed in), latest first."""
    return [current, current + 1, *sorted({year for year in years if year < current}, reverse=True)]


async def submission_years(
    uow: UnitOfWork, clock: Clock, actor: Actor, kind: SubmissionKind
) -> list[int]:
    """This year, then the other years the base filed in, latest first: see :func:`year_choices`."""
    require(actor, kind.permission)
    current = this_year(clock)
    filed = await uow.submissions.years_for_base(actor.base_id, kind)
    return [current, *(year for year in filed if year != current)]


# --- plan and summary ----------------------------------------------------------------------------


async def overview(
    uow: UnitOfWork, actor: Actor, kind: SubmissionKind, year: int
) -> SubmissionView:
    """What is on file for the year: current version, versions, state and history, with names."""
    _once_a_year(kind)
    require(actor, kind.permission)
    submission = await uow.submissions.find(actor.base_id, year, kind)
    return await _view(uow, kind, year, submission)


async def prepare_upload(
    uow: UnitOfWork, actor: Actor, kind: SubmissionKind, year: int, *, size: int | None = None
) -> None:
    """Before the bot downloads a document: refuses what ``upload`` would refuse anyway.

    ``size`` is the size Telegram announces; larger than 20 MB is refused before download.
    """
    _once_a_year(kind)
    require(actor, kind.permission)
    submission = await uow.submissions.find(actor.base_id, year, kind)
    if submission is not None:
        _ensure_editable(submission)
    check_announced_size(size)


async def upload(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    kind: SubmissionKind,
    year: int,
    data: bytes,
    filename: str | None,
) -> SubmissionView:
    """A new version of the year's plan or summary (the first one creates it, as a draft).

    The file is checked (type by content, size, ZIP bombs) before the database is touched;
    refused, it raises ``Invalid("file", reason)`` and nothing is stored.
    """
    _once_a_year(kind)
    require(actor, kind.permission)
    year = parse_year(year, clock)
    stored = await _store(uow, blobs, clock, actor, data, filename)
    submission = await _find_or_create(uow, clock, actor, kind, year)
    _ensure_editable(submission)
    previous = submission.current_version
    entry = submission.add_version(stored, clock.now(), actor.user_id)
    submission = await uow.submissions.update(submission)
    await audit.record_by(
        uow,
        clock,
        actor,
        "submission.upload",
        subject_of(submission),
        old_value=describe_entry(submission, previous) if previous else None,
        new_value=describe_entry(submission, entry),
    )
    view = await _view(uow, kind, year, submission)
    return view


async def open_version(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    kind: SubmissionKind,
    year: int,
    version: int,
) -> tuple[StoredFile, bytes]:
    """Any version, current or earlier, verified; audited as a download.

    A file altered or lost on the server raises ``StoredFileDamaged`` (the attempt is audited).
    """
    _once_a_year(kind)
    require(actor, kind.permission)
    submission = await uow.submissions.find(actor.base_id, year, kind)
    if submission is None:
        raise NotFound(NOTHING_FILED)
    entry = submission.version(version)
    if entry is None:
        raise NotFound()
    return entry.stored, await _download(uow, blobs, clock, actor, submission, entry)


async def submit(
    uow: UnitOfWork, clock: Clock, actor: Actor, kind: SubmissionKind, year: int
) -> AnnualSubmission:
    """提交审核: a draft or a returned plan or summary goes to the reviewers."""
    submission = await _locked_annual(uow, actor, kind, year)
    return await _transition(uow, clock, actor, submission, Action.SUBMIT)


async def withdraw(
    uow: UnitOfWork, clock: Clock, actor: Actor, kind: SubmissionKind, year: int
) -> AnnualSubmission:
    """撤回: a submitted plan or summary not yet reviewed goes back to draft."""
    submission = await _locked_annual(uow, actor, kind, year)
    return await _transition(uow, clock, actor, submission, Action.WITHDRAW)


# --- materials -----------------------------------------------------------------------------------


async def list_materials(
    uow: UnitOfWork, actor: Actor, year: int, *, offset: int = 0, limit: int = 10
) -> tuple[list[AnnualSubmission], int]:
    """The year's materials, newest first, with the total for paging."""
    require(actor, Permission.MATERIALS_MANAGE)
    kind = SubmissionKind.MATERIAL
    items = await uow.submissions.list_for_base(
        actor.base_id, kind=kind, year=year, offset=offset, limit=limit
    )
    return items, await uow.submissions.count_for_base(actor.base_id, kind=kind, year=year)


async def prepare_material_upload(
    uow: UnitOfWork, actor: Actor, material_id: int | None = None, *, size: int | None = None
) -> None:
    """Before the bot downloads a material's file: permission, the material editable, the size.

    ``material_id`` None: a new material's first file.
    """
    require(actor, Permission.MATERIALS_MANAGE)
    if material_id is not None:
        _ensure_editable(await _own_material(uow, actor, material_id))
    check_announced_size(size)


async def add_material(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    year: int,
    material_kind: MaterialKind | str,
    title: str,
    data: bytes,
    filename: str | None,
) -> SubmissionView:
    """新增: a material with its first file, as a draft; further files go through ``add_file``."""
    require(actor, Permission.MATERIALS_MANAGE)
    year = parse_year(year, clock)
    clean_kind = parse_material_kind(material_kind)
    clean_title = parse_title(title)
    stored = await _store(uow, blobs, clock, actor, data, filename)
    now = clock.now()
    material = AnnualSubmission(
        base_id=actor.base_id,
        year=year,
        kind=SubmissionKind.MATERIAL,
        title=clean_title,
        material_kind=clean_kind,
        created_at=now,
        updated_at=now,
    )
    entry = material.add_file(stored, now, actor.user_id)
    material = await uow.submissions.add(material)
    await audit.record_by(
        uow,
        clock,
        actor,
        "submission.create",
        subject_of(material),
        new_value=f"{clean_kind.value}; {describe_entry(material, entry)}",
    )
    view = await _view(uow, SubmissionKind.MATERIAL, year, material)
    return view


async def get_material(uow: UnitOfWork, actor: Actor, material_id: int) -> SubmissionView:
    require(actor, Permission.MATERIALS_MANAGE)
    material = await _own_material(uow, actor, material_id)
    return await _view(uow, SubmissionKind.MATERIAL, material.year, material)


async def add_file(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    material_id: int,
    data: bytes,
    filename: str | None,
) -> SubmissionView:
    """A further file, at the end of the material's list."""
    require(actor, Permission.MATERIALS_MANAGE)
    stored = await _store(uow, blobs, clock, actor, data, filename)
    material = await _own_material(uow, actor, material_id, lock=True)
    _ensure_editable(material)
    entry = material.add_file(stored, clock.now(), actor.user_id)
    return await _save_material(
        uow, clock, actor, material, "submission.upload", None, describe_entry(material, entry)
    )


async def replace_file(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    material_id: int,
    entry_id: int,
    data: bytes,
    filename: str | None,
) -> SubmissionView:
    """The new file takes the old one's place; the old one stays in the history."""
    require(actor, Permission.MATERIALS_MANAGE)
    stored = await _store(uow, blobs, clock, actor, data, filename)
    material = await _own_material(uow, actor, material_id, lock=True)
    _ensure_editable(material)
    old = _current_entry(material, entry_id)
    entry = material.replace_file(old, stored, clock.now(), actor.user_id)
    return await _save_material(
        uow,
        clock,
        actor,
        material,
        "submission.replace",
        describe_entry(material, old),
        describe_entry(material, entry),
    )


async def remove_file(
    uow: UnitOfWork, clock: Clock, actor: Actor, material_id: int, entry_id: int
) -> SubmissionView:
    """The file is no longer current (kept in the history); the last one cannot go."""
    require(actor, Permission.MATERIALS_MANAGE)
    material = await _own_material(uow, actor, material_id, lock=True)
    _ensure_editable(material)
    entry = _current_entry(material, entry_id)
    if len(material.current_files) <= 1:
        raise LastFile()
    material.remove_file(entry, clock.now(), actor.user_id)
    return await _save_material(
        uow, clock, actor, material, "submission.remove_file", describe_entry(material, entry), None
    )


async def edit_material(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    material_id: int,
    *,
    title: str | None = None,
    material_kind: MaterialKind | str | None = None,
) -> SubmissionView:
    """编辑: the title, the kind or both; what is already there changes nothing."""
    require(actor, Permission.MATERIALS_MANAGE)
    new_title = parse_title(title) if title is not None else None
    new_kind = parse_material_kind(material_kind) if material_kind is not None else None
    material = await _own_material(uow, actor, material_id, lock=True)
    _ensure_editable(material)
    old = _describe_material(material)
    if new_title is not None:
        material.title = new_title
    if new_kind is not None:
        material.material_kind = new_kind
    new = _describe_material(material)
    if new == old:
        return await _view(uow, SubmissionKind.MATERIAL, material.year, material)
    material.updated_at = clock.now()
    return await _save_material(uow, clock, actor, material, "submission.edit", old, new)


async def delete_material(
    uow: UnitOfWork, clock: Clock, actor: Actor, material_id: int
) -> AnnualSubmission:
    """Drafts only: what a reviewer has seen stays on record. Returns the deleted material."""
    require(actor, Permission.MATERIALS_MANAGE)
    material = await _own_material(uow, actor, material_id, lock=True)
    if material.status is not Status.DRAFT:
        raise SubmissionNotDeletable(material.status.value, "delete")
    await uow.submissions.delete(material_id)
    await audit.record_by(
        uow,
        clock,
        actor,
        "submission.delete",
        subject_of(material),
        old_value="; ".join(describe_entry(material, f) for f in material.current_files),
    )
    return material


async def open_material_file(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    material_id: int,
    entry_id: int,
) -> tuple[StoredFile, bytes]:
    """Any file of the material, current or in its history, verified; audited as a download."""
    require(actor, Permission.MATERIALS_MANAGE)
    material = await _own_material(uow, actor, material_id)
    entry = material.file(entry_id)
    if entry is None:
        raise NotFound()
    return entry.stored, await _download(uow, blobs, clock, actor, material, entry)


async def submit_material(
    uow: UnitOfWork, clock: Clock, actor: Actor, material_id: int
) -> AnnualSubmission:
    require(actor, Permission.MATERIALS_MANAGE)
    material = await _own_material(uow, actor, material_id, lock=True)
    return await _transition(uow, clock, actor, material, Action.SUBMIT)


async def withdraw_material(
    uow: UnitOfWork, clock: Clock, actor: Actor, material_id: int
) -> AnnualSubmission:
    require(actor, Permission.MATERIALS_MANAGE)
    material = await _own_material(uow, actor, material_id, lock=True)
    return await _transition(uow, clock, actor, material, Action.WITHDRAW)


# --- shared --------------------------------------------------------------------------------------


def subject_of(submission: AnnualSubmission) -> str:
    """How the audit trail names a submission: kind and year, and a material's id and title."""
    if submission.kind is SubmissionKind.MATERIAL:
        return f"{submission.kind.value} {submission.year} #{submission.id} {submission.title}"
    return f"{submission.kind.value} {submission.year}"


async def names_for(uow: UnitOfWork, submission: AnnualSubmission | None) -> dict[int, str]:
    """Everyone who appears in a submission, in one query."""
    if submission is None:
        return {}
    return await _names(uow, _people(submission))


def _people(submission: AnnualSubmission) -> Iterable[int | None]:
    yield from (change.by_user_id for change in submission.history)
    for entry in submission.files:
        yield from (entry.added_by, entry.ended_by, entry.stored.uploaded_by)


async def _names(uow: UnitOfWork, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return {}
    return {u.id: u.name for u in await uow.users.get_many(ids) if u.id is not None}


def _once_a_year(kind: SubmissionKind) -> None:
    if not kind.once_a_year:
        raise ValueError("materials are many a year: use the material functions")


def _ensure_editable(submission: AnnualSubmission) -> None:
    if not submission.is_editable:
        raise SubmissionNotEditable(submission.status.value, "edit")


async def _view(
    uow: UnitOfWork, kind: SubmissionKind, year: int, submission: AnnualSubmission | None
) -> SubmissionView:
    return SubmissionView(kind, year, submission, await names_for(uow, submission))


async def _store(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    data: bytes,
    filename: str | None,
) -> StoredFile:
    """Checked and recorded in this unit of work, committed with the change it belongs to."""
    return await files.store_upload(
        uow, blobs, clock, actor, data, filename, allowed=SUBMISSION_FILE_KINDS
    )


async def _find_or_create(
    uow: UnitOfWork, clock: Clock, actor: Actor, kind: SubmissionKind, year: int
) -> AnnualSubmission:
    """The year's plan or summary, locked; made as an empty draft by the first upload.

    Two first uploads at once: the unique index refuses the second insert, which then takes the
    one just made by the other.
    """
    found = await uow.submissions.find(actor.base_id, year, kind, lock=True)
    if found is not None:
        return found
    now = clock.now()
    try:
        return await uow.submissions.add(
            AnnualSubmission(
                base_id=actor.base_id, year=year, kind=kind, created_at=now, updated_at=now
            )
        )
    except Conflict:
        found = await uow.submissions.find(actor.base_id, year, kind, lock=True)
        if found is None:
            raise
        return found


async def _locked_annual(
    uow: UnitOfWork, actor: Actor, kind: SubmissionKind, year: int
) -> AnnualSubmission:
    _once_a_year(kind)
    require(actor, kind.permission)
    submission = await uow.submissions.find(actor.base_id, year, kind, lock=True)
    if submission is None:
        raise NotFound(NOTHING_FILED)
    return submission


async def _own_material(
    uow: UnitOfWork, actor: Actor, material_id: int, *, lock: bool = False
) -> AnnualSubmission:
    """A material of the actor's base; another base's, or a plan's id, is not found."""
    repo = uow.submissions
    material = await (repo.get_for_update(material_id) if lock else repo.get(material_id))
    if material is None or material.kind is not SubmissionKind.MATERIAL:
        raise NotFound()
    ensure_own_base(actor, material.base_id)
    return material


def _current_entry(material: AnnualSubmission, entry_id: int) -> SubmissionFile:
    entry = material.file(entry_id)
    if entry is None:
        raise NotFound()
    if not entry.is_current:
        raise NotFound(FILE_GONE)
    return entry


async def _save_material(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    material: AnnualSubmission,
    action: str,
    old_value: str | None,
    new_value: str | None,
) -> SubmissionView:
    material = await uow.submissions.update(material)
    await audit.record_by(
        uow, clock, actor, action, subject_of(material), old_value=old_value, new_value=new_value
    )
    view = await _view(uow, SubmissionKind.MATERIAL, material.year, material)
    return view


async def _transition(
    uow: UnitOfWork, clock: Clock, actor: Actor, submission: AnnualSubmission, action: Action
) -> AnnualSubmission:
    if action is Action.SUBMIT and not submission.current_files:
        raise NothingFiled()
    old = submission.status
    now = clock.now()
    submission.apply(action, now, actor.user_id)
    submission.updated_at = now
    submission = await uow.submissions.update(submission)
    await audit.record_by(
        uow,
        clock,
        actor,
        f"submission.{action.value}",
        subject_of(submission),
        old_value=old.value,
        new_value=submission.status.value,
    )
    return submission


async def _download(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    submission: AnnualSubmission,
    entry: SubmissionFile,
) -> bytes:
    return await files.download(
        uow,
        blobs,
        clock,
        entry.stored,
        base_id=actor.base_id,
        actor_user_id=actor.user_id,
        action="submission.download",
        subject=subject_of(submission),
        detail=describe_entry(submission, entry),
    )


def describe_entry(submission: AnnualSubmission, entry: SubmissionFile) -> str:
    """How the audit trail names a file: ``v3 #12 计划.pdf`` (a plan's or summary's version) or
    ``2 #12 通知.pdf`` (a material's place in its list), the stored file's id and safe name."""
    number = f"v{entry.number}" if submission.kind.once_a_year else str(entry.number)
    return f"{number} #{entry.stored.id} {entry.stored.safe_name}"


def _describe_material(material: AnnualSubmission) -> str:
    kind = material.material_kind.value if material.material_kind else ""
    return f"title={material.title}; kind={kind}"
