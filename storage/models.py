"""SQLAlchemy tables: bases, people, roles, memberships, sessions, audit, classes, files, scores.

Rows are not domain objects: repositories map them (``storage.mappers``). Personal numbers are
stored only as ciphertext plus, for look-ups, a keyed blind index. Every constraint has a
convention-made or explicit name so that Alembic autogenerate and hand-written migrations agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC, returned aware in UTC on every database.

    SQLite keeps no offset, so a naive value would silently change meaning; refusing it on the
    way in keeps "all times are UTC" a checked fact rather than a hope.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused by the database layer: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Model(DeclarativeBase):
    """Declarative base of every table (named so as not to clash with ``domain.model.Base``)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class BaseRow(Model):
    __tablename__ = "bases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    region: Mapped[str] = mapped_column(String)
    address: Mapped[str] = mapped_column(String)
    contact_person: Mapped[str] = mapped_column(String)
    contact_phone: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]


class UserRow(Model):
    """A person. ``row_uuid`` is made by the client and binds the ciphertexts to this row."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_uuid: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String)
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_idx: Mapped[str] = mapped_column(String(64), unique=True)
    mobile_enc: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(String)
    must_change_password: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None]
    credentials_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    is_reviewer: Mapped[bool] = mapped_column(Boolean)
    reviewer_regions: Mapped[list[str]] = mapped_column(JSON)
    reviewer_active: Mapped[bool] = mapped_column(Boolean, server_default=true())


class RoleRow(Model):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("base_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))
    name: Mapped[str] = mapped_column(String)
    permissions: Mapped[list[str]] = mapped_column(JSON)


class MembershipRow(Model):
    """At most one super admin per base is a database fact (a partial unique index)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_super: Mapped[bool] = mapped_column(Boolean)
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("roles.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("base_id", "user_id"),
        Index(
            "uq_memberships_one_super",
            "base_id",
            unique=True,
            sqlite_where=is_super.is_(True),
            postgresql_where=is_super.is_(True),
        ),
    )


class LoginSessionRow(Model):
    """A login bound to a Telegram user; at most one open session per Telegram user."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    base_id: Mapped[int | None] = mapped_column(ForeignKey("bases.id"), index=True)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index(
            "uq_login_sessions_one_open",
            "telegram_user_id",
            unique=True,
            sqlite_where=ended_at.is_(None),
            postgresql_where=ended_at.is_(None),
        ),
    )


class LoginFailureRow(Model):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime]


class AuditEventRow(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    base_id: Mapped[int | None] = mapped_column(ForeignKey("bases.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_events_base_id_id", "base_id", id.desc()),)


class BotPersistenceRow(Model):
    """python-telegram-bot persistence as key/value rows; ``value`` is JSON-encoded text.

    ``kind`` is one of user_data, chat_data, bot_data, callback_data, conversation; ``name`` is the
    conversation's name ('' otherwise); ``key`` the user/chat id or the conversation key as JSON.
    """

    __tablename__ = "bot_persistence"
    __table_args__ = (UniqueConstraint("kind", "name", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String)
    key: Mapped[str] = mapped_column(String)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class TrainingClassRow(Model):
    """培训班. ``submitted_at`` mirrors the latest submission in the history, for the queue's order.

    Hours and fee are exact decimals (学时 in 0.5 steps, yuan to the fen). ``plan_file_id`` will
    reference the stored files table once it exists.
    """

    __tablename__ = "training_classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))
    name: Mapped[str] = mapped_column(String)
    year: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    capacity: Mapped[int] = mapped_column(Integer)
    fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    audience: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text)
    plan_text: Mapped[str | None] = mapped_column(Text)
    plan_file_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_training_classes_base_id_year_id", "base_id", "year", id.desc()),
        Index("ix_training_classes_status_submitted_at", "status", "submitted_at"),
    )


class ClassStatusChangeRow(Model):
    """One step of a class through review: append-only, gone with its class."""

    __tablename__ = "class_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("training_classes.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class StoredFileRow(Model):
    """An uploaded file's record; its bytes live in the file store under ``sha256``.

    The same bytes uploaded twice are stored once but recorded twice: each row keeps the base
    and the name it arrived with, and a base only ever reaches its own rows.
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(String)
    safe_name: Mapped[str] = mapped_column(String)
    content_type: Mapped[str] = mapped_column(String)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]


