"""Reviewers can be deactivated by the operator (``cebot reviewer deactivate``).

``users.reviewer_active`` is false for a reviewer the operator deactivated: they cannot log in as
a reviewer and their review steps end; ``cebot reviewer activate`` sets it back. Every existing
row is active. Meaningless (and left true) for people who are not reviewers.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0009_reviewer_active
Revises: 0008_bot_processes
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_reviewer_active"
down_revision: str | None = "0008_bot_processes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("reviewer_active", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("reviewer_active")
