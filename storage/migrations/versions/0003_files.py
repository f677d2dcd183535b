"""Stored files: the record of each upload (training plans first); the bytes are in the file store.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0003_files
Revises: 0002_classes
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_files"
down_revision: str | None = "0002_classes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("original_name", sa.String(), nullable=False),
        sa.Column("safe_name", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stored_files"),
        sa.ForeignKeyConstraint(["base_id"], ["bases.id"], name="fk_stored_files_base_id_bases"),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name="fk_stored_files_uploaded_by_users"
        ),
    )
    op.create_index("ix_stored_files_base_id", "stored_files", ["base_id"])


def downgrade() -> None:
    op.drop_index("ix_stored_files_base_id", table_name="stored_files")
    op.drop_table("stored_files")
