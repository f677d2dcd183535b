"""The outbox keeps a link to the thing, not callback data; chats that blocked the bot.

``outbox.button_data`` becomes ``outbox.link`` (``domain/links.py``): a message written today may
be sent by a newer bot whose callback data differ. ``blocked_chats`` records the Telegram chats
that blocked the bot (a 403, or Telegram's ``my_chat_member`` update), so reminders stop trying
them until the person unblocks the bot or logs in again.

Written by hand, frozen: later changes to storage/models.py get a new revision, never an edit
here. Constraint names follow ``storage.models.NAMING_CONVENTION``.

Revision ID: 0007_links_and_blocked_chats
Revises: 0006_reminders
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_links_and_blocked_chats"
down_revision: str | None = "0006_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("button_data", new_column_name="link", existing_type=sa.String(64))
    op.create_table(
        "blocked_chats",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name="pk_blocked_chats"),
    )


def downgrade() -> None:
    op.drop_table("blocked_chats")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("link", new_column_name="button_data", existing_type=sa.String(64))
