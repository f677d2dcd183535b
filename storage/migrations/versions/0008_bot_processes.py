"""Every running ``cebot run`` announces itself: which keys it holds, and that it is alive.

``bot_processes`` has one row per process, active or standing by, refreshed by a heartbeat and
deleted at a clean stop (``storage/processes.py``). ``cebot keys rotate`` refuses while a live
process lacks the active key; ``cebot restore`` and ``cebot keys reindex`` refuse while any
process is live. Key ids and fingerprints only, never key material.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0008_bot_processes
Revises: 0007_links_and_blocked_chats
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_bot_processes"
down_revision: str | None = "0007_links_and_blocked_chats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_processes",
        sa.Column("process_id", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active_key_id", sa.String(64), nullable=False),
        sa.Column("key_fingerprints", sa.JSON(), nullable=False),
        sa.Column("index_fingerprint", sa.String(64), nullable=False),
        sa.Column("heartbeat_ms", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process_id", name="pk_bot_processes"),
        sa.CheckConstraint("role IN ('active', 'standby')", name=op.f("ck_bot_processes_role")),
    )


def downgrade() -> None:
    op.drop_table("bot_processes")
