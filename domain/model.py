"""Entities and value objects of ``shared/DOMAIN.md``.

Plain dataclasses: storage maps them to tables, the bot renders them. Personal numbers are held
here in their normalised plaintext form; encryption at rest is storage's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from domain.messages import N_
from domain.permissions import ALL_PERMISSIONS, Permission
from domain.workflow import Reviewable


@dataclass(kw_only=True)
class Base:
    """继续教育基地: an institution that runs training and reports to the platform."""

    id: int | None = None
    name: str
    credit_code: str
    region: str
    address: str
    contact_person: str
    contact_phone: str
    created_at: datetime


@dataclass(kw_only=True)
class User:
    """A person, identified by one ID-card number; may administer several bases."""

    id: int | None = None
    name: str
    id_number: str
    mobile: str
    password_hash: str
    must_change_password: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None
    credentials_changed_at: datetime
    created_at: datetime
    is_reviewer: bool = False
    reviewer_regions: tuple[str, ...] = ()
    reviewer_active: bool = True
    """False once the operator deactivated the reviewer (``cebot reviewer deactivate``)."""

    @property
    def acts_as_reviewer(self) -> bool:
        """A reviewer who may review now: not deactivated."""
        return self.is_reviewer and self.reviewer_active

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(kw_only=True)
class Role:
    """角色: a named set of permissions defined by one base for its other admins."""

    id: int | None = None
    base_id: int
    name: str
    permissions: frozenset[Permission] = frozenset()


def effective_permissions(
    is_super: bool, role_permissions: frozenset[Permission] | None
) -> frozenset[Permission]:
    """The super admin may do everything; anyone else what their role gives, or nothing."""
    if is_super:
        return ALL_PERMISSIONS
    return role_permissions or frozenset()


@dataclass(kw_only=True)
class Membership:
    """That a person administers a base, with a role or as its one super admin."""

    id: int | None = None
    base_id: int
    user_id: int
    is_super: bool = False
    role_id: int | None = None
    created_at: datetime

    def effective_permissions(self, role: Role | None) -> frozenset[Permission]:
        if role is not None and role.id != self.role_id:
            role = None
        return effective_permissions(self.is_super, role.permissions if role else None)


class SessionEnd(StrEnum):
    LOGOUT = "logout"
    IDLE = "idle"
    LIFETIME = "lifetime"
    PASSWORD_CHANGED = "password_changed"
    REPLACED = "replaced"
    MEMBERSHIP_REMOVED = "membership_removed"
    LOCKED = "locked"
    PASSWORD_RESET = "password_reset"
    DEACTIVATED = "deactivated"


@dataclass(kw_only=True)
class LoginSession:
    """A login bound to one Telegram user; the base is chosen after login when there are several."""

    id: int | None = None
    telegram_user_id: int
    user_id: int
    base_id: int | None = None
    started_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None
    end_reason: SessionEnd | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who is acting, resolved fresh for every action so role changes apply at once."""

    session_id: int
    user_id: int
    user_name: str
    base_id: int
    base_name: str
    membership_id: int
    is_super: bool
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True, kw_only=True)
class ReviewerActor:
    """A platform-side reviewer (主管部门审核员), resolved fresh for every action.

    ``regions`` are the 市州 the reviewer covers; empty means every region of the province.
    """

    session_id: int
    user_id: int
    user_name: str
    regions: tuple[str, ...] = ()

    @property
    def covers_all_regions(self) -> bool:
        return not self.regions

    def covers(self, region: str) -> bool:
        return not self.regions or region in self.regions


class ClassCategory(StrEnum):
    GENERAL = "general"
    PROFESSIONAL = "professional"

    @property
    def label(self) -> str:
        return {ClassCategory.GENERAL: N_("公需科目"), ClassCategory.PROFESSIONAL: N_("专业科目")}[
            self
        ]


class TeachingMode(StrEnum):
    OFFLINE = "offline"
    ONLINE = "online"
    BLENDED = "blended"

    @property
    def label(self) -> str:
        return {
            TeachingMode.OFFLINE: N_("线下"),
            TeachingMode.ONLINE: N_("线上"),
            TeachingMode.BLENDED: N_("线上线下结合"),
        }[self]


@dataclass(kw_only=True)
class TrainingClass(Reviewable):
    """培训班 with its training plan (text or a stored file)."""

    id: int | None = None
    base_id: int
    name: str
    year: int
    category: ClassCategory
    mode: TeachingMode
    start_date: date
    end_date: date
    location: str | None = None
    hours: Decimal
    capacity: int
    fee: Decimal
    audience: str = ""
    description: str = ""
    plan_text: str | None = None
    plan_file_id: int | None = None
    created_at: datetime
    updated_at: datetime | None = None