class ScoreRecordRow(Model):
    """One learner's result in one class; the ID-card number encrypted, found by a blind index.

    A learner is once per class and a certificate number once per class (NULLs don't clash).
    """

    __tablename__ = "score_records"
    __table_args__ = (
        UniqueConstraint("class_id", "id_number_idx"),
        UniqueConstraint("class_id", "certificate_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_classes.id", ondelete="CASCADE"))
    row_uuid: Mapped[str] = mapped_column(String(32), unique=True)
    learner_name: Mapped[str] = mapped_column(String)
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_idx: Mapped[str] = mapped_column(String(64))
    score: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    passed: Mapped[bool] = mapped_column(Boolean)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    certificate_no: Mapped[str | None] = mapped_column(String(50))
    remark: Mapped[str | None] = mapped_column(Text)


class ScoreSheetRow(Model):
    """The review state of a class's scores; no row yet means a draft nobody has submitted."""

    __tablename__ = "score_sheets"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("training_classes.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_score_sheets_status_submitted_at", "status", "submitted_at"),)


class ScoreSheetChangeRow(Model):
    """One step of a class's scores through review: append-only."""

    __tablename__ = "score_sheet_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("score_sheets.class_id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class AnnualSubmissionRow(Model):
    """年度报送: a plan, a summary or one material of a base for a year.

    One plan and one summary per base and year is a database fact (a partial unique index);
    materials are as many as the base files. ``title`` is empty and ``material_kind`` NULL for a
    plan or summary. ``submitted_at`` mirrors the latest submission, for the queue's order.
    """

    __tablename__ = "annual_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String)
    material_kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_annual_submissions_base_id_kind_year_id", "base_id", "kind", "year", id.desc()),
        Index("ix_annual_submissions_status_submitted_at", "status", "submitted_at"),
        Index(
            "uq_annual_submissions_once_a_year",
            "base_id",
            "year",
            "kind",
            unique=True,
            sqlite_where=kind.in_(("plan", "summary")),
            postgresql_where=kind.in_(("plan", "summary")),
        ),
    )


class SubmissionStatusChangeRow(Model):
    """One step of a submission through review: append-only, gone with its submission."""

    __tablename__ = "submission_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("annual_submissions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class SubmissionFileRow(Model):
    """A file of a submission: a plan's version or one of a material's files, current or not.

    ``number`` is the version (plan, summary) or the place in the list (material); a file stops
    being current when ``ended_at`` is set (``end``: replaced or removed) and stays as history.
    Two current files never share a place (a partial unique index).
    """

    __tablename__ = "submission_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("annual_submissions.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    number: Mapped[int] = mapped_column(Integer)
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index(
            "uq_submission_files_one_current",
            "submission_id",
            "number",
            unique=True,
            sqlite_where=ended_at.is_(None),
            postgresql_where=ended_at.is_(None),
        ),
    )


class DeadlineRow(Model):
    """截止时间 set by the operator: one per year and kind.

    The annual kinds fall due at ``due_at``; a class's scores ``days_after_end`` days after the
    class ends. Exactly one of the two is set (a check constraint says so).
    """

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime | None] = mapped_column()
    days_after_end: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("year", "kind"),
        CheckConstraint("(due_at IS NULL) <> (days_after_end IS NULL)", name="one_due"),
    )


class ReminderMuteRow(Model):
    """That a person muted reminders of one deadline kind (``/deadlines``)."""

    __tablename__ = "reminder_mutes"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))


class BlockedChatRow(Model):
    """A Telegram chat that blocked the bot: reminders stop trying it until it is unblocked."""

    __tablename__ = "blocked_chats"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    blocked_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class OutboxRow(Model):
    """A message to push, written before it is sent: reminders and reviewers' decisions.

    ``(user_id, subject, occasion)`` is unique, so writing the same reminder twice stores it once.
    A dispatcher claims pending rows due by ``not_before`` and holds them until ``claimed_until``
    (the lease): a dispatcher that dies mid-batch lets its rows go when the lease runs out.
    ``params`` maps placeholder names to strings, as JSON.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String)
    occasion: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    text_key: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    button_key: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    not_before: Mapped[datetime]
    claimed_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("user_id", "subject", "occasion"),
        Index("ix_outbox_state_not_before", "state", "not_before"),
    )


class BotProcessRow(Model):
    """A running ``cebot run``, active or standing by, announced by itself (``storage.processes``).

    ``key_fingerprints`` maps each encryption key id of the process's keyring to a fingerprint,
    ``index_fingerprint`` fingerprints its blind-index key: never key material. The process
    refreshes ``seen_at`` every ``heartbeat_ms``; a row not refreshed for three heartbeats belongs
    to a process that died without a clean stop and is ignored.
    """

    __tablename__ = "bot_processes"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    active_key_id: Mapped[str] = mapped_column(String(64))
    key_fingerprints: Mapped[dict[str, str]] = mapped_column(JSON)
    index_fingerprint: Mapped[str] = mapped_column(String(64))
    heartbeat_ms: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("role IN ('active', 'standby')", name="role"),)
