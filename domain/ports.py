"""The narrow interfaces the domain needs from the outside: repositories, unit of work, hashing.

storage/ implements the repositories and the unit of work; storage/passwords.py the hasher.
Neither repositories nor services commit: the unit of work does, once, when its block ends.
Each adapter states under mypy that it satisfies its port (``if TYPE_CHECKING:`` next to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import NamedTuple, Protocol, Self

from domain.model import (
    AnnualSubmission,
    AuditEvent,
    Base,
    Deadline,
    DeadlineKind,
    LoginSession,
    Membership,
    OutboxMessage,
    OutboxState,
    Role,
    ScoreCounts,
    ScoreRecord,
    ScoreSheet,
    SessionEnd,
    StoredFile,
    SubmissionKind,
    TrainingClass,
    User,
)
from domain.permissions import Permission
from domain.workflow import Status


class BaseRepository(Protocol):
    async def add(self, base: Base) -> Base: ...
    async def get(self, base_id: int) -> Base | None: ...
    async def get_for_update(self, base_id: int) -> Base | None:
        """Locks the base row until commit: serialises hand-overs of its super admin."""
        ...

    async def get_by_credit_code(self, credit_code: str) -> Base | None: ...
    async def get_many(self, base_ids: Sequence[int]) -> list[Base]: ...
    async def update(self, base: Base) -> None: ...


class UserRepository(Protocol):
    async def add(self, user: User) -> User: ...
    async def get(self, user_id: int) -> User | None: ...
    async def get_many(self, user_ids: Sequence[int]) -> list[User]: ...
    async def get_for_update(self, user_id: int) -> User | None:
        """Locks the user row until commit: serialises resets of one person's password."""
        ...

    async def get_by_id_number(self, id_number: str) -> User | None:
        """Looks up by the blind index; ``id_number`` is already normalised."""
        ...

    async def reviewers(self) -> list[User]:
        """Every reviewer (主管部门审核员), oldest first: ``cebot reviewer list``."""
        ...

    async def update(self, user: User) -> None: ...
    async def count_failed_login(
        self, user_id: int, *, now: datetime, limit: int, lock_until: datetime
    ) -> FailedLogin:
        """One more wrong password, counted by the database in one statement (exact when several
        arrive at once); the ``limit``-th locks the account until ``lock_until`` and resets the
        count. An account already locked at ``now`` is not counted: its lock is returned."""
        ...


class FailedLogin(NamedTuple):
    """What one wrong password did to the account's count."""

    failures: int
    """Wrong passwords in a row, this one included (``limit`` when the account is locked)."""
    locked_until: datetime | None
    locked_now: bool
    """This wrong password locked the account (an audit entry is due)."""


class RoleRepository(Protocol):
    async def add(self, role: Role) -> Role: ...
    async def get(self, role_id: int) -> Role | None: ...
    async def get_by_name(self, base_id: int, name: str) -> Role | None: ...
    async def list_for_base(self, base_id: int) -> list[Role]: ...
    async def update(self, role: Role) -> None: ...
    async def delete(self, role_id: int) -> None: ...


class Member(NamedTuple):
    membership: Membership
    user: User
    role: Role | None


class MembershipRepository(Protocol):
    async def add(self, membership: Membership) -> Membership: ...
    async def get(self, membership_id: int) -> Membership | None: ...
    async def get_for(self, base_id: int, user_id: int) -> Membership | None: ...
    async def get_super(self, base_id: int) -> Membership | None: ...
    async def list_for_base(
        self, base_id: int, offset: int = 0, limit: int = 50
    ) -> list[Membership]: ...
    async def list_members(
        self, base_id: int, offset: int = 0, limit: int = 50
    ) -> tuple[list[Member], int]:
        """A page of ``list_for_base`` with each admin's user and role, and how many there are
        in all, in one read."""
        ...

    async def count_for_base(self, base_id: int) -> int: ...
    async def list_for_user(self, user_id: int) -> list[Membership]: ...
    async def list_for_role(self, role_id: int) -> list[Membership]: ...
    async def update(self, membership: Membership) -> None: ...
    async def delete(self, membership_id: int) -> None: ...


class OpenSession(NamedTuple):
    """What the guard needs on every action, read at once: the open session, its user, the
    user's membership in the session's base with its role, and the base's name (None where
    there is none)."""

    session: LoginSession
    user: User | None
    membership: Membership | None
    role: Role | None
    base_name: str | None


