"""Deadlines and reminders: the operator's deadlines, each person's mutes, and the outbox.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0006_reminders
Revises: 0005_submissions
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reminders"
down_revision: str | None = "0005_submissions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due_at", _aware(), nullable=True),
        sa.Column("days_after_end", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deadlines"),
        sa.UniqueConstraint("year", "kind", name="uq_deadlines_year_kind"),
        sa.CheckConstraint(
            "(due_at IS NULL) <> (days_after_end IS NULL)", name="ck_deadlines_one_due"
        ),
    )

    op.create_table(
        "reminder_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminder_mutes"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_reminder_mutes_user_id_users"),
        sa.UniqueConstraint("user_id", "kind", name="uq_reminder_mutes_user_id_kind"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("occasion", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("text_key", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("button_key", sa.Text(), nullable=True),
        sa.Column("button_data", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", _aware(), nullable=False),
        sa.Column("claimed_until", _aware(), nullable=True),
        sa.Column("created_at", _aware(), nullable=False),
        sa.Column("sent_at", _aware(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_outbox_user_id_users"),
        sa.UniqueConstraint(
            "user_id", "subject", "occasion", name="uq_outbox_user_id_subject_occasion"
        ),
    )
    op.create_index("ix_outbox_state_not_before", "outbox", ["state", "not_before"])


def downgrade() -> None:
    op.drop_index("ix_outbox_state_not_before", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("reminder_mutes")
    op.drop_table("deadlines")
