"""Training classes (培训班) and their history of states through review.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0002_classes
Revises: 0001_accounts
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_classes"
down_revision: str | None = "0001_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "training_classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("hours", sa.Numeric(6, 1), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Numeric(10, 2), nullable=False),
        sa.Column("audience", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("plan_text", sa.Text(), nullable=True),
        sa.Column("plan_file_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", _aware(), nullable=True),
        sa.Column("created_at", _aware(), nullable=False),
        sa.Column("updated_at", _aware(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_training_classes"),
        sa.ForeignKeyConstraint(
            ["base_id"], ["bases.id"], name="fk_training_classes_base_id_bases"
        ),
    )
    op.create_index(
        "ix_training_classes_base_id_year_id",
        "training_classes",
        ["base_id", "year", sa.text("id DESC")],
    )
    op.create_index(
        "ix_training_classes_status_submitted_at",
        "training_classes",
        ["status", "submitted_at"],
    )

    op.create_table(
        "class_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", _aware(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_class_status_changes"),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_classes.id"],
            name="fk_class_status_changes_class_id_training_classes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name="fk_class_status_changes_by_user_id_users"
        ),
    )
    op.create_index("ix_class_status_changes_class_id", "class_status_changes", ["class_id"])


def downgrade() -> None:
    op.drop_index("ix_class_status_changes_class_id", table_name="class_status_changes")
    op.drop_table("class_status_changes")
    op.drop_index("ix_training_classes_status_submitted_at", table_name="training_classes")
    op.drop_index("ix_training_classes_base_id_year_id", table_name="training_classes")
    op.drop_table("training_classes")