@dataclass(kw_only=True)
class ScoreRecord:
    """One learner's result in one class."""

    id: int | None = None
    class_id: int
    learner_name: str
    id_number: str
    score: Decimal | None = None
    passed: bool | None = None
    hours: Decimal
    certificate_no: str | None = None
    remark: str | None = None


@dataclass(kw_only=True)
class ScoreSheet(Reviewable):
    """The submission of a class's scores: locked while submitted or approved.

    A class whose scores were never submitted has a draft sheet that is not stored yet.
    """

    class_id: int

    @property
    def is_locked(self) -> bool:
        return not self.is_editable


@dataclass(frozen=True)
class ScoreCounts:
    """The score sheet's header: learners, passed, failed, hours awarded in all."""

    learners: int = 0
    passed: int = 0
    failed: int = 0
    hours: Decimal = Decimal(0)


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    """A file kept by the file store, addressed by its content's SHA-256."""

    id: int | None = None
    sha256: str
    size: int
    original_name: str
    safe_name: str
    content_type: str
    uploaded_by: int
    uploaded_at: datetime


class SubmissionKind(StrEnum):
    """年度报送: what a base files for a year: one plan, one summary, any number of materials."""

    PLAN = "plan"
    SUMMARY = "summary"
    MATERIAL = "material"

    @property
    def label(self) -> str:
        return {
            SubmissionKind.PLAN: N_("年度培训计划"),
            SubmissionKind.SUMMARY: N_("年度工作总结"),
            SubmissionKind.MATERIAL: N_("年度工作材料"),
        }[self]

    @property
    def permission(self) -> Permission:
        """Who may file it, and who is told of the reviewer's decision."""
        return {
            SubmissionKind.PLAN: Permission.PLANS_MANAGE,
            SubmissionKind.SUMMARY: Permission.SUMMARIES_MANAGE,
            SubmissionKind.MATERIAL: Permission.MATERIALS_MANAGE,
        }[self]

    @property
    def once_a_year(self) -> bool:
        """Exactly one per base and year (a unique index says so too); materials are many."""
        return self is not SubmissionKind.MATERIAL


class MaterialKind(StrEnum):
    STUDY_GUIDE = "study_guide"
    WORK_NOTICE = "work_notice"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            MaterialKind.STUDY_GUIDE: N_("学习指南"),
            MaterialKind.WORK_NOTICE: N_("工作通知"),
            MaterialKind.OTHER: N_("其他"),
        }[self]


class FileEnd(StrEnum):
    """Why a file of a submission stopped being current; it stays in the history either way."""

    REPLACED = "replaced"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return {FileEnd.REPLACED: N_("已被替换"), FileEnd.REMOVED: N_("已移除")}[self]


@dataclass(frozen=True, kw_only=True)
class SubmissionFile:
    """One file of a submission, current or kept in its history.

    ``number`` is the version of a plan or summary (1, 2, 3… in upload order) and, for a
    material, the file's place in the list: a replacement takes the place of the file it
    replaces, a file added goes after every file the material ever had.
    """

    id: int | None = None
    stored: StoredFile
    number: int
    added_by: int
    added_at: datetime
    ended_at: datetime | None = None
    ended_by: int | None = None
    end: FileEnd | None = None

    @property
    def is_current(self) -> bool:
        return self.ended_at is None

    def ended(self, end: FileEnd, at: datetime, by_user_id: int) -> SubmissionFile:
        return replace(self, ended_at=at, ended_by=by_user_id, end=end)


