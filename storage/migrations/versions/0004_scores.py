"""Learners' scores and the review state of each class's scores.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0004_scores
Revises: 0003_files
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_scores"
down_revision: str | None = "0003_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("row_uuid", sa.String(32), nullable=False),
        sa.Column("learner_name", sa.String(), nullable=False),
        sa.Column("id_number_enc", sa.Text(), nullable=False),
        sa.Column("id_number_idx", sa.String(64), nullable=False),
        sa.Column("score", sa.Numeric(4, 1), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.Numeric(6, 1), nullable=False),
        sa.Column("certificate_no", sa.String(50), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_score_records"),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_classes.id"],
            name="fk_score_records_class_id_training_classes",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("row_uuid", name="uq_score_records_row_uuid"),
        sa.UniqueConstraint(
            "class_id", "id_number_idx", name="uq_score_records_class_id_id_number_idx"
        ),
        sa.UniqueConstraint(
            "class_id", "certificate_no", name="uq_score_records_class_id_certificate_no"
        ),
    )
    op.create_table(
        "score_sheets",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("class_id", name="pk_score_sheets"),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_classes.id"],
            name="fk_score_sheets_class_id_training_classes",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_score_sheets_status_submitted_at", "score_sheets", ["status", "submitted_at"]
    )
    op.create_table(
        "score_sheet_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_score_sheet_changes"),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["score_sheets.class_id"],
            name="fk_score_sheet_changes_class_id_score_sheets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name="fk_score_sheet_changes_by_user_id_users"
        ),
    )
    op.create_index("ix_score_sheet_changes_class_id", "score_sheet_changes", ["class_id"])


def downgrade() -> None:
    op.drop_index("ix_score_sheet_changes_class_id", table_name="score_sheet_changes")
    op.drop_table("score_sheet_changes")
    op.drop_index("ix_score_sheets_status_submitted_at", table_name="score_sheets")
    op.drop_table("score_sheets")
    op.drop_table("score_records")