class SessionRepository(Protocol):
    async def add(self, session: LoginSession) -> LoginSession: ...
    async def get_open_for_telegram_user(self, telegram_user_id: int) -> LoginSession | None: ...
    async def open_for_telegram_user(self, telegram_user_id: int) -> OpenSession | None:
        """The open session with its user, membership and role, in one read."""
        ...

    async def update(self, session: LoginSession) -> None: ...
    async def end_all_for_user(
        self, user_id: int, at: datetime, reason: SessionEnd, except_session_id: int | None = None
    ) -> int: ...
    async def end_for_membership(
        self, user_id: int, base_id: int, at: datetime, reason: SessionEnd
    ) -> int: ...
    async def latest_telegram_user_ids(self, user_ids: Sequence[int]) -> dict[int, int]:
        """Per user id, the Telegram user of the most recent session (open or ended)."""
        ...


class LoginFailureRepository(Protocol):
    """Failed logins per Telegram user, to throttle guessing across accounts."""

    async def record(self, telegram_user_id: int, at: datetime) -> None: ...
    async def count_since(self, telegram_user_id: int, since: datetime) -> int: ...
    async def latest(self, telegram_user_id: int) -> datetime | None: ...
    async def clear(self, telegram_user_id: int) -> None: ...


class AuditRepository(Protocol):
    async def add(self, event: AuditEvent) -> None: ...
    async def list(
        self,
        base_id: int,
        *,
        actor_user_id: int | None = None,
        action_prefix: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> list[AuditEvent]: ...


class ClassRepository(Protocol):
    """Training classes with their history of states; every class handed out carries its history.

    ``update`` writes the fields and appends the changes of ``history`` not yet stored, so the
    class passed in must have been loaded with its whole history (any method here does that).
    """

    async def add(self, training_class: TrainingClass) -> TrainingClass: ...
    async def get(self, class_id: int) -> TrainingClass | None: ...
    async def get_for_update(self, class_id: int) -> TrainingClass | None:
        """Locks the class row until commit: a state change never races another one."""
        ...

    async def update(self, training_class: TrainingClass) -> None: ...
    async def delete(self, class_id: int) -> None: ...
    async def list_for_base(
        self,
        base_id: int,
        *,
        year: int | None = None,
        status: Status | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> list[TrainingClass]:
        """Newest first."""
        ...

    async def count_for_base(
        self, base_id: int, *, year: int | None = None, status: Status | None = None
    ) -> int: ...
    async def years_for_base(self, base_id: int) -> list[int]:
        """The years the base has classes in, latest first."""
        ...

    async def list_submitted_for_regions(
        self, regions: Sequence[str] | None, *, offset: int = 0, limit: int = 10
    ) -> list[TrainingClass]:
        """Submitted classes of bases in ``regions`` (None: every region), longest waiting first."""
        ...

    async def count_submitted_for_regions(self, regions: Sequence[str] | None) -> int: ...


class ScoreRepository(Protocol):
    """Learners' scores per class, and the review state of each class's scores.

    The class id is checked against the actor's base by the service before any of these runs.
    """

    async def list_for_class(self, class_id: int) -> list[ScoreRecord]:
        """Every learner of the class, in the order they were recorded."""
        ...

    async def page_for_class(
        self, class_id: int, *, offset: int, limit: int
    ) -> list[ScoreRecord]: ...

    async def counts_for_class(self, class_id: int) -> ScoreCounts: ...
    async def get(self, record_id: int, *, class_id: int) -> ScoreRecord | None: ...
    async def find(self, class_id: int, id_number: str) -> ScoreRecord | None:
        """By ID-card number through the blind index (the number itself is encrypted)."""
        ...

    async def find_by_certificate(
        self, class_id: int, certificate_no: str
    ) -> ScoreRecord | None: ...

    async def add(self, record: ScoreRecord) -> ScoreRecord: ...
    async def update(self, record: ScoreRecord) -> None: ...
    async def delete(self, record_id: int, *, class_id: int) -> None: ...
    async def replace_learners(
        self, class_id: int, records: Sequence[ScoreRecord], replacing: Sequence[int] = ()
    ) -> None:
        """Deletes the records ``replacing`` (ids) and inserts ``records``, in bulk.

        A learner already stored and not named in ``replacing`` makes the insert fail with
        ``Conflict``: someone added them since the file was checked.
        """
        ...

    async def get_sheet(self, class_id: int) -> ScoreSheet | None: ...
    async def get_sheet_for_update(self, class_id: int) -> ScoreSheet | None:
        """Locks the sheet (PostgreSQL) so a state change never races another one."""
        ...

    async def save_sheet(self, sheet: ScoreSheet) -> None:
        """Inserts or updates the sheet and appends the history entries not yet stored."""
        ...

    async def list_submitted_sheets_for_regions(
        self, regions: Sequence[str] | None, *, offset: int = 0, limit: int = 10
    ) -> list[ScoreSheet]:
        """Submitted sheets of bases in ``regions`` (None: every region), longest waiting first."""
        ...

    async def count_submitted_sheets_for_regions(self, regions: Sequence[str] | None) -> int: ...


class FileRepository(Protocol):
    """Records of uploaded files; every read names the base, so one base never reaches another's."""

    async def add(self, stored: StoredFile, *, base_id: int) -> StoredFile: ...
    async def get(self, file_id: int, *, base_id: int) -> StoredFile | None: ...


class BlobStore(Protocol):
    """Where the bytes of uploaded files live, named by their SHA-256 (``storage.filestore``)."""

    async def put(self, data: bytes) -> str:
        """Stores ``data``; returns its SHA-256 in hex."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The bytes, verified against their name.

        A blob that is absent, no longer decrypts or no longer hashes to its name raises
        ``domain.errors.StoredFileDamaged`` (or a subclass), never anything of the adapter's own:
        the domain and the bot cannot name storage's exceptions, and a damaged file must be
        reported to the user, not sent and not mistaken for a crash.
        """
        ...


class SubmissionRepository(Protocol):
    """Annual plans, summaries and materials, each with its files and its history of states.

    A submission is always handed out whole: its files (current and earlier, each with its stored
    file's record) and its history. ``update`` relies on that: it appends the history entries and
    the files not stored yet (no id) and records the end of files that were current. At most one
    plan and one summary per base and year: ``add`` raises ``Conflict`` for a second one.
    """

    async def add(self, submission: AnnualSubmission) -> AnnualSubmission: ...
    async def get(self, submission_id: int) -> AnnualSubmission | None: ...
    async def get_for_update(self, submission_id: int) -> AnnualSubmission | None:
        """Locks the submission row until commit: a change never races another one."""
        ...

    async def find(
        self, base_id: int, year: int, kind: SubmissionKind, *, lock: bool = False
    ) -> AnnualSubmission | None:
        """The plan or summary of a base and year (``lock``: as ``get_for_update``)."""
        ...

    async def update(self, submission: AnnualSubmission) -> AnnualSubmission:
        """Writes the fields, appends what is new; returns the submission as now stored."""
        ...

    async def delete(self, submission_id: int) -> None:
        """With its history and its file entries; the stored files themselves stay."""
        ...

    async def list_for_base(
        self,
        base_id: int,
        *,
        kind: SubmissionKind,
        year: int | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> list[AnnualSubmission]:
        """Newest first."""
        ...

    async def count_for_base(
        self, base_id: int, *, kind: SubmissionKind, year: int | None = None
    ) -> int: ...
    async def years_for_base(self, base_id: int, kind: SubmissionKind) -> list[int]:
        """The years the base has submissions of ``kind`` in, latest first."""
        ...

    async def list_submitted_for_regions(
        self, regions: Sequence[str] | None, *, offset: int = 0, limit: int = 10
    ) -> list[AnnualSubmission]:
        """Submitted ones of bases in ``regions`` (None: every region), longest waiting first."""
        ...

    async def count_submitted_for_regions(self, regions: Sequence[str] | None) -> int: ...


class DeadlineRepository(Protocol):
    """The operator's deadlines: one per year and kind."""

    async def set(self, deadline: Deadline) -> Deadline:
        """Inserts or replaces the deadline of ``(year, kind)``."""
        ...

    async def list(self, *, year: int | None = None) -> list[Deadline]: ...


class MuteRepository(Protocol):
    """Who muted reminders of which deadline kind (``/deadlines``)."""

    async def mute(self, user_id: int, kind: DeadlineKind) -> None: ...
    async def unmute(self, user_id: int, kind: DeadlineKind) -> None: ...
    async def for_user(self, user_id: int) -> set[DeadlineKind]: ...
    async def all(self) -> set[tuple[int, DeadlineKind]]: ...


class BlockedChatRepository(Protocol):
    """Telegram chats that blocked the bot: reminders to them are failed without being tried.

    Keyed by the chat, not the person: the 403 is Telegram's answer about one chat, and a person
    who logs in from another Telegram account is reachable again there.
    """

    async def block(self, telegram_user_id: int, at: datetime, reason: str) -> None: ...
    async def unblock(self, telegram_user_id: int) -> bool:
        """Whether the chat was blocked."""
        ...

    async def blocked_among(self, telegram_user_ids: Sequence[int]) -> set[int]: ...


class OutboxRepository(Protocol):
    """Messages waiting to be pushed, written in the transaction of what they report."""

    async def add_many(self, messages: Sequence[OutboxMessage]) -> int:
        """Stores the messages whose ``(user_id, subject, occasion)`` is new; returns how many."""
        ...

    async def claim(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxMessage]:
        """Pending messages due at ``now`` that no other dispatcher holds, held for ``lease``.

        On PostgreSQL ``FOR UPDATE SKIP LOCKED``: several dispatchers never claim the same row.
        """
        ...

    async def mark_sent(self, message_id: int, at: datetime) -> None: ...
    async def mark_failed(self, message_id: int, error: str) -> None:
        """Final: the recipient blocked the bot, or the message can never be delivered."""
        ...

    async def release(self, message_ids: Sequence[int]) -> None:
        """Claimed, not sent: due again for any dispatcher at once."""
        ...

    async def retry_later(self, message_id: int, at: datetime, error: str) -> None:
        """Back to pending from ``at`` on, with one more attempt counted."""
        ...

    async def counts(self) -> dict[OutboxState, int]: ...


@dataclass(frozen=True, kw_only=True)
class ClassScoresState:
    """An approved class of a year as reminder planning sees it: does it still owe its scores?"""

    class_id: int
    base_id: int
    year: int
    name: str
    end_date: date
    scores_in: bool
    """The score sheet is submitted or approved."""


class Holder(NamedTuple):
    """An admin of a base and the permissions their role gives today (``effective_permissions``)."""

    user_id: int
    base_id: int
    permissions: frozenset[Permission]


class PlanningReadRepository(Protocol):
    """What reminder planning reads, for every base at once: one query each, never one a base.

    Read-only and wide on purpose: ``scheduler.gather`` turns these into the planner's input.
    """

    async def base_names(self, base_id: int | None = None) -> dict[int, str]:
        """Every base's name by id (``base_id``: that base's alone, as in every method here)."""
        ...

    async def permission_holders(self, base_id: int | None = None) -> list[Holder]:
        """Every admin of every base with the permissions they hold, none left out (an admin
        without a role holds nothing)."""
        ...

    async def annual_done(
        self, years: Sequence[int], base_id: int | None = None
    ) -> set[tuple[int, int, SubmissionKind]]:
        """``(base id, year, kind)`` for what is submitted or approved.

        A plan or summary counts itself; materials count once at least one material is in.
        """
        ...

    async def approved_classes(
        self, years: Sequence[int], base_id: int | None = None
    ) -> list[ClassScoresState]:
        """The approved classes of ``years``, each with whether its scores are in."""
        ...


class UnitOfWork(Protocol):
    """One transaction, owned by whoever opened it: ``async with uow_factory() as uow:``.

    Leaving the block commits: cleanly, or with a refusal marked ``domain.errors.recorded`` (a
    wrong password counted, a session ended). Any other exception rolls back. So there is no
    ``commit()`` here: a service works inside the transaction it is given and never ends it;
    the guard (``bot.runtime.guarded``), a scheduler job or a CLI command opens it and its
    ``async with`` closes it (``docs/decisions.md``, "Who commits").

    A read-only one (``readonly``) refuses writes: screens that only show something use it, so
    they never queue behind a writer (a long import, say).

    Every member is read-only, so an adapter may hand out its own repository types (a
    property's type is checked covariantly; a plain attribute's would have to match exactly).
    """

    @property
    def readonly(self) -> bool: ...

    @property
    def bases(self) -> BaseRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def roles(self) -> RoleRepository: ...
    @property
    def memberships(self) -> MembershipRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def login_failures(self) -> LoginFailureRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def classes(self) -> ClassRepository: ...
    @property
    def files(self) -> FileRepository: ...
    @property
    def scores(self) -> ScoreRepository: ...
    @property
    def submissions(self) -> SubmissionRepository: ...
    @property
    def deadlines(self) -> DeadlineRepository: ...
    @property
    def mutes(self) -> MuteRepository: ...
    @property
    def blocked_chats(self) -> BlockedChatRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def planning(self) -> PlanningReadRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class PasswordHasher(Protocol):
    """Hashes off the event loop; the encoded hash carries its own parameters."""

    async def hash(self, password: str) -> str: ...
    async def verify(self, password: str, encoded: str) -> bool: ...
    def needs_rehash(self, encoded: str) -> bool: ...
    async def verify_decoy(self, password: str) -> None:
        """Costs what a verify costs, for a person who does not exist (same answer, same time)."""
        ...
