"""Annual submissions: plans, summaries and materials, their files and their review history.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0005_submissions
Revises: 0004_scores
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_submissions"
down_revision: str | None = "0004_scores"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "annual_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("material_kind", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", _aware(), nullable=True),
        sa.Column("created_at", _aware(), nullable=False),
        sa.Column("updated_at", _aware(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_annual_submissions"),
        sa.ForeignKeyConstraint(
            ["base_id"], ["bases.id"], name="fk_annual_submissions_base_id_bases"
        ),
    )
    op.create_index(
        "ix_annual_submissions_base_id_kind_year_id",
        "annual_submissions",
        ["base_id", "kind", "year", sa.text("id DESC")],
    )
    op.create_index(
        "ix_annual_submissions_status_submitted_at",
        "annual_submissions",
        ["status", "submitted_at"],
    )
    op.create_index(
        "uq_annual_submissions_once_a_year",
        "annual_submissions",
        ["base_id", "year", "kind"],
        unique=True,
        sqlite_where=sa.text("kind IN ('plan', 'summary')"),
        postgresql_where=sa.text("kind IN ('plan', 'summary')"),
    )

    op.create_table(
        "submission_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", _aware(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_submission_status_changes"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["annual_submissions.id"],
            name="fk_submission_status_changes_submission_id_annual_submissions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name="fk_submission_status_changes_by_user_id_users"
        ),
    )
    op.create_index(
        "ix_submission_status_changes_submission_id",
        "submission_status_changes",
        ["submission_id"],
    )

    op.create_table(
        "submission_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("added_at", _aware(), nullable=False),
        sa.Column("ended_at", _aware(), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("end", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_submission_files"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["annual_submissions.id"],
            name="fk_submission_files_submission_id_annual_submissions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name="fk_submission_files_file_id_stored_files"
        ),
        sa.ForeignKeyConstraint(
            ["added_by"], ["users.id"], name="fk_submission_files_added_by_users"
        ),
        sa.ForeignKeyConstraint(
            ["ended_by"], ["users.id"], name="fk_submission_files_ended_by_users"
        ),
    )
    op.create_index("ix_submission_files_submission_id", "submission_files", ["submission_id"])
    op.create_index(
        "uq_submission_files_one_current",
        "submission_files",
        ["submission_id", "number"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_submission_files_one_current", table_name="submission_files")
    op.drop_index("ix_submission_files_submission_id", table_name="submission_files")
    op.drop_table("submission_files")
    op.drop_index(
        "ix_submission_status_changes_submission_id", table_name="submission_status_changes"
    )
    op.drop_table("submission_status_changes")
    op.drop_index("uq_annual_submissions_once_a_year", table_name="annual_submissions")
    op.drop_index("ix_annual_submissions_status_submitted_at", table_name="annual_submissions")
    op.drop_index("ix_annual_submissions_base_id_kind_year_id", table_name="annual_submissions")
    op.drop_table("annual_submissions")