@dataclass(kw_only=True)
class AnnualSubmission(Reviewable):
    """A base's training plan or work summary for a year, or one of its work materials.

    ``files`` holds every file the submission ever had, current or not, in the order they were
    added: the history of versions is part of the submission. The methods below only keep that
    list consistent; who may change it, and when, is the service's business.
    """

    id: int | None = None
    base_id: int
    year: int
    kind: SubmissionKind
    title: str = ""
    material_kind: MaterialKind | None = None
    files: list[SubmissionFile] = field(default_factory=list)
    created_at: datetime
    updated_at: datetime | None = None

    @property
    def current_files(self) -> list[SubmissionFile]:
        """What a reviewer gets: for a material in list order, for a plan the one version."""
        return sorted((f for f in self.files if f.is_current), key=lambda f: f.number)

    @property
    def current_version(self) -> SubmissionFile | None:
        """The newest version of a plan or summary (None before the first upload)."""
        current = self.current_files
        return current[-1] if current else None

    @property
    def versions(self) -> list[SubmissionFile]:
        """Every version, newest first."""
        return sorted(self.files, key=lambda f: (f.number, f.added_at), reverse=True)

    def version(self, number: int) -> SubmissionFile | None:
        return next((f for f in self.files if f.number == number), None)

    def file(self, entry_id: int) -> SubmissionFile | None:
        return next((f for f in self.files if f.id == entry_id), None)

    def add_version(self, stored: StoredFile, at: datetime, by_user_id: int) -> SubmissionFile:
        """A plan's or summary's new version: it becomes current, the previous one is replaced."""
        self.files = [
            f.ended(FileEnd.REPLACED, at, by_user_id) if f.is_current else f for f in self.files
        ]
        return self._append(stored, self._next_number(), at, by_user_id)

    def add_file(self, stored: StoredFile, at: datetime, by_user_id: int) -> SubmissionFile:
        """A material's further file, placed after every file it ever had."""
        return self._append(stored, self._next_number(), at, by_user_id)

    def replace_file(
        self, entry: SubmissionFile, stored: StoredFile, at: datetime, by_user_id: int
    ) -> SubmissionFile:
        """``entry`` (current) leaves the list for the history; the new file takes its place."""
        self._end(entry, FileEnd.REPLACED, at, by_user_id)
        return self._append(stored, entry.number, at, by_user_id)

    def remove_file(self, entry: SubmissionFile, at: datetime, by_user_id: int) -> SubmissionFile:
        """``entry`` (current) is no longer current; returns it as ended."""
        return self._end(entry, FileEnd.REMOVED, at, by_user_id)

    def _next_number(self) -> int:
        return max((f.number for f in self.files), default=0) + 1

    def _append(
        self, stored: StoredFile, number: int, at: datetime, by_user_id: int
    ) -> SubmissionFile:
        entry = SubmissionFile(stored=stored, number=number, added_by=by_user_id, added_at=at)
        self.files.append(entry)
        self.updated_at = at
        return entry

    def _end(
        self, entry: SubmissionFile, end: FileEnd, at: datetime, by_user_id: int
    ) -> SubmissionFile:
        if entry not in self.files or not entry.is_current:
            raise ValueError(f"file entry {entry.id} is not a current file of this submission")
        ended = entry.ended(end, at, by_user_id)
        self.files = [ended if f == entry else f for f in self.files]
        self.updated_at = at
        return ended


class DeadlineKind(StrEnum):
    """What the operator sets deadlines for; each is reminded to the holders of its permission."""

    ANNUAL_PLAN = "annual_plan"
    ANNUAL_SUMMARY = "annual_summary"
    ANNUAL_MATERIALS = "annual_materials"
    CLASS_SCORES = "class_scores"

    @property
    def permission(self) -> Permission:
        return _DEADLINE_PERMISSION[self]

    @property
    def label(self) -> str:
        """What is owed, as a msgid."""
        return _DEADLINE_LABEL[self]


_DEADLINE_PERMISSION: dict[DeadlineKind, Permission] = {
    DeadlineKind.ANNUAL_PLAN: Permission.PLANS_MANAGE,
    DeadlineKind.ANNUAL_SUMMARY: Permission.SUMMARIES_MANAGE,
    DeadlineKind.ANNUAL_MATERIALS: Permission.MATERIALS_MANAGE,
    DeadlineKind.CLASS_SCORES: Permission.SCORES_MANAGE,
}
_DEADLINE_LABEL: dict[DeadlineKind, str] = {
    DeadlineKind.ANNUAL_PLAN: SubmissionKind.PLAN.label,
    DeadlineKind.ANNUAL_SUMMARY: SubmissionKind.SUMMARY.label,
    DeadlineKind.ANNUAL_MATERIALS: SubmissionKind.MATERIAL.label,
    DeadlineKind.CLASS_SCORES: N_("学员成绩"),
}


@dataclass(kw_only=True)
class Deadline:
    """Set by the operator: a due time, or for scores a number of days after a class ends."""

    id: int | None = None
    year: int
    kind: DeadlineKind
    due_at: datetime | None = None
    days_after_end: int | None = None


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class OutboxMessage:
    """A message to push to one person (a reminder, a reviewer's decision), written before sending.

    ``(user_id, subject, occasion)`` is unique: writing the same reminder twice stores it once.
    ``text_key`` and ``params`` are a catalogue msgid and its values, translated at send time into
    the recipient's language; ``button_key`` is the button's label msgid and ``link`` where it
    leads (``domain/links.py``).
    """

    id: int | None = None
    user_id: int
    subject: str
    occasion: str
    kind: str
    """``reminder:<deadline kind>`` or ``decision:<what>``: muting and reporting go by it."""
    text_key: str
    params: dict[str, str] = field(default_factory=dict)
    button_key: str | None = None
    link: str | None = None
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    not_before: datetime
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """One change made through the bot: who, which base, what, when, old and new value."""

    id: int | None = None
    at: datetime
    base_id: int | None
    actor_user_id: int | None
    action: str
    subject: str = ""
    old_value: str | None = None
    new_value: str | None = None
