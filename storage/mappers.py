"""Rows to domain objects and back: the only place that knows both shapes.

Repositories hand out domain dataclasses, never ORM rows, so nothing outside storage/ can lazy-load
or mutate a row behind the unit of work's back. The personal numbers of a user are encrypted here,
bound to the row's ``row_uuid``, so a ciphertext copied into another row does not decrypt.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from domain.model import (
    AnnualSubmission,
    AuditEvent,
    Base,
    ClassCategory,
    FileEnd,
    LoginSession,
    MaterialKind,
    Membership,
    Role,
    ScoreRecord,
    ScoreSheet,
    SessionEnd,
    StoredFile,
    SubmissionFile,
    SubmissionKind,
    TeachingMode,
    TrainingClass,
    User,
)
from domain.permissions import parse_permissions
from domain.workflow import Action, Status, StatusChange
from storage.crypto import DecryptionError, FieldCipher
from storage.models import (
    AnnualSubmissionRow,
    AuditEventRow,
    BaseRow,
    ClassStatusChangeRow,
    LoginSessionRow,
    MembershipRow,
    RoleRow,
    ScoreRecordRow,
    ScoreSheetChangeRow,
    ScoreSheetRow,
    StoredFileRow,
    SubmissionFileRow,
    SubmissionStatusChangeRow,
    TrainingClassRow,
    UserRow,
)

ID_NUMBER_PURPOSE = "id_number"


def id_number_context(row_uuid: str) -> str:
    return f"users.id_number:{row_uuid}"


def mobile_context(row_uuid: str) -> str:
    return f"users.mobile:{row_uuid}"


def _decrypt(cipher: FieldCipher, token: str, *, context: str, what: str) -> str:
    """Names the row and field that failed, which the cipher alone cannot know."""
    try:
        return cipher.decrypt(token, context=context)
    except DecryptionError as error:
        raise DecryptionError(
            f"{what} does not decrypt: wrong or missing key, or ciphertext moved from another row"
        ) from error


def base_to_domain(row: BaseRow) -> Base:
    return Base(
        id=row.id,
        name=row.name,
        credit_code=row.credit_code,
        region=row.region,
        address=row.address,
        contact_person=row.contact_person,
        contact_phone=row.contact_phone,
        created_at=row.created_at,
    )


def base_to_row(base: Base, row: BaseRow) -> None:
    row.name = base.name
    row.credit_code = base.credit_code
    row.region = base.region
    row.address = base.address
    row.contact_person = base.contact_person
    row.contact_phone = base.contact_phone
    row.created_at = base.created_at


def user_to_domain(row: UserRow, cipher: FieldCipher) -> User:
    return User(
        id=row.id,
        name=row.name,
        id_number=_decrypt(
            cipher,
            row.id_number_enc,
            context=id_number_context(row.row_uuid),
            what=f"users.id_number of user {row.id}",
        ),
        mobile=_decrypt(
            cipher,
            row.mobile_enc,
            context=mobile_context(row.row_uuid),
            what=f"users.mobile of user {row.id}",
        ),
        password_hash=row.password_hash,
        must_change_password=row.must_change_password,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        credentials_changed_at=row.credentials_changed_at,
        created_at=row.created_at,
        is_reviewer=row.is_reviewer,
        reviewer_regions=tuple(row.reviewer_regions),
        reviewer_active=row.reviewer_active,
    )


def user_to_row(user: User, row: UserRow, cipher: FieldCipher) -> None:
    """Copies ``user`` into ``row`` (whose ``row_uuid`` is set); re-encrypts only what changed.

    Unchanged numbers keep their ciphertext, so an update of, say, ``failed_logins`` does not
    rewrite personal data (or churn the WAL with it).
    """
    index = cipher.blind_index(user.id_number, purpose=ID_NUMBER_PURPOSE)
    if row.id_number_idx != index:
        row.id_number_idx = index
        row.id_number_enc = cipher.encrypt(user.id_number, context=id_number_context(row.row_uuid))
    context = mobile_context(row.row_uuid)
    if row.mobile_enc is None or cipher.decrypt(row.mobile_enc, context=context) != user.mobile:
        row.mobile_enc = cipher.encrypt(user.mobile, context=context)
    row.name = user.name
    row.password_hash = user.password_hash
    row.must_change_password = user.must_change_password
    row.failed_logins = user.failed_logins
    row.locked_until = user.locked_until
    row.credentials_changed_at = user.credentials_changed_at
    row.created_at = user.created_at
    row.is_reviewer = user.is_reviewer
    row.reviewer_regions = list(user.reviewer_regions)
    row.reviewer_active = user.reviewer_active


def role_to_domain(row: RoleRow) -> Role:
    return Role(
        id=row.id,
        base_id=row.base_id,
        name=row.name,
        permissions=parse_permissions(row.permissions),
    )


def role_to_row(role: Role, row: RoleRow) -> None:
    row.base_id = role.base_id
    row.name = role.name
    row.permissions = sorted(p.value for p in role.permissions)


def membership_to_domain(row: MembershipRow) -> Membership:
    return Membership(
        id=row.id,
        base_id=row.base_id,
        user_id=row.user_id,
        is_super=row.is_super,
        role_id=row.role_id,
        created_at=row.created_at,
    )


def membership_to_row(membership: Membership, row: MembershipRow) -> None:
    row.base_id = membership.base_id
    row.user_id = membership.user_id
    row.is_super = membership.is_super
    row.role_id = membership.role_id
    row.created_at = membership.created_at


def session_to_domain(row: LoginSessionRow) -> LoginSession:
    return LoginSession(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        user_id=row.user_id,
        base_id=row.base_id,
        started_at=row.started_at,
        last_seen_at=row.last_seen_at,
        ended_at=row.ended_at,
        end_reason=SessionEnd(row.end_reason) if row.end_reason is not None else None,
    )


def session_to_row(session: LoginSession, row: LoginSessionRow) -> None:
    row.telegram_user_id = session.telegram_user_id
    row.user_id = session.user_id
    row.base_id = session.base_id
    row.started_at = session.started_at
    row.last_seen_at = session.last_seen_at
    row.ended_at = session.ended_at
    row.end_reason = session.end_reason.value if session.end_reason is not None else None


def audit_to_domain(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        base_id=row.base_id,
        actor_user_id=row.actor_user_id,
        action=row.action,
        subject=row.subject,
        old_value=row.old_value,
        new_value=row.new_value,
    )


def _plain_hours(value: Decimal) -> Decimal:
    """``24`` rather than the column's ``24.0``: as the validator returns it and people write it."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def training_class_to_domain(
    row: TrainingClassRow, history: Iterable[ClassStatusChangeRow]
) -> TrainingClass:
    return TrainingClass(
        id=row.id,
        base_id=row.base_id,
        name=row.name,
        year=row.year,
        category=ClassCategory(row.category),
        mode=TeachingMode(row.mode),
        start_date=row.start_date,
        end_date=row.end_date,
        location=row.location,
        hours=_plain_hours(Decimal(row.hours)),
        capacity=row.capacity,
        fee=Decimal(row.fee).quantize(Decimal("0.01")),
        audience=row.audience,
        description=row.description,
        plan_text=row.plan_text,
        plan_file_id=row.plan_file_id,
        status=Status(row.status),
        history=[status_change_to_domain(change) for change in history],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def training_class_to_row(training_class: TrainingClass, row: TrainingClassRow) -> None:
    """The history is not a column: the repository appends its new entries as rows."""
    row.base_id = training_class.base_id
    row.name = training_class.name
    row.year = training_class.year
    row.category = training_class.category.value
    row.mode = training_class.mode.value
    row.start_date = training_class.start_date
    row.end_date = training_class.end_date
    row.location = training_class.location
    row.hours = training_class.hours
    row.capacity = training_class.capacity
    row.fee = training_class.fee
    row.audience = training_class.audience
    row.description = training_class.description
    row.plan_text = training_class.plan_text
    row.plan_file_id = training_class.plan_file_id
    row.status = training_class.status.value
    row.submitted_at = training_class.submitted_at
    row.created_at = training_class.created_at
    row.updated_at = training_class.updated_at or training_class.created_at


def status_change_to_domain(
    row: ClassStatusChangeRow | ScoreSheetChangeRow | SubmissionStatusChangeRow,
) -> StatusChange:
    """A step of any review history: classes, score sheets and submissions share the columns."""
    return StatusChange(
        status=Status(row.status),
        action=Action(row.action),
        at=row.at,
        by_user_id=row.by_user_id,
        reason=row.reason,
    )


def status_change_values(class_id: int, change: StatusChange) -> dict[str, Any]:
    """One row of ``class_status_changes`` (or ``score_sheet_changes``) for a bulk insert."""
    return {
        "class_id": class_id,
        "status": change.status.value,
        "action": change.action.value,
        "at": change.at,
        "by_user_id": change.by_user_id,
        "reason": change.reason,
    }


def score_id_number_context(row_uuid: str) -> str:
    return f"score_records.id_number:{row_uuid}"


def score_record_to_domain(row: ScoreRecordRow, cipher: FieldCipher) -> ScoreRecord:
    return ScoreRecord(
        id=row.id,
        class_id=row.class_id,
        learner_name=row.learner_name,
        id_number=_decrypt(
            cipher,
            row.id_number_enc,
            context=score_id_number_context(row.row_uuid),
            what=f"score_records.id_number of row {row.id}",
        ),
        score=None if row.score is None else _plain_hours(Decimal(row.score)),
        passed=row.passed,
        hours=_plain_hours(Decimal(row.hours)),
        certificate_no=row.certificate_no,
        remark=row.remark,
    )


def score_record_values(record: ScoreRecord, cipher: FieldCipher, row_uuid: str) -> dict[str, Any]:
    """A whole row (for an insert or an update): the number encrypted for this row only."""
    return {
        "class_id": record.class_id,
        "row_uuid": row_uuid,
        "learner_name": record.learner_name,
        "id_number_enc": cipher.encrypt(
            record.id_number, context=score_id_number_context(row_uuid)
        ),
        "id_number_idx": cipher.blind_index(record.id_number, purpose=ID_NUMBER_PURPOSE),
        "score": record.score,
        "passed": bool(record.passed),
        "hours": record.hours,
        "certificate_no": record.certificate_no,
        "remark": record.remark,
    }


def score_sheet_to_domain(row: ScoreSheetRow, history: Iterable[ScoreSheetChangeRow]) -> ScoreSheet:
    return ScoreSheet(
        class_id=row.class_id,
        status=Status(row.status),
        history=[status_change_to_domain(change) for change in history],
    )


def stored_file_to_domain(row: StoredFileRow) -> StoredFile:
    return StoredFile(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        original_name=row.original_name,
        safe_name=row.safe_name,
        content_type=row.content_type,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )


def submission_file_to_domain(row: SubmissionFileRow, stored: StoredFileRow) -> SubmissionFile:
    return SubmissionFile(
        id=row.id,
        stored=stored_file_to_domain(stored),
        number=row.number,
        added_by=row.added_by,
        added_at=row.added_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
        end=FileEnd(row.end) if row.end is not None else None,
    )


def submission_file_values(submission_id: int, entry: SubmissionFile) -> dict[str, Any]:
    """One row of ``submission_files`` for an insert."""
    return {
        "submission_id": submission_id,
        "file_id": entry.stored.id,
        "number": entry.number,
        "added_by": entry.added_by,
        "added_at": entry.added_at,
        "ended_at": entry.ended_at,
        "ended_by": entry.ended_by,
        "end": entry.end.value if entry.end is not None else None,
    }


def submission_to_domain(
    row: AnnualSubmissionRow,
    history: Iterable[SubmissionStatusChangeRow],
    files: Iterable[tuple[SubmissionFileRow, StoredFileRow]],
) -> AnnualSubmission:
    return AnnualSubmission(
        id=row.id,
        base_id=row.base_id,
        year=row.year,
        kind=SubmissionKind(row.kind),
        title=row.title,
        material_kind=MaterialKind(row.material_kind) if row.material_kind else None,
        files=[submission_file_to_domain(entry, stored) for entry, stored in files],
        status=Status(row.status),
        history=[status_change_to_domain(change) for change in history],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def submission_to_row(submission: AnnualSubmission, row: AnnualSubmissionRow) -> None:
    """The history and the files are rows of their own: the repository appends them."""
    row.base_id = submission.base_id
    row.year = submission.year
    row.kind = submission.kind.value
    row.title = submission.title
    row.material_kind = submission.material_kind.value if submission.material_kind else None
    row.status = submission.status.value
    row.submitted_at = submission.submitted_at
    row.created_at = submission.created_at
    row.updated_at = submission.updated_at or submission.created_at


def submission_change_values(submission_id: int, change: StatusChange) -> dict[str, Any]:
    """One row of ``submission_status_changes`` for a bulk insert."""
    values = status_change_values(submission_id, change)
    values["submission_id"] = values.pop("class_id")
    return values
